package fileop

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// GitOption configures CloneGit.
type GitOption func(*gitConfig)

type gitConfig struct {
	binary     string
	checksum   string
	submodules bool
}

// WithGitBinary names the git executable. Default "git" (from PATH).
func WithGitBinary(path string) GitOption {
	return func(c *gitConfig) { c.binary = path }
}

// WithGitChecksum is ADD --checksum for a git source: the commit (full, or
// a prefix of at least 7 digits) the checkout must be. Default: none.
func WithGitChecksum(commit string) GitOption {
	return func(c *gitConfig) { c.checksum = commit }
}

// WithGitSubmodules says whether submodules are checked out, as BuildKit
// does unless the URL says ?submodules=false. Default true.
func WithGitSubmodules(on bool) GitOption {
	return func(c *gitConfig) { c.submodules = on }
}

// CloneGit checks a git repository out into dest (created if missing; it
// must be empty) with the host's git, as ADD of a git URL does. rawURL may
// carry BuildKit's "#ref:subdir" fragment and query parameters (see
// ParseGitURL); a non-empty ref argument must agree with them. A branch or
// tag is cloned with --depth 1; a commit needs a full clone and checkout.
// With a subdir only that directory's contents end up in dest (symlinks
// in the subdir path are resolved inside the repository). Unless
// keepGitDir, the .git directory is removed. Credentials come from the
// host's git configuration; git never prompts.
func CloneGit(ctx context.Context, rawURL, ref string, keepGitDir bool, dest string, opts ...GitOption) error {
	cfg := gitConfig{binary: "git", submodules: true}
	for _, o := range opts {
		o(&cfg)
	}
	g, err := ParseGitURL(rawURL)
	if err != nil {
		return fmt.Errorf("ADD failed: %w", err)
	}
	if ref != "" && g.Ref != "" && ref != g.Ref {
		return fmt.Errorf("ADD failed: ref %q conflicts with %q in %s", ref, g.Ref, redact(rawURL))
	}
	if ref == "" {
		ref = g.Ref
	}
	if g.Submodules != nil {
		cfg.submodules = *g.Submodules
	}
	if g.Checksum != "" && cfg.checksum == "" {
		cfg.checksum = g.Checksum
	}
	if err := os.MkdirAll(dest, 0o755); err != nil {
		return fmt.Errorf("ADD failed: %w", err)
	}
	work := dest
	if g.SubDir != "" {
		if work, err = os.MkdirTemp(filepath.Dir(filepath.Clean(dest)), ".git-clone-"); err != nil {
			return fmt.Errorf("ADD failed: %w", err)
		}
		defer os.RemoveAll(work)
	}
	gr := gitRunner{ctx: ctx, cfg: cfg, remote: g.Remote}
	if err := gr.checkout(work, ref); err != nil {
		return err
	}
	if g.SubDir != "" {
		if err := moveSubdir(work, g.SubDir, dest); err != nil {
			return err
		}
	}
	if !keepGitDir {
		if err := os.RemoveAll(filepath.Join(dest, ".git")); err != nil {
			return fmt.Errorf("ADD failed: %w", err)
		}
	}
	return nil
}

// gitRunner runs git for one clone.
type gitRunner struct {
	ctx    context.Context
	cfg    gitConfig
	remote string
}

// checkout clones the remote into dir at ref and verifies the checksum.
func (g gitRunner) checkout(dir, ref string) error {
	short := strings.TrimPrefix(strings.TrimPrefix(ref, "refs/heads/"), "refs/tags/")
	var err error
	switch {
	case ref == "":
		err = g.run("", "clone", "--depth", "1", "--", g.remote, dir)
	case !isCommitish(ref) && !strings.HasPrefix(short, "refs/"):
		err = g.run("", "clone", "--depth", "1", "--branch", short, "--", g.remote, dir)
		if err != nil {
			err = g.fullCheckout(dir, ref, err)
		}
	default:
		err = g.fullCheckout(dir, ref, nil)
	}
	if err != nil {
		return err
	}
	if g.cfg.submodules {
		if _, serr := os.Stat(filepath.Join(dir, ".gitmodules")); serr == nil {
			if err := g.run(dir, "submodule", "update", "--init", "--recursive", "--depth", "1"); err != nil {
				return err
			}
		}
	}
	return g.verify(dir)
}

// fullCheckout clones everything and checks ref out (a commit, or a ref
// "clone --branch" does not take). prev is the error of a shallow attempt.
func (g gitRunner) fullCheckout(dir, ref string, prev error) error {
	if prev != nil {
		if err := emptyDir(dir); err != nil {
			return err
		}
	}
	if err := g.run("", "clone", "--no-checkout", "--", g.remote, dir); err != nil {
		return err
	}
	if err := g.run(dir, "-c", "advice.detachedHead=false", "checkout", "--detach", ref, "--"); err == nil {
		return nil
	}
	if err := g.run(dir, "fetch", "origin", ref); err != nil {
		if prev != nil {
			return prev
		}
		return fmt.Errorf("%w (is %q a branch, tag or commit of the repository?)", err, ref)
	}
	return g.run(dir, "-c", "advice.detachedHead=false", "checkout", "--detach", "FETCH_HEAD", "--")
}

// verify checks the checked-out commit against the checksum.
func (g gitRunner) verify(dir string) error {
	if g.cfg.checksum == "" {
		return nil
	}
	out, err := g.output(dir, "rev-parse", "HEAD")
	if err != nil {
		return err
	}
	head := strings.TrimSpace(out)
	want := strings.ToLower(g.cfg.checksum)
	if len(want) < 7 || !strings.HasPrefix(head, want) {
		return fmt.Errorf("ADD failed: %w for %s: got commit %s, expected %s", ErrChecksum, redact(g.remote), head, g.cfg.checksum)
	}
	return nil
}

func (g gitRunner) run(dir string, args ...string) error {
	_, err := g.output(dir, args...)
	return err
}

// output runs git with args in dir and returns its stdout; an error
// carries git's stderr.
func (g gitRunner) output(dir string, args ...string) (string, error) {
	cmd := exec.CommandContext(g.ctx, g.cfg.binary, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_TERMINAL_PROMPT=0", "LC_ALL=C")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		var ee *exec.Error
		if errors.As(err, &ee) {
			return "", fmt.Errorf("ADD failed: git is needed for git sources: %w (install git)", err)
		}
		return "", fmt.Errorf("ADD failed: git %s %s: %w: %s", args[0], redact(g.remote), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}

// moveSubdir moves the contents of subdir of the checkout work into dest.
func moveSubdir(work, subdir, dest string) error {
	u := NewUnion([]string{work})
	e, rel, err := u.resolve(subdir, true)
	if err == nil && (e.fi == nil || !e.isDir()) {
		err = &fs.PathError{Op: "stat", Path: subdir, Err: fs.ErrNotExist}
	}
	if err != nil {
		return fmt.Errorf("ADD failed: subdirectory %q of the repository: %w", subdir, err)
	}
	src := filepath.Join(work, filepath.FromSlash(rel))
	des, err := os.ReadDir(src)
	if err != nil {
		return fmt.Errorf("ADD failed: %w", err)
	}
	for _, d := range des {
		if err := os.Rename(filepath.Join(src, d.Name()), filepath.Join(dest, d.Name())); err != nil {
			return fmt.Errorf("ADD failed: %w", err)
		}
	}
	return nil
}

// emptyDir removes the contents of dir.
func emptyDir(dir string) error {
	des, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, d := range des {
		if err := os.RemoveAll(filepath.Join(dir, d.Name())); err != nil {
			return err
		}
	}
	return nil
}
