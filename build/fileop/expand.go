package fileop

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
)

// expand turns Sources into items: wildcards expanded, symlinks followed,
// archives recognised for ADD.
func (c *copier) expand() ([]*item, error) {
	var items []*item
	for g, s := range c.req.Sources {
		if c.req.Parents {
			its, err := c.expandParents(g, s)
			if err != nil {
				return nil, err
			}
			items = append(items, its...)
			continue
		}
		rel, err := c.req.cleanSource(s)
		if err != nil {
			return nil, err
		}
		names, shown := []string{rel}, s
		if containsWildcards(rel) {
			if names, err = c.src.glob(rel); err != nil {
				return nil, c.req.fail(err)
			}
			if len(names) == 0 && !c.req.AllowEmptyWildcard {
				return nil, c.req.fail(fmt.Errorf("%w: %q matched nothing", ErrNoSources, s))
			}
		}
		for _, n := range names {
			if len(names) > 1 || n != rel {
				shown = n // name the match, not the pattern
			}
			it, err := c.newItem(g, shown, n)
			if err != nil {
				return nil, err
			}
			items = append(items, it)
		}
	}
	return items, nil
}

// newItem follows the source name (shown as src in messages) and checks
// for archives.
func (c *copier) newItem(group int, src, name string) (*item, error) {
	e, err := c.src.follow(name)
	if err != nil {
		return nil, c.req.notFound(src, err)
	}
	it := &item{src: c.src, name: name, e: e, group: group}
	if c.req.Add && e.fi.Mode().IsRegular() {
		if it.archive, err = isArchive(c.ctx, e.host); err != nil {
			return nil, c.req.fail(fmt.Errorf("reading %s: %w", src, err))
		}
	}
	return it, nil
}

// expandParents expands a --parents source: the part before a "/./" pivot
// (the Src root when there is none) is copied with the rest as an include
// pattern, so the rest keeps its directories under Dest.
func (c *copier) expandParents(group int, s string) ([]*item, error) {
	base, pattern, ok := strings.Cut(s, "/./")
	if !ok {
		base, pattern = "/", s
	}
	baseRel, err := c.req.cleanSource(base)
	if err != nil {
		return nil, err
	}
	pattern, err = c.req.cleanSource(pattern)
	if err != nil {
		return nil, err
	}
	wild := containsWildcards(baseRel) || containsWildcards(pattern)
	if !wild {
		if _, err := c.src.follow(path.Join(baseRel, pattern)); err != nil {
			return nil, c.req.notFound(s, err)
		}
	}
	bases := []string{baseRel}
	if containsWildcards(baseRel) {
		if bases, err = c.src.glob(baseRel); err != nil {
			return nil, c.req.fail(err)
		}
	}
	var items []*item
	for _, b := range bases {
		it, err := c.newItem(group, s, b)
		if err != nil {
			return nil, err
		}
		if !it.e.isDir() {
			return nil, c.req.fail(fmt.Errorf("--parents source %s: %s is not a directory", s, b))
		}
		it.archive, it.include, it.wildcard = false, pattern, wild
		items = append(items, it)
	}
	if len(items) == 0 && !c.req.AllowEmptyWildcard {
		return nil, c.req.fail(fmt.Errorf("%w: %q matched nothing", ErrNoSources, s))
	}
	return items, nil
}

// checkParentsMatched fails when a --parents wildcard copied nothing.
func (c *copier) checkParentsMatched(items []*item) error {
	if !c.req.Parents || c.req.AllowEmptyWildcard {
		return nil
	}
	copied := map[int]int{}
	for _, it := range items {
		if it.wildcard {
			copied[it.group] += it.copied
		}
	}
	for g, n := range copied {
		if n == 0 {
			return c.req.fail(fmt.Errorf("%w: %q matched nothing", ErrNoSources, c.req.Sources[g]))
		}
	}
	return nil
}

// heredocItems writes the heredocs to a temporary directory (each in its
// own subdirectory, so equal names do not collide) and returns them as
// items: BuildKit makes each one a file in a scratch filesystem, mode 0644
// and owned by root, then copies it like a source file.
func (c *copier) heredocItems() ([]*item, func(), error) {
	tmp, err := os.MkdirTemp("", "fileop-heredoc-")
	if err != nil {
		return nil, func() {}, err
	}
	cleanup := func() { os.RemoveAll(tmp) }
	s := &source{u: NewUnion([]string{tmp}), rootOwned: true}
	var items []*item
	for i, h := range c.req.Heredocs {
		mode := h.Mode.Perm()
		if mode == 0 {
			mode = 0o644
		}
		rel := filepath.Join(strconv.Itoa(i), h.Name)
		p := filepath.Join(tmp, rel)
		if err := os.Mkdir(filepath.Dir(p), 0o700); err != nil {
			return nil, cleanup, err
		}
		if err := os.WriteFile(p, []byte(h.Data), 0o600); err != nil {
			return nil, cleanup, err
		}
		if err := os.Chmod(p, mode); err != nil {
			return nil, cleanup, err
		}
		if err := os.Chtimes(p, c.now, c.now); err != nil {
			return nil, cleanup, err
		}
		e, err := s.follow(filepath.ToSlash(rel))
		if err != nil {
			return nil, cleanup, err
		}
		items = append(items, &item{src: s, name: h.Name, e: e, group: -1})
	}
	return items, cleanup, nil
}
