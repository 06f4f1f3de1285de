package hub

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/polyarch/polyarch/ciconfig"
)

// recorderHook appends its phase and the contract's variables to $RECORD.
const recorderHook = `#!/bin/sh
printf '%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s\n' "$(basename "$0")" "$SOURCE_BRANCH" "$SOURCE_COMMIT" "$COMMIT_MSG" \
  "$DOCKER_REPO" "$DOCKERFILE_PATH" "$DOCKER_TAG" "$IMAGE_NAME" "$CACHE_TAG" "$BUILD_PATH" "$PWD" >> "$RECORD"
`

// writeHooks makes dir/hooks with a recording hook per name.
func writeHooks(t *testing.T, dir string, names ...string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(dir, "hooks"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		if err := os.WriteFile(filepath.Join(dir, "hooks", n), []byte(recorderHook), 0o755); err != nil {
			t.Fatal(err)
		}
	}
}

// runAll runs every phase with recording defaults and returns the phases
// in the order they ran ("default:build" for a default step).
func runAll(t *testing.T, dir string, push bool, info Info) ([]string, []string, error) {
	t.Helper()
	record := filepath.Join(t.TempDir(), "record")
	hooks, err := FindHooks(dir, info.Dockerfile)
	if err != nil {
		t.Fatal(err)
	}
	var defaults []string
	step := func(name string) func(context.Context) error {
		return func(context.Context) error {
			os.WriteFile(record, append(must(os.ReadFile(record)), "default:"+name+"\n"...), 0o644)
			defaults = append(defaults, name)
			return nil
		}
	}
	env := append(os.Environ(), info.Environ()...)
	env = append(env, "RECORD="+record)
	r := Runner{Hooks: hooks, Push: push, Defaults: Defaults{Build: step("build"), Test: step("test"), Push: step("push")},
		RunHook: HookCmd{Dir: dir, Env: env}.Run}
	err = r.Run(context.Background())
	lines := strings.Split(strings.TrimSpace(string(must(os.ReadFile(record)))), "\n")
	return lines, defaults, err
}

func must(b []byte, _ error) []byte { return b }

func phases(lines []string) []string {
	var out []string
	for _, l := range lines {
		name, _, _ := strings.Cut(l, "|")
		out = append(out, name)
	}
	return out
}

// TestRunnerOrderAndEnv runs every hook Docker Hub knew and checks the
// order and the environment each one saw.
func TestRunnerOrderAndEnv(t *testing.T) {
	dir := t.TempDir()
	writeHooks(t, dir, Order()...)
	os.WriteFile(filepath.Join(dir, "hooks", "helper.sh"), []byte("exit 3\n"), 0o755) // not a phase: ignored
	info := Info{SourceBranch: "main", SourceCommit: "0123abc", CommitMsg: "fix: things", Repo: "index.docker.io/acme/app",
		Tag: "v1", Dockerfile: "Dockerfile", BuildPath: "/app"}
	lines, defaults, err := runAll(t, dir, true, info)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(phases(lines), " "), strings.Join(Order(), " "); got != want {
		t.Errorf("order %s, want %s", got, want)
	}
	if len(defaults) != 0 {
		t.Errorf("default steps ran although hooks replace them: %v", defaults)
	}
	want := "|main|0123abc|fix: things|index.docker.io/acme/app|Dockerfile|v1|index.docker.io/acme/app:v1|v1|/app|" + dir
	for _, l := range lines {
		if _, rest, _ := strings.Cut(l, "|"); "|"+rest != want {
			t.Errorf("hook saw %q, want %q", l, want)
		}
	}
}

// TestRunnerDefaults checks where default steps run, and that the push
// phases need Push.
func TestRunnerDefaults(t *testing.T) {
	dir := t.TempDir()
	writeHooks(t, dir, PreBuild, PostBuild, PrePush, PostPush)
	lines, _, err := runAll(t, dir, false, Info{Repo: "r", Tag: "t", Dockerfile: "Dockerfile"})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(phases(lines), " "); got != "pre_build default:build post_build default:test" {
		t.Errorf("without push: %s", got)
	}
	lines, _, err = runAll(t, dir, true, Info{Repo: "r", Tag: "t", Dockerfile: "Dockerfile"})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(phases(lines), " "); got != "pre_build default:build post_build default:test pre_push default:push post_push" {
		t.Errorf("with push: %s", got)
	}
}

// TestRunnerStopsAtFailingHook checks the exit code and the name.
func TestRunnerStopsAtFailingHook(t *testing.T) {
	dir := t.TempDir()
	writeHooks(t, dir, PostCheckout, PostBuild)
	os.WriteFile(filepath.Join(dir, "hooks", PreBuild), []byte("#!/bin/sh\necho nope >&2\nexit 42\n"), 0o755)
	lines, defaults, err := runAll(t, dir, true, Info{Repo: "r", Tag: "t", Dockerfile: "Dockerfile"})
	var he *HookError
	if !errors.As(err, &he) || he.Hook != PreBuild || he.Code != 42 {
		t.Fatalf("err = %v, want pre_build's exit 42", err)
	}
	if !strings.Contains(err.Error(), "hook pre_build failed with exit code 42") {
		t.Errorf("message: %v", err)
	}
	if got := strings.Join(phases(lines), " "); got != PostCheckout || len(defaults) > 0 {
		t.Errorf("ran %s and defaults %v after the failure", got, defaults)
	}
}

