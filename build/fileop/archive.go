package fileop

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"syscall"

	"github.com/polyarch/polyarch/rootfs"
)

// extract is ADD of a local archive: its contents are extracted into Dest
// (always a directory, created 0755 if missing) as BuildKit does with
// chrootarchive.Untar: the archive's entries keep their owners and modes
// (--chown overrides the owner, --chmod does not apply), and paths are
// resolved inside the image, so an entry below an existing symlink lands
// where the symlink leads.
//
// The archive is unpacked safely by rootfs.Unpack into a directory inside
// Out, then merged into the destination view: directories the archive
// lists take the archive's metadata, directories it only implies keep
// the image's.
func (c *copier) extract(it *item) error {
	destRel, err := c.dst.resolve(c.req.Dest)
	if err != nil {
		return err
	}
	created := func() (meta, error) { return createdMeta(fs.ModeDir|0o755, c.owner(), c.now), nil }
	root, err := c.dst.ensureDir(destRel, created)
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(c.req.Out, ".fileop-add-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	explicit, err := c.unpackTo(it.e.host, tmp)
	if err != nil {
		return err
	}
	if c.req.Chown != nil {
		if err := chownTree(tmp, *c.req.Chown); err != nil {
			return err
		}
	}
	if explicit[""] {
		m, err := hostMeta(tmp)
		if err != nil {
			return err
		}
		c.dst.setDirMeta(destRel, m)
	}
	m := merger{c: c, tmp: tmp, explicit: explicit, implied: created}
	return m.merge("", root)
}

// unpackTo decompresses and unpacks the archive at host into dir, and
// returns the directories its headers list (clean relative paths, "" for
// the root), read from the same stream.
func (c *copier) unpackTo(host, dir string) (map[string]bool, error) {
	f, err := os.Open(host)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r, closeFn, err := decompress(c.ctx, f)
	if err != nil {
		return nil, fmt.Errorf("decompressing %s: %w", display(c.cur.name), err)
	}
	defer closeFn()

	pr, pw := io.Pipe()
	explicit := map[string]bool{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		tr := tar.NewReader(pr)
		for {
			hdr, err := tr.Next()
			if err != nil {
				break
			}
			if hdr.Typeflag == tar.TypeDir {
				explicit[cleanRel(hdr.Name)] = true
			}
		}
		_, _ = io.Copy(io.Discard, pr)
	}()
	opts := []rootfs.UnpackOption{
		rootfs.WithWhiteoutMode(rootfs.ApplyWhiteouts),
		rootfs.WithOwnership(c.req.Chown == nil),
	}
	_, err = rootfs.Unpack(c.ctx, io.TeeReader(r, pw), dir, opts...)
	pw.Close()
	<-done
	if err != nil {
		return nil, fmt.Errorf("extracting %s: %w", display(c.cur.name), err)
	}
	return explicit, nil
}

// chownTree gives every entry below dir (dir included) the owner ids. As
// chown clears setuid and setgid, the mode is set again afterwards.
func chownTree(dir string, ids IDs) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		if err := os.Lchown(p, ids.UID, ids.GID); err != nil {
			return err
		}
		if fi.Mode()&(fs.ModeSetuid|fs.ModeSetgid) != 0 && fi.Mode()&fs.ModeSymlink == 0 {
			return os.Chmod(p, fi.Mode())
		}
		return nil
	})
}

// hostMeta reads the metadata of a host path.
func hostMeta(p string) (meta, error) {
	fi, err := os.Lstat(p)
	if err != nil {
		return meta{}, err
	}
	return readMeta(p, fi)
}

// merger moves an unpacked archive into Out, entry by entry where the
// destination view already has something, whole subtrees elsewhere.
type merger struct {
	c        *copier
	tmp      string
	explicit map[string]bool
	implied  func() (meta, error)
}

// merge moves the unpacked directory arch (relative to tmp) into the
// destination directory parent.
func (m *merger) merge(arch string, parent entry) error {
	des, err := os.ReadDir(filepath.Join(m.tmp, filepath.FromSlash(arch)))
	if err != nil {
		return err
	}
	d := m.c.dst
	for _, de := range des {
		if err := m.c.ctx.Err(); err != nil {
			return err
		}
		ar := path.Join(arch, de.Name())
		from := filepath.Join(m.tmp, filepath.FromSlash(ar))
		rel := path.Join(parent.rel, de.Name())
		ex, err := d.view.child(parent, de.Name())
		exists := err == nil
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		switch {
		case de.IsDir() && exists && ex.isDir():
			err = m.mergeDir(ar, from, parent, ex)
		case de.IsDir() && exists && ex.isSymlink() && !m.explicit[ar]:
			err = m.throughSymlink(ar, rel)
		case de.IsDir() && exists && !ex.isSymlink() && !m.explicit[ar]:
			err = &fs.PathError{Op: "mkdir", Path: display(rel), Err: syscall.ENOTDIR}
		default:
			err = m.move(from, rel, de.IsDir(), exists && ex.layer == 0)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// mergeDir merges the archive directory ar into the existing directory ex
// of the view: it takes the archive's metadata if the archive lists it,
// else keeps its own.
func (m *merger) mergeDir(ar, from string, parent, ex entry) error {
	var dm meta
	var err error
	if m.explicit[ar] {
		dm, err = hostMeta(from)
	} else {
		dm, err = readMeta(ex.host, ex.fi)
	}
	if err != nil {
		return err
	}
	e, err := m.c.dst.ensureChild(parent, path.Base(ex.rel), func() (meta, error) { return dm, nil }, true)
	if err != nil {
		return err
	}
	return m.merge(ar, e)
}

// throughSymlink merges a directory the archive only implies, where the
// view has a symlink, into what the symlink leads to (inside the image).
func (m *merger) throughSymlink(ar, rel string) error {
	target, err := m.c.dst.resolve(rel)
	if err != nil {
		return err
	}
	e, err := m.c.dst.ensureDir(target, m.implied)
	if err != nil {
		return err
	}
	return m.merge(ar, e)
}

// move renames the unpacked entry from to rel in Out, replacing what Out
// has there. A directory moves with its subtree; its own metadata is
// recorded again since the move may touch its times.
func (m *merger) move(from, rel string, dir, inOut bool) error {
	to := m.c.dst.host(rel)
	if inOut {
		if err := os.RemoveAll(to); err != nil {
			return err
		}
	}
	if dir {
		dm, err := hostMeta(from)
		if err != nil {
			return err
		}
		m.c.dst.setDirMeta(rel, dm)
	}
	return os.Rename(from, to)
}
