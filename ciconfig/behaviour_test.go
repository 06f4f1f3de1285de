package ciconfig

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rhysd/actionlint"
	"gopkg.in/yaml.v3"
)

// runScript runs script with sh (bash or dash) in dir, with env added to a
// minimal environment whose PATH starts with a fake polyarch that logs its
// arguments, one call per line, to dir/calls.
func runScript(t *testing.T, sh, dir, script string, env ...string) (stdout, calls string, err error) {
	t.Helper()
	bin := filepath.Join(dir, "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	fake := "#!/bin/sh\nprintf '%s\\n' \"$*\" >> \"" + filepath.Join(dir, "calls") + "\"\n"
	if err := os.WriteFile(filepath.Join(bin, "polyarch"), []byte(fake), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(sh, "-c", script)
	cmd.Dir = dir
	cmd.Env = append([]string{"PATH=" + bin + ":" + os.Getenv("PATH"), "HOME=" + dir}, env...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	if err != nil {
		t.Logf("stderr: %s", errOut.String())
	}
	c, _ := os.ReadFile(filepath.Join(dir, "calls"))
	return out.String(), string(c), err
}

// TestTagScript runs TagScript for the refs docker/metadata-action documents.
func TestTagScript(t *testing.T) {
	cases := []struct {
		ref  string
		want []string // nil: the script fails
	}{
		{"refs/heads/main", []string{"main"}},
		{"refs/heads/master", []string{"master"}},
		{"refs/heads/releases/v1", []string{"releases-v1"}},
		{"refs/heads/feat/ü+x", []string{"feat----x"}}, // ü is two bytes
		{"refs/tags/v1.2.3", []string{"1.2.3", "1.2", "latest"}},
		{"refs/tags/1.2.3", []string{"1.2.3", "1.2", "latest"}},
		{"refs/tags/v0.10.0", []string{"0.10.0", "0.10", "latest"}},
		{"refs/tags/v1.2.3-rc.1", []string{"1.2.3-rc.1"}},
		{"refs/tags/v2.0.8-beta.67", []string{"2.0.8-beta.67"}},
		{"refs/tags/v1.2.3+build.5", []string{"v1.2.3-build.5"}},
		{"refs/tags/v01.2.3", []string{"v01.2.3"}},
		{"refs/tags/v1.2", []string{"v1.2"}},
		{"refs/tags/nightly", []string{"nightly"}},
		{"refs/tags/.hidden", []string{"hidden"}},
		{"refs/pull/42/merge", []string{"pr-42"}},
		{"refs/merge-requests/7/head", []string{"mr-7"}},
		{"refs/heads/" + strings.Repeat("x", 200), []string{strings.Repeat("x", 128)}},
		{"refs/notes/commits", nil},
		{"refs/tags/...", nil},
		{"", nil},
	}
	script := TagScript + `printf '%s\n' "$tags"` + "\n"
	for _, sh := range shells(t) {
		for _, tc := range cases {
			out, _, err := runScript(t, sh, t.TempDir(), script, "ref="+tc.ref)
			if tc.want == nil {
				if err == nil {
					t.Errorf("%s: ref %q: got tags %q, want a failure", filepath.Base(sh), tc.ref, out)
				}
				continue
			}
			if err != nil {
				t.Errorf("%s: ref %q: %v", filepath.Base(sh), tc.ref, err)
				continue
			}
			if got := strings.Fields(out); strings.Join(got, " ") != strings.Join(tc.want, " ") {
				t.Errorf("%s: ref %q: tags %q, want %q", filepath.Base(sh), tc.ref, got, tc.want)
			}
		}
	}
}

// TestDigestScript reads the digest out of a metadata file shaped like the
// one polyarch build --metadata-file writes, indented and compact.
func TestDigestScript(t *testing.T) {
	const want = "sha256:1111111111111111111111111111111111111111111111111111111111111111"
	md := map[string]any{
		"containerimage.digest": want,
		"containerimage.descriptor": map[string]any{
			"mediaType": "application/vnd.oci.image.manifest.v1+json",
			"digest":    "sha256:2222222222222222222222222222222222222222222222222222222222222222",
			"size":      1234,
		},
		"image.name": "docker.io/acme/app",
	}
	indented, _ := json.MarshalIndent(md, "", "  ")
	compact, _ := json.Marshal(md)
	for _, b := range [][]byte{indented, compact} {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "meta.json"), b, 0o644); err != nil {
			t.Fatal(err)
		}
		out, _, err := runScript(t, "sh", dir, digestScript)
		if err != nil || strings.TrimSpace(out) != want {
			t.Errorf("digest from %s: %q, %v; want %s", b, out, err, want)
		}
	}
}

// ghStep returns the run script and env of the step called name in job.
func ghStep(t *testing.T, content []byte, job, name string) (script string, env map[string]string) {
	t.Helper()
	var wf struct {
		Jobs map[string]struct {
			Steps []struct {
				Name string            `yaml:"name"`
				Run  string            `yaml:"run"`
				Env  map[string]string `yaml:"env"`
			} `yaml:"steps"`
		} `yaml:"jobs"`
	}
	if err := yaml.Unmarshal(content, &wf); err != nil {
		t.Fatal(err)
	}
	for _, s := range wf.Jobs[job].Steps {
		if strings.HasPrefix(s.Name, name) {
			return s.Run, s.Env
		}
	}
	t.Fatalf("no step %q in job %s", name, job)
	return "", nil
}

func generated(t *testing.T, name string) []byte {
	t.Helper()
	for _, tc := range goldenCases() {
		if tc.name == name {
			return tc.generate(t)[0].Content
		}
	}
	t.Fatalf("no golden case %s", name)
	return nil
}

// TestGitHubMergeRuns runs the fan-out workflow's tag and merge steps with a
// fake polyarch: the index gets every tag and the digests in platform order.
func TestGitHubMergeRuns(t *testing.T) {
	wf := generated(t, "github-fanout")
	dir := t.TempDir()
	digests := filepath.Join(dir, "digests")
	if err := os.MkdirAll(digests, 0o755); err != nil {
		t.Fatal(err)
	}
	for slug, d := range map[string]string{"linux-amd64": "sha256:aa", "linux-arm64": "sha256:bb", "linux-arm-v7": "sha256:cc"} {
		if err := os.WriteFile(filepath.Join(digests, slug), []byte(d+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tagsRun, _ := ghStep(t, wf, "merge", "Tags for")
	output := filepath.Join(dir, "output")
	if _, _, err := runScript(t, "bash", dir, tagsRun, "GITHUB_REF=refs/tags/v1.2.3", "GITHUB_OUTPUT="+output); err != nil {
		t.Fatal(err)
	}
	out, _ := os.ReadFile(output)
	if string(out) != "tags<<EOF\n1.2.3\n1.2\nlatest\nEOF\n" {
		t.Fatalf("GITHUB_OUTPUT = %q", out)
	}
	mergeRun, _ := ghStep(t, wf, "merge", "Create the multi-platform index")
	_, calls, err := runScript(t, "bash", dir, mergeRun, "TAGS=1.2.3\n1.2\nlatest", "RUNNER_TEMP="+dir,
		"IMAGE=docker.io/acme/app", "PLATFORMS=linux/amd64,linux/arm64,linux/arm/v7")
	if err != nil {
		t.Fatal(err)
	}
	want := "manifest create -t docker.io/acme/app:1.2.3 -t docker.io/acme/app:1.2 -t docker.io/acme/app:latest " +
		"docker.io/acme/app@sha256:aa docker.io/acme/app@sha256:bb docker.io/acme/app@sha256:cc\n"
	if calls != want {
		t.Errorf("polyarch called as\n%s\nwant\n%s", calls, want)
	}
}

// TestGitHubSingleRuns runs the one-job workflow's build step: pushes on a
// branch, builds without pushing on a pull request.
func TestGitHubSingleRuns(t *testing.T) {
	run, _ := ghStep(t, generated(t, "github-single"), "build", "Build ")
	env := []string{"TAGS=main", "IMAGE=docker.io/acme/app", "PLATFORMS=linux/amd64,linux/arm64", "DOCKERFILE=Dockerfile", "CONTEXT=."}
	for event, want := range map[string]string{
		"push":         "build --platform linux/amd64,linux/arm64 -f Dockerfile -t docker.io/acme/app:main --push .\n",
		"pull_request": "build --platform linux/amd64,linux/arm64 -f Dockerfile -t docker.io/acme/app:main .\n",
	} {
		_, calls, err := runScript(t, "bash", t.TempDir(), run, append(env, "GITHUB_EVENT_NAME="+event)...)
		if err != nil || calls != want {
			t.Errorf("%s: polyarch called as %q (%v), want %q", event, calls, err, want)
		}
	}
}

// TestTravisScriptRuns runs .travis.yml's script for a release tag and for a
// pull request.
func TestTravisScriptRuns(t *testing.T) {
	script := scripts(t, generated(t, "travis-single"))["script"]
	env := []string{"IMAGE=docker.io/acme/app", "PLATFORMS=linux/amd64,linux/arm64", "DOCKERFILE=Dockerfile", "CONTEXT=."}
	cases := []struct {
		env  []string
		want string
	}{
		{[]string{"TRAVIS_TAG=v2.1.0", "TRAVIS_PULL_REQUEST=false", "TRAVIS_BRANCH=v2.1.0"},
			"build --platform linux/amd64,linux/arm64 -f Dockerfile -t docker.io/acme/app:2.1.0 -t docker.io/acme/app:2.1 -t docker.io/acme/app:latest --push .\n"},
		{[]string{"TRAVIS_TAG=", "TRAVIS_PULL_REQUEST=17", "TRAVIS_BRANCH=main"},
			"build --platform linux/amd64,linux/arm64 -f Dockerfile -t docker.io/acme/app:pr-17 .\n"},
	}
	for _, tc := range cases {
		_, calls, err := runScript(t, "bash", t.TempDir(), script, append(env, tc.env...)...)
		if err != nil || calls != tc.want {
			t.Errorf("%v: polyarch called as %q (%v), want %q", tc.env, calls, err, tc.want)
		}
	}
}

// TestGitLabScriptsRun runs the fan-out pipeline's build (one matrix row) and
// merge scripts with a fake polyarch that writes the metadata file.
func TestGitLabScriptsRun(t *testing.T) {
	s := scripts(t, generated(t, "gitlab-fanout"))
	dir := t.TempDir()
	env := []string{"IMAGE=registry.example/acme/app", "PLATFORMS=linux/amd64,linux/arm64", "DOCKERFILE=Dockerfile", "CONTEXT=.",
		"CI_PIPELINE_SOURCE=push", "CI_COMMIT_BRANCH=main"}
	meta := `{"containerimage.digest": "sha256:0123"}`
	for p, digest := range map[string]string{"linux/amd64": "aa", "linux/arm64": "bb"} {
		build := "cat > meta.json <<'EOF'\n" + strings.Replace(meta, "0123", digest, 1) + "\nEOF\n" + s["build.script"]
		if _, calls, err := runScript(t, "bash", dir, build, append(env, "PLATFORM="+p)...); err != nil || !strings.Contains(calls, "--push-by-digest") {
			t.Fatalf("build %s: %q, %v", p, calls, err)
		}
	}
	os.Remove(filepath.Join(dir, "calls"))
	_, calls, err := runScript(t, "bash", dir, s["merge.script"], env...)
	want := "manifest create -t registry.example/acme/app:main registry.example/acme/app@sha256:aa registry.example/acme/app@sha256:bb\n"
	if err != nil || calls != want {
		t.Errorf("merge: polyarch called as %q (%v), want %q", calls, err, want)
	}
}

// TestActionlintCatches makes sure the lint test would fail: a workflow with
// a typo in an expression and an unquoted variable has errors.
func TestActionlintCatches(t *testing.T) {
	wf := generated(t, "github-fanout")
	broken := bytes.Replace(wf, []byte("${{ matrix.platform }}"), []byte("${{ matrix.platfrom }}"), 1)
	l, err := actionlint.NewLinter(&bytes.Buffer{}, &actionlint.LinterOptions{Shellcheck: shellcheck()})
	if err != nil {
		t.Fatal(err)
	}
	errs, err := l.Lint(".github/workflows/polyarch.yml", broken, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(errs) == 0 {
		t.Fatal("actionlint found nothing wrong with matrix.platfrom")
	}
}
