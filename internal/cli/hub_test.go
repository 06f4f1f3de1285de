package cli

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// hubCLI runs polyarch hub ... in this process; the hooks see the real
// environment plus what hub build sets.
func hubCLI(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: os.Getenv, uid: os.Geteuid()}
	root := newRoot(e)
	root.SetArgs(args)
	root.SetOut(&out)
	root.SetErr(&errb)
	err := root.ExecuteContext(context.Background())
	return out.String(), errb.String(), err
}

const envHook = `#!/bin/sh
{ echo "== $(basename "$0")"
  for v in SOURCE_BRANCH SOURCE_COMMIT COMMIT_MSG DOCKER_REPO DOCKERFILE_PATH DOCKER_TAG IMAGE_NAME CACHE_TAG BUILD_PATH POLYARCH_ROOT DOCKER_DEFAULT_PLATFORM BUILD_ENV; do
    eval "echo \"$v=\${$v}\""
  done
  echo "docker=$(command -v docker)"
  echo "polyarch=$(command -v polyarch)"
} >> "$RECORD"
`

// TestHubBuildEnvContract runs hub build with hooks that record what they
// see; the build hook replaces the default build, so no docker is called.
func TestHubBuildEnvContract(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "hooks"), 0o755)
	for _, h := range []string{"post_checkout", "pre_build", "build", "post_build", "pre_test", "test", "post_test"} {
		os.WriteFile(filepath.Join(dir, "hooks", h), []byte(envHook), 0o755)
	}
	record := filepath.Join(t.TempDir(), "record")
	t.Setenv("RECORD", record)
	storeRoot := t.TempDir()
	_, stderr, err := hubCLI(t, "--root", storeRoot, "hub", "build", "--repo", "registry.example/acme/app", "--tag", "v2",
		"--dockerfile", "arm64v8/Dockerfile", "--platform", "linux/arm64", "--source-branch", "main", "--source-commit", "abc123",
		"--commit-msg", "release 2", "-e", "BUILD_ENV=ci", dir)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	b, _ := os.ReadFile(record)
	text := string(b)
	if n := strings.Count(text, "== "); n != 7 {
		t.Errorf("%d hooks ran, want 7:\n%s", n, text)
	}
	for _, want := range []string{
		"== post_checkout\n", "SOURCE_BRANCH=main\n", "SOURCE_COMMIT=abc123\n", "COMMIT_MSG=release 2\n",
		"DOCKER_REPO=registry.example/acme/app\n", "DOCKERFILE_PATH=arm64v8/Dockerfile\n", "DOCKER_TAG=v2\n",
		"IMAGE_NAME=registry.example/acme/app:v2\n", "CACHE_TAG=v2\n", "BUILD_PATH=/", "POLYARCH_ROOT=" + storeRoot + "\n",
		"DOCKER_DEFAULT_PLATFORM=linux/arm64\n", "BUILD_ENV=ci\n", "/bin/docker\n", "/bin/polyarch\n",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the hooks did not see %q:\n%s", want, text)
		}
	}
	for _, want := range []string{"=> Executing hooks/post_checkout", "=> --push not given", "=> Executing hooks/test"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
}

// TestHubBuildHookFailure: the failing hook's exit code is polyarch's.
func TestHubBuildHookFailure(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "hooks"), 0o755)
	os.WriteFile(filepath.Join(dir, "hooks", "pre_build"), []byte("#!/bin/sh\nexit 7\n"), 0o755)
	_, _, err := hubCLI(t, "--root", t.TempDir(), "hub", "build", dir)
	var ee *ExitError
	if !errors.As(err, &ee) || ee.Code != 7 || !strings.Contains(err.Error(), "hook pre_build failed with exit code 7") {
		t.Fatalf("err = %v, want exit 7 naming pre_build", err)
	}
	if _, _, err := hubCLI(t, "hub", "build", "--push", dir); err == nil || !strings.Contains(err.Error(), "--push needs --repo") {
		t.Errorf("--push without --repo: %v", err)
	}
	if _, _, err := hubCLI(t, "hub", "build", filepath.Join(dir, "missing")); err == nil {
		t.Error("a missing directory: no error")
	}
}

func TestMergeEnv(t *testing.T) {
	got := strings.Join(mergeEnv([]string{"A=1", "PATH=/bin", "B=2"}, []string{"PATH=/x:/bin", "C=3"}, []string{"A=9"}), " ")
	if got != "A=9 PATH=/x:/bin B=2 C=3" {
		t.Errorf("mergeEnv = %s", got)
	}
}

// TestMigrateWrite writes a fixture's files once, then refuses to replace
// them without --force.
func TestMigrateWrite(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM arm64v8/alpine:3.19\nRUN true\n"), 0o644)
	out, _, err := runCLI(t, "migrate", dir)
	if err != nil || !strings.Contains(out, "# ==> polyarch.yaml <==") || !strings.Contains(out, `"arm64v8/alpine:3.19": {image: "alpine:3.19", platform: linux/arm64}`) {
		t.Fatalf("migrate printed (%v):\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(dir, "polyarch.yaml")); err == nil {
		t.Fatal("migrate without --write wrote polyarch.yaml")
	}
	out, _, err = runCLI(t, "migrate", "--write", "--provider", "gitlab", dir)
	if err != nil || !strings.Contains(out, "created    polyarch.yaml") || !strings.Contains(out, "created    .gitlab-ci.yml") {
		t.Fatalf("--write (%v):\n%s", err, out)
	}
	os.WriteFile(filepath.Join(dir, ".gitlab-ci.yml"), []byte("mine\n"), 0o644)
	if _, _, err := runCLI(t, "migrate", "--write", "--provider", "gitlab", dir); err == nil || !strings.Contains(err.Error(), "not overwriting .gitlab-ci.yml") {
		t.Errorf("overwrote without --force: %v", err)
	}
	if out, _, err := runCLI(t, "migrate", "--write", "--force", "--provider", "gitlab", dir); err != nil || !strings.Contains(out, "overwrote  .gitlab-ci.yml") || !strings.Contains(out, "unchanged  polyarch.yaml") {
		t.Errorf("--force (%v):\n%s", err, out)
	}
	if _, _, err := runCLI(t, "migrate", "--provider", "dockerhub", dir); err == nil {
		t.Error("--provider dockerhub: no error")
	}
}
