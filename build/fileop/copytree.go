package fileop

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
	"syscall"

	"github.com/moby/patternmatcher"
	"golang.org/x/sys/unix"
)

// dirTarget is a directory of Out being copied into. A directory that is
// not copied itself (excluded, ignored, or outside the --parents pattern)
// but may lead to paths that are, is created only when one of them is:
// that is how BuildKit's copy creates the parents of included paths.
type dirTarget struct {
	parent *dirTarget
	name   string
	rel    string
	src    *source
	from   entry // the source directory whose metadata it gets
	e      entry // its entry in the destination view, once ready
	ready  bool
}

// matchState carries the parent's pattern results down the walk.
type matchState struct{ inc, exc patternmatcher.MatchInfo }

// materialize creates d (and its pending parents) in Out. A directory
// already in the view is merged, and takes the source's metadata, as
// BuildKit's copy does for directories below the copy root.
func (c *copier) materialize(d *dirTarget) error {
	if d.ready {
		return nil
	}
	if err := c.materialize(d.parent); err != nil {
		return err
	}
	mk := func() (meta, error) { return c.srcMeta(d.src, d.from) }
	e, err := c.dst.ensureChild(d.parent.e, d.name, mk, true)
	if errors.Is(err, syscall.ENOTDIR) {
		return fmt.Errorf("cannot copy to non-directory: %s", display(d.rel))
	}
	if err != nil {
		return err
	}
	d.e, d.ready = e, true
	if c.cur != nil {
		c.cur.copied++
	}
	return nil
}

// copyDir copies the contents of the source directory from into d. comp
// is the path of from below the copy root, which --exclude and --parents
// patterns are matched against.
func (c *copier) copyDir(s *source, from entry, comp string, d *dirTarget, ms matchState) error {
	children, err := s.children(from)
	if err != nil {
		return err
	}
	for _, ch := range children {
		if err := c.ctx.Err(); err != nil {
			return err
		}
		name := path.Base(ch.e.rel)
		cc := path.Join(comp, name)
		inc, exc, next, err := c.match(cc, ms)
		if err != nil {
			return err
		}
		take := inc && !exc && !ch.ignored
		if !ch.e.isDir() {
			if take {
				if err := c.writeNode(s, d, name, ch.e); err != nil {
					return err
				}
			}
			continue
		}
		sub := &dirTarget{parent: d, name: name, rel: path.Join(d.rel, name), src: s, from: ch.e}
		if take {
			if err := c.materialize(sub); err != nil {
				return err
			}
		} else if !c.descend(cc, inc, exc) {
			continue
		}
		if err := c.copyDir(s, ch.e, cc, sub, next); err != nil {
			return err
		}
	}
	return nil
}

// match applies the --parents include pattern and the --exclude patterns
// to comp, with the parent directory's results.
func (c *copier) match(comp string, ms matchState) (inc, exc bool, next matchState, err error) {
	inc = true
	if c.inc != nil {
		if inc, next.inc, err = c.inc.MatchesUsingParentResults(comp, ms.inc); err != nil {
			return false, false, next, fmt.Errorf("matching --parents pattern: %w", err)
		}
	}
	if c.exc != nil {
		if exc, next.exc, err = c.exc.MatchesUsingParentResults(comp, ms.exc); err != nil {
			return false, false, next, fmt.Errorf("matching --exclude patterns: %w", err)
		}
	}
	return inc, exc, next, nil
}

// descend reports whether a directory that is not copied itself may still
// hold paths that are.
func (c *copier) descend(comp string, inc, exc bool) bool {
	if exc && !c.exc.Exclusions() {
		return false
	}
	return inc || mayContain(c.incP, comp)
}

// mayContain reports whether pattern may match a path below dir.
func mayContain(pattern, dir string) bool {
	ps := strings.Split(pattern, "/")
	for i, d := range strings.Split(dir, "/") {
		if i >= len(ps) {
			return false
		}
		if strings.Contains(ps[i], "**") {
			return true
		}
		if ok, _ := path.Match(ps[i], d); !ok {
			return false
		}
	}
	return true
}

// writeNode copies the non-directory from to name in d.
func (c *copier) writeNode(s *source, d *dirTarget, name string, from entry) error {
	if err := c.materialize(d); err != nil {
		return err
	}
	rel := path.Join(d.rel, name)
	host := c.dst.host(rel)
	ex, err := c.dst.view.child(d.e, name)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return err
	case ex.isDir():
		return fmt.Errorf("cannot replace to directory %s with file", display(rel))
	case ex.layer == 0:
		if err := os.Remove(host); err != nil {
			return err
		}
	}
	m, err := c.srcMeta(s, from)
	if err != nil {
		return err
	}
	mode := from.fi.Mode()
	switch {
	case mode.IsRegular():
		err = c.writeFile(from, host)
	case mode&fs.ModeSymlink != 0:
		var target string
		if target, err = os.Readlink(from.host); err == nil {
			err = os.Symlink(target, host)
		}
	case mode&fs.ModeSocket != 0 && s.context:
		// BuildKit's context transfer sends a socket as an empty file.
		m.mode = m.mode.Perm() | m.mode&(fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky)
		err = os.WriteFile(host, nil, 0o600)
	default:
		err = mknod(host, mode, from.fi)
	}
	if err != nil {
		return err
	}
	if c.cur != nil {
		c.cur.copied++
	}
	return m.apply(host)
}

// writeFile copies a regular file, or hardlinks it to an earlier copy of
// the same source inode so hardlinks within one COPY are kept.
func (c *copier) writeFile(from entry, host string) error {
	st, _ := from.fi.Sys().(*syscall.Stat_t)
	var key inode
	if st != nil && st.Nlink > 1 {
		key = inode{dev: st.Dev, ino: st.Ino}
		if first, ok := c.links[key]; ok {
			return os.Link(first, host)
		}
	}
	in, err := os.Open(from.host)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(host, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("copying %s: %w", display(from.rel), err)
	}
	if err := out.Close(); err != nil {
		return err
	}
	if key != (inode{}) {
		c.links[key] = host
	}
	return nil
}

// mknod creates a device node, FIFO or socket like the source.
func mknod(host string, mode fs.FileMode, fi fs.FileInfo) error {
	var typ uint32
	switch {
	case mode&fs.ModeCharDevice != 0:
		typ = unix.S_IFCHR
	case mode&fs.ModeDevice != 0:
		typ = unix.S_IFBLK
	case mode&fs.ModeNamedPipe != 0:
		typ = unix.S_IFIFO
	case mode&fs.ModeSocket != 0:
		typ = unix.S_IFSOCK
	default:
		return fmt.Errorf("%s: unsupported file type %s", host, mode.Type())
	}
	var rdev uint64
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		rdev = st.Rdev
	}
	if err := unix.Mknod(host, typ|0o600, int(rdev)); err != nil {
		return &fs.PathError{Op: "mknod", Path: host, Err: err}
	}
	return nil
}

// srcMeta is the metadata a copy of e gets: the source's, with --chown
// (or root for the context) and --chmod applied.
func (c *copier) srcMeta(s *source, e entry) (meta, error) {
	m, err := readMeta(e.host, e.fi)
	if err != nil {
		return meta{}, err
	}
	switch {
	case c.req.Chown != nil:
		m.uid, m.gid = c.req.Chown.UID, c.req.Chown.GID
	case s.rootOwned:
		m.uid, m.gid = 0, 0
	}
	if m.mode&fs.ModeSymlink == 0 {
		m.mode = c.chmod.apply(m.mode)
	}
	return m, nil
}
