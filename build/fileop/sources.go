package fileop

import (
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"strings"
)

// source is the filesystem sources are read from, with .dockerignore
// applied for the build context.
type source struct {
	u              *Union
	ignore         func(rel string) (bool, error)
	descendIgnored bool
	// rootOwned: files are owned by 0:0 when no --chown is given (the
	// build context and heredocs, as BuildKit's transfers make them).
	rootOwned bool
	// context: sockets become empty regular files, as BuildKit's context
	// transfer sends them.
	context bool
}

// child is a directory entry of a source, with whether .dockerignore
// excludes it (only directories that may lead to re-included paths are
// kept when excluded).
type child struct {
	e       entry
	ignored bool
}

// ignored reports whether .dockerignore excludes rel.
func (s *source) ignored(rel string) (bool, error) {
	if s.ignore == nil || rel == "" {
		return false, nil
	}
	ig, err := s.ignore(rel)
	if err != nil {
		return false, fmt.Errorf("matching .dockerignore against %s: %w", rel, err)
	}
	return ig, nil
}

// visible reports whether e exists for the build as transferred: not
// ignored, or an ignored directory that may hold re-included paths.
func (s *source) visible(e entry) (bool, error) {
	ig, err := s.ignored(e.rel)
	if err != nil || !ig {
		return !ig, err
	}
	return e.isDir() && s.descendIgnored, nil
}

// children lists the directory e as the build sees it.
func (s *source) children(e entry) ([]child, error) {
	all, err := s.u.readDir(e)
	if err != nil {
		return nil, err
	}
	out := make([]child, 0, len(all))
	for _, c := range all {
		ig, err := s.ignored(c.rel)
		if err != nil {
			return nil, err
		}
		if ig && !(c.isDir() && s.descendIgnored) {
			continue
		}
		out = append(out, child{e: c, ignored: ig})
	}
	return out, nil
}

// follow resolves rel, symlinks included (COPY follows a symlink named as
// a source), and returns the entry it leads to.
func (s *source) follow(rel string) (entry, error) {
	if vis, err := s.visibleRel(rel); err != nil || !vis {
		return entry{}, notExist(rel, err)
	}
	e, p, err := s.u.resolve(rel, true)
	if err != nil {
		return entry{}, err
	}
	if e.fi == nil {
		return entry{}, notExist(rel, nil)
	}
	if vis, err := s.visible(e); err != nil || !vis {
		return entry{}, notExist(p, err)
	}
	return e, nil
}

// visibleRel checks the path as named (before symlinks are resolved): a
// path .dockerignore excludes is not in the transferred context at all.
func (s *source) visibleRel(rel string) (bool, error) {
	ig, err := s.ignored(rel)
	if err != nil || !ig {
		return !ig, err
	}
	return s.descendIgnored, nil
}

func notExist(rel string, err error) error {
	if err != nil {
		return err
	}
	return &fs.PathError{Op: "stat", Path: rel, Err: fs.ErrNotExist}
}

// glob expands a source with wildcards as BuildKit does: the part before
// the first segment with a wildcard is resolved (symlinks followed), then
// each further segment is matched with filepath.Match against directory
// entries, descending only into real directories. Matches are returned in
// lexical order, below the resolved prefix; a matched symlink itself is
// followed only when copied.
func (s *source) glob(pattern string) ([]string, error) {
	prefix, rest := splitWildcards(pattern)
	base, resolved, err := s.u.resolve(prefix, true)
	if err != nil || base.fi == nil || !base.isDir() {
		return nil, nil // nothing to match in
	}
	if vis, err := s.visible(base); err != nil || !vis {
		return nil, err
	}
	var out []string
	err = s.globIn(base, resolved, strings.Split(rest, "/"), &out)
	return out, err
}

func (s *source) globIn(dir entry, named string, segs []string, out *[]string) error {
	children, err := s.children(dir)
	if err != nil {
		return err
	}
	for _, c := range children {
		name := path.Base(c.e.rel)
		ok, err := filepath.Match(segs[0], name)
		if err != nil {
			return fmt.Errorf("bad wildcard %q: %w", segs[0], err)
		}
		switch {
		case !ok:
		case len(segs) == 1 && !c.ignored:
			*out = append(*out, path.Join(named, name))
		case len(segs) > 1 && c.e.isDir():
			if err := s.globIn(c.e, path.Join(named, name), segs[1:], out); err != nil {
				return err
			}
		}
	}
	return nil
}

// containsWildcards reports whether p has an unescaped "*", "?" or "[".
func containsWildcards(p string) bool {
	for i := 0; i < len(p); i++ {
		switch p[i] {
		case '\\':
			i++
		case '*', '?', '[':
			return true
		}
	}
	return false
}

// splitWildcards splits a clean relative path before its first segment
// that holds a wildcard.
func splitWildcards(p string) (prefix, rest string) {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		if containsWildcards(s) {
			return strings.Join(segs[:i], "/"), strings.Join(segs[i:], "/")
		}
	}
	return p, ""
}