// TestHookWithoutExecBit runs a hook that lost its executable bit through
// its interpreter, and one without #! through bash.
func TestHookWithoutExecBit(t *testing.T) {
	dir := t.TempDir()
	writeHooks(t, dir, PostCheckout)
	os.Chmod(filepath.Join(dir, "hooks", PostCheckout), 0o644)
	os.WriteFile(filepath.Join(dir, "hooks", PreBuild), []byte(`echo "pre_build|${BASH_VERSION:+bash}" >> "$RECORD"`+"\n"), 0o644)
	lines, _, err := runAll(t, dir, false, Info{Repo: "r", Tag: "t", Dockerfile: "Dockerfile"})
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) < 2 || !strings.HasPrefix(lines[0], "post_checkout|") || lines[1] != "pre_build|bash" {
		t.Errorf("recorded %q", lines)
	}
}

// TestHooksNextToDockerfile finds hooks beside a Dockerfile in a subdir.
func TestHooksNextToDockerfile(t *testing.T) {
	dir := t.TempDir()
	writeHooks(t, filepath.Join(dir, "docker"), Build)
	h, err := FindHooks(dir, "docker/Dockerfile")
	if err != nil || h.Dir != filepath.Join(dir, "docker", "hooks") || h.Paths[Build] == "" {
		t.Fatalf("FindHooks = %+v, %v", h, err)
	}
	writeHooks(t, dir, PreBuild)
	if h, _ := FindHooks(dir, "docker/Dockerfile"); h.Dir != filepath.Join(dir, "hooks") {
		t.Errorf("the context's hooks must win: %+v", h)
	}
}

// TestPristineCIInitPreBuildSkipped: the pre_build polyarch ci init wrote
// fetches polyarch on Docker Hub; under hub build it is not needed.
func TestPristineCIInitPreBuildSkipped(t *testing.T) {
	files, err := ciconfig.Generate(ciconfig.DockerHub, ciconfig.Options{})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, f := range files {
		p := filepath.Join(dir, f.Path)
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, f.Content, f.Mode)
	}
	if r := skipHook(PreBuild, filepath.Join(dir, "hooks", PreBuild)); r == "" {
		t.Error("the generated pre_build is not skipped")
	}
	if r := skipHook(Build, filepath.Join(dir, "hooks", Build)); r != "" {
		t.Errorf("the generated build hook is skipped: %s", r)
	}
	edited := filepath.Join(dir, "hooks", PreBuild)
	os.WriteFile(edited, append(must(os.ReadFile(edited)), "echo mine\n"...), 0o755)
	if r := skipHook(PreBuild, edited); r != "" {
		t.Errorf("an edited pre_build is skipped: %s", r)
	}
}

func TestInfoEnviron(t *testing.T) {
	got := strings.Join(Info{Repo: "docker.io/a/b", Tag: "edge", Dockerfile: "Dockerfile.arm"}.Environ(), " ")
	want := "SOURCE_BRANCH= SOURCE_COMMIT= COMMIT_MSG= DOCKER_REPO=docker.io/a/b DOCKERFILE_PATH=Dockerfile.arm DOCKER_TAG=edge IMAGE_NAME=docker.io/a/b:edge CACHE_TAG=edge BUILD_PATH=/"
	if got != want {
		t.Errorf("Environ:\n got %s\nwant %s", got, want)
	}
}

func TestReadGit(t *testing.T) {
	dir := t.TempDir()
	git := func(args ...string) {
		t.Helper()
		cmd := execGit(dir, args...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Skipf("git %v: %v\n%s", args, err, out)
		}
	}
	git("init", "-q", "-b", "release")
	os.MkdirAll(filepath.Join(dir, "img"), 0o755)
	os.WriteFile(filepath.Join(dir, "img", "Dockerfile"), []byte("FROM scratch\n"), 0o644)
	git("add", ".")
	git("-c", "user.name=t", "-c", "user.email=t@e", "commit", "-q", "-m", "first line\n\nbody")
	src, ok := ReadGit(context.Background(), filepath.Join(dir, "img"))
	if !ok || src.Branch != "release" || len(src.Commit) != 40 || src.Message != "first line\n\nbody" || src.BuildPath != "/img" {
		t.Errorf("ReadGit = %+v, %v", src, ok)
	}
	git("tag", "v1.0")
	git("checkout", "-q", "--detach")
	if src, _ := ReadGit(context.Background(), dir); src.Branch != "v1.0" || src.BuildPath != "/" {
		t.Errorf("detached at a tag: %+v", src)
	}
	if _, ok := ReadGit(context.Background(), t.TempDir()); ok {
		t.Error("a plain directory reads as a checkout")
	}
}

func ExampleInfo_Environ() {
	for _, kv := range (Info{Repo: "index.docker.io/acme/app", Tag: "latest", Dockerfile: "Dockerfile", BuildPath: "/"}).Environ()[3:] {
		fmt.Println(kv)
	}
	// Output:
	// DOCKER_REPO=index.docker.io/acme/app
	// DOCKERFILE_PATH=Dockerfile
	// DOCKER_TAG=latest
	// IMAGE_NAME=index.docker.io/acme/app:latest
	// CACHE_TAG=latest
	// BUILD_PATH=/
}

func execGit(dir string, args ...string) *exec.Cmd {
	cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
	cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
	return cmd
}
