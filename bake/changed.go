package bake

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
)

// Changed returns the targets of rs (in their order) whose inputs changed
// since ref: a file `git diff --name-only ref` lists (committed since, staged
// or not) or an untracked file not ignored, inside a target's context
// directories or naming one of its Dockerfiles or templates. A changed
// project file changes every target. p.Dir must be in a git work tree.
func Changed(ctx context.Context, p *Project, rs []*Resolved, ref string) ([]string, error) {
	top, err := git(ctx, p.Dir, "rev-parse", "--show-toplevel")
	if err != nil {
		return nil, err
	}
	top = strings.TrimSpace(top)
	diff, err := git(ctx, top, "diff", "--name-only", "-z", ref, "--")
	if err != nil {
		return nil, err
	}
	untracked, err := git(ctx, top, "ls-files", "--others", "--exclude-standard", "-z")
	if err != nil {
		return nil, err
	}
	var changed []string
	for _, f := range strings.Split(diff+untracked, "\x00") {
		if f != "" {
			changed = append(changed, filepath.Join(top, f))
		}
	}
	all := false
	for _, pf := range p.Files {
		all = all || anyWithin(realPath(pf), changed)
	}
	var out []string
	for _, r := range rs {
		hit := all
		for _, in := range r.Inputs {
			hit = hit || anyWithin(realPath(in), changed)
		}
		if hit {
			out = append(out, r.Name)
		}
	}
	return out, nil
}

// anyWithin reports whether one of files is path or lies below it.
func anyWithin(path string, files []string) bool {
	for _, f := range files {
		rel, err := filepath.Rel(path, f)
		if err == nil && rel != ".." && !strings.HasPrefix(rel, "../") {
			return true
		}
	}
	return false
}

// realPath resolves symlinks (git prints real paths), keeping p when it
// does not exist.
func realPath(p string) string {
	if r, err := filepath.EvalSymlinks(p); err == nil {
		return r
	}
	return p
}

func git(ctx context.Context, dir string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", append([]string{"-C", dir}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("--changed-since: git %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}
