package fileop

import (
	"errors"
	"io/fs"
	"os"
	"path"
	"strings"
	"syscall"
)

// maxSymlinks bounds the symlinks one resolution follows, as the kernel's
// MAXSYMLINKS does (40), so a loop fails with ELOOP.
const maxSymlinks = 40

// Resolve returns rel with every symlink resolved as if the union were "/":
// absolute targets start again at the union root and ".." stops there, so
// the result never escapes. When followLast is false a final symlink is
// kept. The result is clean and relative ("" for the root). Once a
// component does not exist the rest is taken literally (so a path about to
// be created can be resolved); a component below a non-directory fails with
// ENOTDIR, and a symlink loop with ELOOP.
func (u *Union) Resolve(rel string, followLast bool) (string, error) {
	_, p, err := u.resolve(rel, followLast)
	return p, err
}

// resolve is Resolve that also returns the entry of the result, which has
// a nil fi when the result does not exist.
func (u *Union) resolve(rel string, followLast bool) (entry, string, error) {
	root, err := u.root()
	if err != nil {
		return entry{}, "", err
	}
	stack := []entry{root}
	todo := components(strings.TrimPrefix(rel, "/"))
	var missing []string // components past the first one that does not exist
	links := 0
	for len(todo) > 0 {
		c := todo[0]
		todo = todo[1:]
		if missing != nil {
			// Nothing below a missing component exists: the rest is
			// literal, ".." (only possible from a symlink target) lexical.
			if c == ".." {
				missing = missing[:len(missing)-1]
				if len(missing) == 0 {
					missing = nil
				}
			} else {
				missing = append(missing, c)
			}
			continue
		}
		if c == ".." {
			if len(stack) > 1 {
				stack = stack[:len(stack)-1]
			}
			continue
		}
		e, err := u.child(stack[len(stack)-1], c)
		if errors.Is(err, fs.ErrNotExist) {
			missing = []string{c}
			continue
		}
		if err != nil {
			return entry{}, "", err
		}
		if !e.isSymlink() || (len(todo) == 0 && !followLast) {
			stack = append(stack, e)
			continue
		}
		if links++; links > maxSymlinks {
			return entry{}, "", &fs.PathError{Op: "resolve", Path: display(cleanRel(rel)), Err: syscall.ELOOP}
		}
		target, err := os.Readlink(e.host)
		if err != nil {
			return entry{}, "", err
		}
		if strings.HasPrefix(target, "/") {
			stack = stack[:1]
		}
		todo = append(splitLink(target), todo...)
	}
	var names []string
	for _, e := range stack[1:] {
		names = append(names, path.Base(e.rel))
	}
	last := stack[len(stack)-1]
	if missing != nil {
		names = append(names, missing...)
		last = entry{}
	}
	return last, strings.Join(names, "/"), nil
}

// splitLink splits a symlink target into components, keeping ".." so the
// resolver can apply them against the directory stack.
func splitLink(target string) []string {
	var out []string
	for _, c := range strings.Split(target, "/") {
		if c != "" && c != "." {
			out = append(out, c)
		}
	}
	return out
}
