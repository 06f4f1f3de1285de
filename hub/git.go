package hub

import (
	"context"
	"os/exec"
	"strings"
)

// GitSource is what Docker Hub read from the checkout it built.
type GitSource struct {
	Branch    string // the branch, or the tag when HEAD is detached at one
	Commit    string
	Message   string
	BuildPath string // dir relative to the repository root, "/" or "/sub/dir"
}

// ReadGit reads the checkout containing dir with the git command. ok is
// false when dir is not in a git work tree (or git is missing): the
// caller then relies on flags.
func ReadGit(ctx context.Context, dir string) (src GitSource, ok bool) {
	git := func(args ...string) (string, bool) {
		out, err := exec.CommandContext(ctx, "git", append([]string{"-C", dir}, args...)...).Output()
		return strings.TrimRight(string(out), "\n"), err == nil
	}
	if inside, ok := git("rev-parse", "--is-inside-work-tree"); !ok || inside != "true" {
		return GitSource{}, false
	}
	prefix, _ := git("rev-parse", "--show-prefix")
	src.BuildPath = "/" + strings.TrimSuffix(prefix, "/")
	src.Commit, _ = git("rev-parse", "HEAD")
	src.Message, _ = git("log", "-1", "--format=%B")
	src.Message = strings.TrimRight(src.Message, "\n")
	if b, ok := git("symbolic-ref", "--quiet", "--short", "HEAD"); ok {
		src.Branch = b
	} else if t, ok := git("describe", "--tags", "--exact-match", "HEAD"); ok {
		src.Branch = t
	}
	return src, true
}
