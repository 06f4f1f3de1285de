package rootfs

import (
	"archive/tar"
	"errors"
	"fmt"
	"os"
	"path"

	pathrs "github.com/cyphar/filepath-securejoin/pathrs-lite"
	"golang.org/x/sys/unix"
)

// whiteout applies a ".wh." entry. Per the OCI layer spec a whiteout hides
// only content of lower layers: a path this layer itself wrote survives, in
// whatever order the tar lists the two.
func (u *unpacker) whiteout(hdr *tar.Header, rel string) error {
	dir, base := splitRel(rel)
	if base == whiteoutOpaque {
		u.stats.Whiteouts++
		if u.cfg.whiteouts == OverlayWhiteouts {
			return u.overlayOpaque(dir)
		}
		return u.applyOpaque(dir)
	}
	name, err := whiteoutTarget(base)
	if err != nil {
		return err
	}
	target := joinRel(dir, name)
	u.stats.Whiteouts++
	_, written := u.written[target]
	_, ancestor := u.ancestors[target]
	if u.cfg.whiteouts == OverlayWhiteouts {
		if written || ancestor {
			// This layer's own directory stays, but hides the lower one.
			return u.overlayOpaqueIfDir(target)
		}
		u.whited[target] = struct{}{}
		return u.overlayWhiteout(hdr, target)
	}
	h, err := u.lookup(dir)
	if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ENOTDIR) {
		return nil // nothing below to hide
	}
	if err != nil {
		return err
	}
	defer h.Close()
	u.dropCache()
	if written || ancestor {
		// This layer's own entry stays; below it, lower content goes.
		return u.prune(int(h.Fd()), name, target)
	}
	if err := removeAllAt(int(h.Fd()), name); err != nil && !errors.Is(err, unix.ENOTDIR) {
		return fmt.Errorf("removing %s: %w", target, err)
	}
	return nil
}

// overlayWhiteout writes an overlayfs whiteout, a 0/0 character device.
func (u *unpacker) overlayWhiteout(hdr *tar.Header, target string) error {
	fd, base, err := u.parent(target)
	if err != nil {
		return err
	}
	if _, err := u.replace(fd, base, false); err != nil {
		return err
	}
	if err := unix.Mknodat(fd, base, unix.S_IFCHR, 0); err != nil {
		return fmt.Errorf("creating overlay whiteout %s (needs CAP_MKNOD or Linux >= 5.8 in a user namespace): %w", target, err)
	}
	return setTimes(fd, base, hdr)
}

// reviveWhited turns whiteouts this layer made on the way to dir back into
// (opaque) directories, outermost first, when a later entry of the layer
// lives below one without a directory entry of its own. ApplyWhiteouts gets
// the same result by deleting and then creating the parent.
func (u *unpacker) reviveWhited(dir string) error {
	if len(u.whited) == 0 {
		return nil
	}
	var revive []string
	for d := dir; d != "."; d = path.Dir(d) {
		if _, ok := u.whited[d]; ok {
			revive = append(revive, d)
		}
	}
	for i := len(revive) - 1; i >= 0; i-- {
		d := revive[i]
		delete(u.whited, d)
		fd, base, err := u.parent(d)
		if err != nil {
			return err
		}
		if _, err := u.replace(fd, base, true); err != nil {
			return err
		}
		if err := unix.Mkdirat(fd, base, 0o755); err != nil && !errors.Is(err, unix.EEXIST) {
			return &os.PathError{Op: "mkdir", Path: d, Err: err}
		}
		if err := u.overlayOpaque(d); err != nil {
			return err
		}
	}
	return nil
}

// overlayOpaque marks dir opaque for overlayfs.
func (u *unpacker) overlayOpaque(dir string) error {
	f, err := pathrs.MkdirAllHandle(u.root, dir, 0o755)
	if err != nil {
		return fmt.Errorf("creating opaque directory %s: %w", dir, err)
	}
	defer f.Close()
	name := u.cfg.opaqueXattr()
	if err := unix.Fsetxattr(int(f.Fd()), name, []byte("y"), 0); err != nil {
		hint := ""
		if errors.Is(err, unix.EPERM) && !u.cfg.userXattrs {
			hint = " (trusted.* needs CAP_SYS_ADMIN; in a user namespace use WithUserXattrs(true) and mount with userxattr)"
		}
		return fmt.Errorf("marking %s opaque with %s%s: %w", dir, name, hint, err)
	}
	return nil
}

// overlayOpaqueIfDir marks target opaque if it is a directory.
func (u *unpacker) overlayOpaqueIfDir(target string) error {
	fd, base, err := u.parent(target)
	if err != nil {
		return err
	}
	var st unix.Stat_t
	if err := unix.Fstatat(fd, base, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil || st.Mode&unix.S_IFMT != unix.S_IFDIR {
		return nil
	}
	return u.overlayOpaque(target)
}

// applyOpaque empties dir of everything lower layers put there.
func (u *unpacker) applyOpaque(dir string) error {
	h, err := u.lookup(dir)
	if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ENOTDIR) {
		return nil
	}
	if err != nil {
		return err
	}
	defer h.Close()
	u.dropCache()
	return u.prune(int(h.Fd()), ".", dir)
}

// prune removes from directory name (in directory fd) every entry this layer
// did not write, keeping directories on the way to entries it did write. A
// written directory is pruned too: in overlayfs its lower contents are hidden
// below an opaque or whited-out parent.
func (u *unpacker) prune(fd int, name, rel string) error {
	dfd, err := unix.Openat(fd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if errors.Is(err, unix.ENOTDIR) || errors.Is(err, unix.ELOOP) || errors.Is(err, unix.ENOENT) {
		return nil // not a directory: nothing below it
	}
	if err != nil {
		return &os.PathError{Op: "open", Path: rel, Err: err}
	}
	d := os.NewFile(uintptr(dfd), rel)
	defer d.Close()
	names, err := d.Readdirnames(-1)
	if err != nil {
		return err
	}
	for _, n := range names {
		p := joinRel(rel, n)
		_, written := u.written[p]
		_, ancestor := u.ancestors[p]
		if written || ancestor {
			err = u.prune(int(d.Fd()), n, p)
		} else {
			err = removeAllAt(int(d.Fd()), n)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// removeAllAt removes name from directory fd, recursively, never following
// a symlink.
func removeAllAt(fd int, name string) error {
	err := unix.Unlinkat(fd, name, 0)
	if err == nil || errors.Is(err, unix.ENOENT) {
		return nil
	}
	if !errors.Is(err, unix.EISDIR) {
		return &os.PathError{Op: "unlink", Path: name, Err: err}
	}
	dfd, err := unix.Openat(fd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return &os.PathError{Op: "open", Path: name, Err: err}
	}
	d := os.NewFile(uintptr(dfd), name)
	names, err := d.Readdirnames(-1)
	for _, n := range names {
		if err != nil {
			break
		}
		err = removeAllAt(int(d.Fd()), n)
	}
	_ = d.Close()
	if err != nil {
		return err
	}
	if err := unix.Unlinkat(fd, name, unix.AT_REMOVEDIR); err != nil && !errors.Is(err, unix.ENOENT) {
		return &os.PathError{Op: "rmdir", Path: name, Err: err}
	}
	return nil
}
