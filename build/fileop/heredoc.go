package fileop

import (
	"os"
	"path/filepath"
	"strconv"
)

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
