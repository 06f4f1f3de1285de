package e2e

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// copyTree copies testdata's src to dst, keeping the executable bits.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		st, _ := d.Info()
		return os.WriteFile(target, b, st.Mode().Perm())
	})
	if err != nil {
		t.Fatal(err)
	}
}

// gitRepo makes dir a git checkout on branch main with one commit and
// returns the commit.
func gitRepo(t *testing.T, dir, message string) string {
	t.Helper()
	git := func(args ...string) string {
		cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
		cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1",
			"GIT_AUTHOR_NAME=e2e", "GIT_AUTHOR_EMAIL=e2e@example", "GIT_COMMITTER_NAME=e2e", "GIT_COMMITTER_EMAIL=e2e@example")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	git("init", "-q", "-b", "main")
	git("add", ".")
	git("commit", "-q", "-m", message)
	return git("rev-parse", "HEAD")
}

// recorded reads the hooks' record: each hook's name and what it saw.
func recorded(t *testing.T, path string) (order []string, seen map[string]map[string]string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("no record of the hooks: %v", err)
	}
	seen = map[string]map[string]string{}
	var cur string
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if name, ok := strings.CutPrefix(line, "hook="); ok {
			cur = name
			order = append(order, name)
			seen[cur] = map[string]string{}
			continue
		}
		k, v, _ := strings.Cut(strings.TrimSpace(line), "=")
		seen[cur][k] = v
	}
	return order, seen
}

// TestHubBuildPerArchFolders runs a Docker Hub build directory of the
// per-arch folder layout (amd64/, arm64v8/) whose hooks record what they
// see, register QEMU the classic way, build both folders with docker
// build, list them with docker manifest create/annotate, push them and
// the list: the hooks run in Docker Hub's order with its variables, and
// the pushed index runs on both platforms.
func TestHubBuildPerArchFolders(t *testing.T) {
	reg := registry(t)
	root := storeFlag(t)
	repo := t.TempDir()
	dir := filepath.Join(repo, "images", "web")
	copyTree(t, filepath.Join("testdata", "hub", "web"), dir)
	commit := gitRepo(t, repo, "web: per-arch folders")
	record := filepath.Join(t.TempDir(), "record")
	image := reg + "/e2e/hub"

	r := polyarch(t, runOpts{env: []string{"RECORD=" + record, "REG=" + reg}}, root,
		"hub", "build", "--repo", image, "--tag", "v1", "--push", dir).mustOK(t)
	t.Logf("hub build stderr:\n%s", r.stderr)

	order, seen := recorded(t, record)
	want := "post_checkout pre_build build post_build pre_test test post_test pre_push push post_push"
	if got := strings.Join(order, " "); got != want {
		t.Errorf("hooks ran in the order %s, want %s", got, want)
	}
	contract := map[string]string{
		"SOURCE_BRANCH": "main", "SOURCE_COMMIT": commit, "COMMIT_MSG": "web: per-arch folders",
		"DOCKER_REPO": image, "DOCKERFILE_PATH": "Dockerfile", "DOCKER_TAG": "v1", "IMAGE_NAME": image + ":v1",
		"CACHE_TAG": "v1", "BUILD_PATH": "/images/web", "pwd": dir,
	}
	for _, hook := range order {
		for k, v := range contract {
			if seen[hook][k] != v {
				t.Errorf("hook %s saw %s=%q, want %q", hook, k, seen[hook][k], v)
			}
		}
	}
	for _, w := range []string{
		"multiarch/qemu-user-static:register (to register QEMU host-wide) is not run",
		"=> Executing hooks/post_push",
		"every phase succeeded",
	} {
		if !strings.Contains(r.stderr, w) {
			t.Errorf("stderr lacks %q", w)
		}
	}

	idx := inspectIndex(t, root, image+":v1")
	var plats []string
	for _, m := range idx.Manifest.Manifests {
		plats = append(plats, m.Platform.OS+"/"+m.Platform.Architecture)
	}
	if strings.Join(plats, " ") != "linux/amd64 linux/arm64" {
		t.Errorf("%s:v1 lists %v, want linux/amd64 linux/arm64", image, plats)
	}
	fresh := storeFlag(t)
	for plat, want := range map[string]string{"linux/arm64": "arm64v8 folder, aarch64", "linux/amd64": "amd64 folder, x86_64"} {
		r := polyarch(t, runOpts{}, fresh, "run", "--platform", plat, image+":v1").mustOK(t)
		if got := strings.TrimSpace(r.stdout); got != want {
			t.Errorf("run --platform %s %s:v1 printed %q, want %q", plat, image, got, want)
		}
	}
	// post_build's docker tag, pushed by the push hook.
	r = polyarch(t, runOpts{}, fresh, "run", image+":amd64").mustOK(t)
	if got := strings.TrimSpace(r.stdout); got != "amd64 folder, x86_64" {
		t.Errorf("%s:amd64 printed %q", image, got)
	}
}

// TestHubBuildFailingHook: a hook calling a docker verb the shim does not
// serve stops the build with the hook's exit code, naming the hook and
// the verb.
func TestHubBuildFailingHook(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "hooks"), 0o755)
	os.WriteFile(filepath.Join(dir, "hooks", "pre_build"), []byte("#!/bin/sh\ndocker pull busybox\n"), 0o755)
	os.WriteFile(filepath.Join(dir, "hooks", "build"), []byte("#!/bin/sh\necho must not run >&2\nexit 9\n"), 0o755)
	r := polyarch(t, runOpts{}, storeFlag(t), "hub", "build", dir)
	r.mustFail(t, "docker pull is not served by polyarch's docker shim", "hook pre_build failed with exit code 1")
	if r.code != 1 || strings.Contains(r.stderr, "must not run") {
		t.Errorf("exit %d, stderr:\n%s", r.code, r.stderr)
	}
	os.WriteFile(filepath.Join(dir, "hooks", "pre_build"), []byte("#!/bin/sh\nexit 0\n"), 0o755)
	r = polyarch(t, runOpts{}, storeFlag(t), "hub", "build", dir)
	if r.mustFail(t, "hook build failed with exit code 9"); r.code != 9 {
		t.Errorf("exit %d, want the build hook's 9", r.code)
	}
}

// TestHubBuildDefaultSteps: without hooks, hub build runs Docker Hub's
// default build (for --platform) and push.
func TestHubBuildDefaultSteps(t *testing.T) {
	reg := registry(t)
	dir := writeContext(t, map[string]string{"Dockerfile": "FROM " + reg + "/library/busybox\nRUN uname -m > /arch\nCMD [\"cat\", \"/arch\"]\n"})
	r := polyarch(t, runOpts{}, storeFlag(t), "hub", "build", "--repo", reg+"/e2e/hubdefault", "--tag", "edge",
		"--platform", "linux/arm64", "--push", dir).mustOK(t)
	for _, w := range []string{"=> Default build step", "=> Default push step", "pushed " + reg + "/e2e/hubdefault:edge"} {
		if !strings.Contains(r.stderr, w) {
			t.Errorf("stderr lacks %q:\n%s", w, r.stderr)
		}
	}
	r = polyarch(t, runOpts{}, storeFlag(t), "run", reg+"/e2e/hubdefault:edge").mustOK(t)
	if got := strings.TrimSpace(r.stdout); got != "aarch64" {
		t.Errorf("the default build ran as %q, want aarch64", got)
	}
}
