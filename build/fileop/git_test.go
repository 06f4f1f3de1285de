package fileop

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestParseGitURL(t *testing.T) {
	yes, no := true, false
	tests := []struct {
		in   string
		want GitRef
		err  string
	}{
		{in: "https://github.com/foo/bar.git", want: GitRef{Remote: "https://github.com/foo/bar.git"}},
		{in: "https://github.com/foo/bar.git#v1.0:docs/x", want: GitRef{Remote: "https://github.com/foo/bar.git", Ref: "v1.0", SubDir: "docs/x"}},
		{in: "git@github.com:foo/bar.git#main", want: GitRef{Remote: "git@github.com:foo/bar.git", Ref: "main"}},
		{in: "https://h/r.git#:sub", want: GitRef{Remote: "https://h/r.git", SubDir: "sub"}},
		{in: "https://h/r.git?tag=v2&subdir=a&keep-git-dir=true&submodules=false&checksum=abc1234",
			want: GitRef{Remote: "https://h/r.git", Ref: "refs/tags/v2", SubDir: "a", Checksum: "abc1234", KeepGitDir: &yes, Submodules: &no}},
		{in: "https://h/r.git?branch=dev", want: GitRef{Remote: "https://h/r.git", Ref: "refs/heads/dev"}},
		{in: "https://h/r.git?ref=a#b", err: "ref conflicts"},
		{in: "https://h/r.git?bogus=1", err: "unexpected query"},
		{in: "-uhttps://evil", err: "invalid git URL"},
	}
	for _, tc := range tests {
		got, err := ParseGitURL(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseGitURL(%q) err = %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParseGitURL(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
}

// gitRepo makes a repository: v1 tags the first commit (a.txt "one",
// sub/b.txt, sub/link), main has a.txt "two", branch feature adds f.txt.
// It returns the file:// URL and the first commit.
func gitRepo(t *testing.T) (string, string) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		skip(t, "git not installed")
	}
	dir := t.TempDir()
	git := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-c", "user.name=t", "-c", "user.email=t@e", "-c", "init.defaultBranch=main"}, args...)...)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v: %s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	write := func(rel, data string) {
		p := filepath.Join(dir, rel)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	git("init", "-q")
	write("a.txt", "one")
	write("sub/b.txt", "bee")
	if err := os.Symlink("b.txt", filepath.Join(dir, "sub/link")); err != nil {
		t.Fatal(err)
	}
	git("add", ".")
	git("commit", "-q", "-m", "1")
	first := git("rev-parse", "HEAD")
	git("tag", "v1")
	write("a.txt", "two")
	git("commit", "-q", "-am", "2")
	git("checkout", "-q", "-b", "feature")
	write("f.txt", "feat")
	git("add", ".")
	git("commit", "-q", "-m", "3")
	git("checkout", "-q", "main")
	return "file://" + dir, first
}

func TestCloneGit(t *testing.T) {
	url, first := gitRepo(t)
	tests := []struct {
		name    string
		url     string
		ref     string
		keepGit bool
		opts    []GitOption
		want    map[string]string // file -> content ("" for must not exist)
		err     string
	}{
		{name: "default branch", url: url, want: map[string]string{"a.txt": "two", "sub/b.txt": "bee", ".git": "", "f.txt": ""}},
		{name: "keep .git", url: url, keepGit: true, want: map[string]string{"a.txt": "two", ".git/HEAD": "*"}},
		{name: "tag", url: url, ref: "v1", want: map[string]string{"a.txt": "one"}},
		{name: "branch in the fragment", url: url + "#feature", want: map[string]string{"f.txt": "feat"}},
		{name: "branch by query", url: url + "?branch=feature", want: map[string]string{"f.txt": "feat"}},
		{name: "commit", url: url, ref: first, want: map[string]string{"a.txt": "one"}},
		{name: "short commit", url: url, ref: first[:10], want: map[string]string{"a.txt": "one"}},
		{name: "subdir", url: url + "#v1:sub", want: map[string]string{"b.txt": "bee", "a.txt": "", "sub": ""}},
		{name: "checksum", url: url + "#v1", opts: []GitOption{WithGitChecksum(first)}, want: map[string]string{"a.txt": "one"}},
		{name: "checksum mismatch", url: url, opts: []GitOption{WithGitChecksum(first)}, err: "checksum mismatch"},
		{name: "unknown ref", url: url, ref: "nope", err: "git"},
		{name: "missing subdir", url: url + "#:nope", err: `subdirectory "nope"`},
		{name: "conflicting refs", url: url + "#v1", ref: "main", err: "conflicts"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dest := filepath.Join(t.TempDir(), "checkout")
			err := CloneGit(context.Background(), tc.url, tc.ref, tc.keepGit, dest, tc.opts...)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				if strings.Contains(tc.err, "checksum") && !errors.Is(err, ErrChecksum) {
					t.Errorf("err is not ErrChecksum")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for rel, want := range tc.want {
				data, err := os.ReadFile(filepath.Join(dest, rel))
				switch {
				case want == "":
					if _, serr := os.Lstat(filepath.Join(dest, rel)); serr == nil {
						t.Errorf("%s exists", rel)
					}
				case err != nil:
					t.Errorf("%s: %v", rel, err)
				case want != "*" && string(data) != want:
					t.Errorf("%s = %q, want %q", rel, data, want)
				}
			}
		})
	}
}
