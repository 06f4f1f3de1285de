package build

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/polyarch/polyarch/build/fileop"
)

// The copy snapshotter serves where overlayfs cannot be mounted: the
// stage's layers are copied into a plain directory, the RUN works there,
// and the layer is found by walking the whole tree against the layers — a
// cost that grows with the rootfs, not with what changed, which is why
// overlay is the default.

// materialize copies the merged view of lowers into dir.
func materialize(lowers []string, dir string) error {
	u := fileop.NewUnion(lowers)
	return copyUnionDir(u, "", dir)
}

func copyUnionDir(u *fileop.Union, rel, dst string) error {
	entries, err := u.ReadDir(rel)
	if err != nil {
		return fmt.Errorf("reading %s: %w", rel, err)
	}
	for _, e := range entries {
		child := filepath.Join(rel, e.Name())
		info, host, err := u.Lstat(child)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, e.Name())
		if err := copyEntry(host, target, info); err != nil {
			return fmt.Errorf("copying %s: %w", child, err)
		}
		if info.IsDir() {
			if err := copyUnionDir(u, child, target); err != nil {
				return err
			}
			if err := copyMeta(host, target, info); err != nil {
				return err
			}
		}
	}
	return nil
}

// copyEntry creates target like the host entry src (contents for files;
// directories get their metadata after their children).
func copyEntry(src, target string, info fs.FileInfo) error {
	switch {
	case info.IsDir():
		return os.Mkdir(target, 0o700)
	case info.Mode()&fs.ModeSymlink != 0:
		link, err := os.Readlink(src)
		if err != nil {
			return err
		}
		if err := os.Symlink(link, target); err != nil {
			return err
		}
	case info.Mode().IsRegular():
		if err := copyFile(src, target); err != nil {
			return err
		}
	default:
		st := info.Sys().(*syscall.Stat_t)
		if err := unix.Mknod(target, st.Mode, int(st.Rdev)); err != nil {
			return err
		}
	}
	return copyMeta(src, target, info)
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// copyMeta copies owner, mode, xattrs (but overlay's own) and mtime.
func copyMeta(src, dst string, info fs.FileInfo) error {
	st := info.Sys().(*syscall.Stat_t)
	if err := os.Lchown(dst, int(st.Uid), int(st.Gid)); err != nil && !os.IsPermission(err) {
		return err
	}
	if info.Mode()&fs.ModeSymlink == 0 {
		if err := unix.Chmod(dst, st.Mode&0o7777); err != nil {
			return err
		}
	}
	for name, val := range xattrs(src) {
		_ = unix.Lsetxattr(dst, name, val, 0)
	}
	ts := []unix.Timespec{unix.NsecToTimespec(info.ModTime().UnixNano()), unix.NsecToTimespec(info.ModTime().UnixNano())}
	return unix.UtimesNanoAt(unix.AT_FDCWD, dst, ts, unix.AT_SYMLINK_NOFOLLOW)
}

func xattrs(p string) map[string][]byte {
	out := map[string][]byte{}
	buf := make([]byte, 8192)
	n, err := unix.Llistxattr(p, buf)
	if err != nil {
		return out
	}
	for _, name := range bytes.Split(buf[:n], []byte{0}) {
		if len(name) == 0 || bytes.HasPrefix(name, []byte("user.overlay.")) || bytes.HasPrefix(name, []byte("trusted.overlay.")) {
			continue
		}
		val := make([]byte, 8192)
		if m, err := unix.Lgetxattr(p, string(name), val); err == nil {
			out[string(name)] = val[:m]
		}
	}
	return out
}

// diffTree writes into out, in overlay form, what changed in dir against
// the layers: new and changed entries, and 0/0 whiteouts for deleted ones.
func diffTree(lowers []string, dir, out string) error {
	u := fileop.NewUnion(lowers)
	return diffDir(u, "", dir, out)
}

func diffDir(u *fileop.Union, rel, dir, out string) error {
	now, err := os.ReadDir(filepath.Join(dir, rel))
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, e := range now {
		seen[e.Name()] = true
		if err := diffEntry(u, filepath.Join(rel, e.Name()), dir, out); err != nil {
			return err
		}
	}
	before, err := u.ReadDir(rel)
	if err != nil {
		return nil // the dir is new: everything in it was copied
	}
	for _, e := range before {
		if !seen[e.Name()] {
			if err := ensureParents(dir, out, rel); err != nil {
				return err
			}
			if err := unix.Mknod(filepath.Join(out, rel, e.Name()), unix.S_IFCHR, 0); err != nil {
				return fmt.Errorf("whiteout for %s: %w", filepath.Join(rel, e.Name()), err)
			}
		}
	}
	return nil
}

func diffEntry(u *fileop.Union, rel, dir, out string) error {
	cur := filepath.Join(dir, rel)
	info, err := os.Lstat(cur)
	if err != nil {
		return err
	}
	old, host, oerr := u.Lstat(rel)
	same := oerr == nil && sameEntry(host, old, cur, info)
	if info.IsDir() && oerr == nil && old.IsDir() {
		if !same { // metadata changed: the dir itself goes into the layer
			if err := ensureParents(dir, out, filepath.Dir(rel)); err != nil {
				return err
			}
			if err := os.Mkdir(filepath.Join(out, rel), 0o700); err != nil && !os.IsExist(err) {
				return err
			}
			defer copyMeta(cur, filepath.Join(out, rel), info)
		}
		return diffDir(u, rel, dir, out)
	}
	if same {
		return nil
	}
	if err := ensureParents(dir, out, filepath.Dir(rel)); err != nil {
		return err
	}
	if info.IsDir() { // new dir, or replacing a non-dir: copy all of it
		if err := copyEntry(cur, filepath.Join(out, rel), info); err != nil {
			return err
		}
		return copyPlainDir(cur, filepath.Join(out, rel))
	}
	return copyEntry(cur, filepath.Join(out, rel), info)
}

// copyPlainDir copies a directory tree of dir (not layered) into dst.
func copyPlainDir(src, dst string) error {
	entries, err := os.ReadDir(src)
	if err != nil {
		return err
	}
	for _, e := range entries {
		info, err := e.Info()
		if err != nil {
			return err
		}
		s, d := filepath.Join(src, e.Name()), filepath.Join(dst, e.Name())
		if err := copyEntry(s, d, info); err != nil {
			return err
		}
		if info.IsDir() {
			if err := copyPlainDir(s, d); err != nil {
				return err
			}
			if err := copyMeta(s, d, info); err != nil {
				return err
			}
		}
	}
	return nil
}

// ensureParents creates rel's directories in out with dir's metadata.
func ensureParents(dir, out, rel string) error {
	if rel == "." || rel == "" || rel == "/" {
		return nil
	}
	if err := ensureParents(dir, out, filepath.Dir(rel)); err != nil {
		return err
	}
	target := filepath.Join(out, rel)
	if _, err := os.Lstat(target); err == nil {
		return nil
	}
	info, err := os.Lstat(filepath.Join(dir, rel))
	if err != nil {
		return err
	}
	if err := os.Mkdir(target, 0o700); err != nil {
		return err
	}
	return copyMeta(filepath.Join(dir, rel), target, info)
}

// sameEntry compares type, mode, owner, device, link target and xattrs,
// and for non-directories size and mtime (rsync's quick check: a RUN that
// rewrites a file changes its mtime). A directory's mtime is ignored: it
// changes with its children, which are diffed themselves.
func sameEntry(oldPath string, old fs.FileInfo, curPath string, cur fs.FileInfo) bool {
	os1, cs := old.Sys().(*syscall.Stat_t), cur.Sys().(*syscall.Stat_t)
	if old.Mode() != cur.Mode() || os1.Uid != cs.Uid || os1.Gid != cs.Gid || os1.Rdev != cs.Rdev {
		return false
	}
	if !cur.IsDir() && (old.Size() != cur.Size() || !old.ModTime().Equal(cur.ModTime())) {
		return false
	}
	if cur.Mode()&fs.ModeSymlink != 0 {
		a, _ := os.Readlink(oldPath)
		b, _ := os.Readlink(curPath)
		if a != b {
			return false
		}
	}
	ox, cx := xattrs(oldPath), xattrs(curPath)
	if len(ox) != len(cx) {
		return false
	}
	for k, v := range ox {
		if !bytes.Equal(v, cx[k]) {
			return false
		}
	}
	return true
}
