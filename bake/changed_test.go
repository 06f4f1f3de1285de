package bake

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/polyarch/polyarch/internal/testenv"
)

// gitRepo makes a git repository of files with one commit.
func gitRepo(t *testing.T, files map[string]string) string {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		testenv.Skip(t, "git is not installed")
	}
	dir := writeTree(t, files)
	for _, args := range [][]string{{"init", "-q"}, {"add", "-A"}, {"-c", "user.name=t", "-c", "user.email=t@e", "commit", "-qm", "one"}} {
		gitRun(t, dir, args...)
	}
	return dir
}

func gitRun(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
}

// TestChangedSince: a change inside a target's context (or to one of its
// Dockerfiles outside it) selects the target and, through the graph, its
// dependents; a changed project file selects everything.
func TestChangedSince(t *testing.T) {
	files := map[string]string{
		"polyarch.yaml":             graphProject + "  outside:\n    context: solo\n    dockerfile: ../shared/Dockerfile.outside\n",
		"shared/Dockerfile.outside": "FROM scratch\n",
	}
	for k, v := range map[string]string{
		"app/Dockerfile.amd64": "ARG BASE\nFROM ${BASE}\n", "app/Dockerfile.aarch64": "FROM busybox\n",
		"base/Dockerfile": "FROM busybox\n", "base/files/motd": "hi\n",
		"tools/Dockerfile": "FROM scratch\nCOPY --from=localhost:5000/base:arm64v8 /bin/sh /sh\n",
		"docs/Dockerfile":  "FROM scratch\n", "solo/Dockerfile": "FROM scratch\n",
	} {
		files[k] = v
	}
	dir := gitRepo(t, files)
	ref := "HEAD"
	changed := func() []string {
		t.Helper()
		p := load(t, dir, nil)
		rs := resolveAll(t, p)
		names, err := Changed(context.Background(), p, rs, ref)
		if err != nil {
			t.Fatal(err)
		}
		g, err := NewGraph(rs)
		if err != nil {
			t.Fatal(err)
		}
		return g.WithDependents(names)
	}
	if got := changed(); len(got) != 0 {
		t.Errorf("nothing changed, got %v", got)
	}
	os.WriteFile(filepath.Join(dir, "base/files/motd"), []byte("changed\n"), 0o644)
	if got := changed(); !slices.Equal(got, []string{"base", "tools", "app", "docs"}) {
		t.Errorf("base changed: %v", got)
	}
	gitRun(t, dir, "-c", "user.name=t", "-c", "user.email=t@e", "commit", "-qam", "two")
	os.WriteFile(filepath.Join(dir, "solo/new-untracked"), nil, 0o644)
	if got := changed(); !slices.Equal(got, []string{"outside", "solo"}) { // outside's context is solo too
		t.Errorf("untracked file: %v", got)
	}
	os.Remove(filepath.Join(dir, "solo/new-untracked"))
	if got := changed(); len(got) != 0 {
		t.Errorf("clean again: %v", got)
	}
	os.WriteFile(filepath.Join(dir, "shared/Dockerfile.outside"), []byte("FROM scratch\nLABEL a=b\n"), 0o644)
	if got := changed(); !slices.Equal(got, []string{"outside"}) {
		t.Errorf("a Dockerfile outside the context: %v", got)
	}
	ref = "HEAD~1" // the committed base change counts again
	if got := changed(); !slices.Equal(got, []string{"base", "outside", "tools", "app", "docs"}) {
		t.Errorf("since HEAD~1: %v", got)
	}
	os.WriteFile(filepath.Join(dir, "polyarch.yaml"), []byte(files["polyarch.yaml"]+"\n"), 0o644)
	if got := changed(); len(got) != 6 {
		t.Errorf("project file changed: %v", got)
	}
	p := load(t, dir, nil)
	if _, err := Changed(context.Background(), p, resolveAll(t, p), "no-such-ref"); err == nil || !strings.Contains(err.Error(), "git diff") {
		t.Errorf("bad ref: %v", err)
	}
}
