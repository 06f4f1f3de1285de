package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/polyarch/polyarch/ciconfig"
)

// runCI runs polyarch with args through cobra and returns stdout, stderr
// and the error.
func runCI(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errOut, getenv: func(string) string { return "" }, self: "/proc/self/exe"}
	root := newRoot(e)
	root.SetArgs(args)
	root.SetOut(&out)
	root.SetErr(&errOut)
	err := root.ExecuteContext(context.Background())
	return out.String(), errOut.String(), err
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestCIInitIdempotentAndProtective(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM scratch\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	wf := filepath.Join(dir, ".github", "workflows", "polyarch.yml")
	base := []string{"ci", "init", "--provider", "github", "--image", "docker.io/acme/app", "--dir", dir}

	out, stderr, err := runCI(t, base...)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "created    .github/workflows/polyarch.yml") || !strings.Contains(out, "REGISTRY_USERNAME") {
		t.Errorf("first run printed:\n%s", out)
	}
	if stderr != "" {
		t.Errorf("stderr: %s", stderr)
	}
	first := readFile(t, wf)
	if ciconfig.Inspect([]byte(first)) != ciconfig.Pristine {
		t.Fatal("the written workflow is not pristine")
	}

	// Again, the same: nothing changes.
	if out, _, err = runCI(t, base...); err != nil || !strings.Contains(out, "unchanged  .github/workflows/polyarch.yml") {
		t.Fatalf("second run: %v\n%s", err, out)
	}
	if readFile(t, wf) != first {
		t.Fatal("an unchanged run rewrote the workflow")
	}

	// Other options over an untouched file: regenerated.
	if out, _, err = runCI(t, append(base, "--fan-out")...); err != nil || !strings.Contains(out, "updated    .github/workflows/polyarch.yml") {
		t.Fatalf("fan-out run: %v\n%s", err, out)
	}
	fanOut := readFile(t, wf)
	if !strings.Contains(fanOut, "polyarch manifest create") {
		t.Fatal("the fan-out workflow was not written")
	}

	// The user edits it: kept, and the error names the file.
	edited := strings.Replace(fanOut, "fail-fast: false", "fail-fast: true", 1)
	if err := os.WriteFile(wf, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, err = runCI(t, base...)
	if err == nil || !strings.Contains(err.Error(), ".github/workflows/polyarch.yml (changed since polyarch generated it)") || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("run over an edited file: %v", err)
	}
	if readFile(t, wf) != edited {
		t.Fatal("the edited workflow was overwritten without --force")
	}

	// --force replaces it.
	if out, _, err = runCI(t, append(base, "--force")...); err != nil || !strings.Contains(out, "overwrote  .github/workflows/polyarch.yml") {
		t.Fatalf("forced run: %v\n%s", err, out)
	}
	if readFile(t, wf) != first {
		t.Fatal("--force did not restore the generated workflow")
	}
}

func TestCIInitKeepsForeignFiles(t *testing.T) {
	dir := t.TempDir()
	mine := "language: python\nscript: make\n"
	if err := os.WriteFile(filepath.Join(dir, ".travis.yml"), []byte(mine), 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, err := runCI(t, "ci", "init", "--provider", "travis", "--image", "acme/app", "--dir", dir)
	if err == nil || !strings.Contains(err.Error(), ".travis.yml (not written by polyarch ci init)") {
		t.Fatalf("err = %v", err)
	}
	if readFile(t, filepath.Join(dir, ".travis.yml")) != mine {
		t.Fatal("a foreign .travis.yml was overwritten")
	}
}

// TestCIInitHooksAllOrNothing: one edited hook stops every write, and the
// hooks are executable.
func TestCIInitHooksAllOrNothing(t *testing.T) {
	dir := t.TempDir()
	args := []string{"ci", "init", "--provider", "dockerhub", "--dir", dir}
	out, stderr, err := runCI(t, args...)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stderr, "warning: Dockerfile not found") {
		t.Errorf("no warning about the missing Dockerfile: %q", stderr)
	}
	for _, h := range []string{"pre_build", "build", "push"} {
		st, err := os.Stat(filepath.Join(dir, "hooks", h))
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o755 {
			t.Errorf("hooks/%s: mode %o", h, st.Mode().Perm())
		}
		if !strings.Contains(out, "created    hooks/"+h) {
			t.Errorf("output lacks hooks/%s:\n%s", h, out)
		}
	}
	push := filepath.Join(dir, "hooks", "push")
	if err := os.WriteFile(push, []byte(readFile(t, push)+"echo done\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	build := filepath.Join(dir, "hooks", "build")
	before := readFile(t, build)
	if _, _, err := runCI(t, append(args, "--platforms", "linux/amd64,linux/arm64")...); err == nil || !strings.Contains(err.Error(), "hooks/push") {
		t.Fatalf("err = %v", err)
	}
	if readFile(t, build) != before {
		t.Fatal("hooks/build was rewritten although hooks/push was refused")
	}
	// A lost exec bit is put back on an unchanged hook.
	if err := os.Chmod(build, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := runCI(t, append(args, "--force")...); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(build); st.Mode().Perm() != 0o755 {
		t.Errorf("hooks/build mode %o after a rerun", st.Mode().Perm())
	}
}

func TestCIInitErrors(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"ci", "init", "--dir", dir}, "--provider is required"},
		{[]string{"ci", "init", "--provider", "jenkins", "--dir", dir}, "unknown CI provider"},
		{[]string{"ci", "init", "--provider", "travis", "--dir", dir}, "--image is required"},
		{[]string{"ci", "init", "--provider", "travis", "--image", "acme/app", "--fan-out", "--dir", dir}, "--fan-out is not supported"},
		{[]string{"ci", "init", "--provider", "github", "--native-arm", "--dir", dir}, "--native-arm needs --fan-out"},
		{[]string{"ci", "init", "--provider", "github", "--platforms", "linux/bogus", "--dir", dir}, "--platforms"},
		{[]string{"ci", "init", "--provider", "github", "--dir", filepath.Join(dir, "nope")}, "--dir"},
	}
	for _, tc := range cases {
		_, _, err := runCI(t, tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: err = %v, want %q", tc.args[2:], err, tc.want)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("failed runs wrote %d entries", len(entries))
	}
}

// TestCIInitOptionsReachTheFile checks the flags end up in the config.
func TestCIInitOptionsReachTheFile(t *testing.T) {
	dir := t.TempDir()
	_, _, err := runCI(t, "ci", "init", "--provider", "gitlab", "--fan-out", "--native-arm", "--platforms", "arm64,amd64",
		"--context", "app", "-f", "app/Dockerfile.prod", "--branch", "trunk", "--polyarch-version", "v0.4.0", "--dir", dir)
	if err != nil {
		t.Fatal(err)
	}
	ci := readFile(t, filepath.Join(dir, ".gitlab-ci.yml"))
	for _, want := range []string{"PLATFORMS: linux/arm64,linux/amd64", "CONTEXT: app", "DOCKERFILE: app/Dockerfile.prod",
		`$CI_COMMIT_BRANCH == "trunk"`, "POLYARCH_VERSION: v0.4.0", "RUNNER: saas-linux-small-arm64", "IMAGE: $CI_REGISTRY_IMAGE"} {
		if !strings.Contains(ci, want) {
			t.Errorf(".gitlab-ci.yml lacks %q", want)
		}
	}
}
