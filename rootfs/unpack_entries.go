package rootfs

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"os"
	"path"

	"golang.org/x/sys/unix"
)

// replace makes room for a new entry base in directory fd: an existing
// directory stays when the new entry is a directory too (they merge);
// anything else is removed, so the new entry is never written through an old
// symlink or hardlink.
func (u *unpacker) replace(fd int, base string, newIsDir bool) (merged bool, err error) {
	var st unix.Stat_t
	err = unix.Fstatat(fd, base, &st, unix.AT_SYMLINK_NOFOLLOW)
	if errors.Is(err, unix.ENOENT) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	isDir := st.Mode&unix.S_IFMT == unix.S_IFDIR
	if isDir && newIsDir {
		return true, nil
	}
	u.invalidateOther(fd)
	if isDir {
		return false, removeAllAt(fd, base)
	}
	return false, unix.Unlinkat(fd, base, 0)
}

// mkdir creates (or merges into) a directory. Ownership and xattrs are set
// now; mode and times when the layer is done (see finish).
func (u *unpacker) mkdir(hdr *tar.Header, rel string) error {
	fd, base, err := u.parent(rel)
	if err != nil {
		return err
	}
	if rel != "." {
		merged, err := u.replace(fd, base, true)
		if err != nil {
			return err
		}
		if !merged {
			// 0700 until finish: writable by us whatever the final mode is.
			if err := unix.Mkdirat(fd, base, 0o700); err != nil {
				return err
			}
		}
	}
	if err := u.chown(fd, base, hdr); err != nil {
		return err
	}
	if err := u.setXattrs(fd, base, hdr); err != nil {
		return err
	}
	if _, ok := u.whited[rel]; ok {
		if err := u.overlayOpaque(rel); err != nil {
			return err
		}
	}
	if _, seen := u.dirs[rel]; !seen {
		u.dirOrder = append(u.dirOrder, rel)
	}
	u.dirs[rel] = hdr
	u.stats.Dirs++
	return nil
}

// file writes a regular file. It is created fresh (O_EXCL|O_NOFOLLOW after
// replace), so contents never land in an older inode.
func (u *unpacker) file(hdr *tar.Header, rel string, content io.Reader) error {
	fd, base, err := u.parent(rel)
	if err != nil {
		return err
	}
	if base == "." {
		return fmt.Errorf("%w: the layer root cannot be a file", ErrUnsafePath)
	}
	if _, err := u.replace(fd, base, false); err != nil {
		return err
	}
	nfd, err := unix.Openat(fd, base, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return &os.PathError{Op: "create", Path: rel, Err: err}
	}
	f := os.NewFile(uintptr(nfd), rel)
	n, err := io.CopyBuffer(writerOnly{f}, content, u.buf)
	u.stats.Bytes += n
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	u.stats.Files++
	return u.finishNode(fd, base, hdr)
}

// finishNode sets metadata in the order the kernel needs: chown first (it
// clears setuid/setgid and security.capability), then mode, then xattrs,
// then times.
func (u *unpacker) finishNode(fd int, base string, hdr *tar.Header) error {
	if err := u.chown(fd, base, hdr); err != nil {
		return err
	}
	if err := chmodAt(fd, base, hdr.Mode); err != nil {
		return err
	}
	if err := u.setXattrs(fd, base, hdr); err != nil {
		return err
	}
	return setTimes(fd, base, hdr)
}

// symlink creates a symlink. Its target is stored verbatim: it is only ever
// followed inside the root (chroot semantics), never by the host.
func (u *unpacker) symlink(hdr *tar.Header, rel string) error {
	fd, base, err := u.parent(rel)
	if err != nil {
		return err
	}
	if base == "." {
		return fmt.Errorf("%w: the layer root cannot be a symlink", ErrUnsafePath)
	}
	if _, err := u.replace(fd, base, false); err != nil {
		return err
	}
	if err := unix.Symlinkat(hdr.Linkname, fd, base); err != nil {
		return &os.PathError{Op: "symlink", Path: rel, Err: err}
	}
	if err := u.chown(fd, base, hdr); err != nil {
		return err
	}
	if err := u.setXattrs(fd, base, hdr); err != nil {
		return err
	}
	u.stats.Symlinks++
	return setTimes(fd, base, hdr)
}

// hardlink links rel to an earlier entry. The target is cleaned like a name
// and resolved inside the root, so it can only name a file in dir; its final
// component is not followed (a link to a symlink links the symlink). The
// shared inode keeps the target's metadata.
func (u *unpacker) hardlink(hdr *tar.Header, rel string) error {
	target, err := cleanName(hdr.Linkname)
	if err != nil {
		return fmt.Errorf("hardlink target: %w", err)
	}
	if target == "." || target == rel {
		return fmt.Errorf("%w: hardlink to %q", ErrUnsafePath, hdr.Linkname)
	}
	tdir, tbase := splitRel(target)
	th, err := u.lookup(tdir)
	if err != nil {
		return fmt.Errorf("hardlink target %s: %w", hdr.Linkname, err)
	}
	defer th.Close()
	fd, base, err := u.parent(rel)
	if err != nil {
		return err
	}
	if base == "." {
		return fmt.Errorf("%w: the layer root cannot be a hardlink", ErrUnsafePath)
	}
	if _, err := u.replace(fd, base, false); err != nil {
		return err
	}
	if err := unix.Linkat(int(th.Fd()), tbase, fd, base, 0); err != nil {
		return &os.LinkError{Op: "link", Old: hdr.Linkname, New: rel, Err: err}
	}
	u.stats.Hardlinks++
	return nil
}

// node creates a device node or FIFO, or notes why it could not.
func (u *unpacker) node(hdr *tar.Header, rel string) error {
	var kind uint32
	switch hdr.Typeflag {
	case tar.TypeChar:
		kind = unix.S_IFCHR
	case tar.TypeBlock:
		kind = unix.S_IFBLK
	default:
		kind = unix.S_IFIFO
	}
	if kind != unix.S_IFIFO && !u.cfg.devices {
		u.skip(hdr.Name, "device %d:%d not created (WithDeviceNodes(false))", hdr.Devmajor, hdr.Devminor)
		return nil
	}
	if hdr.Devmajor < 0 || hdr.Devmajor > 0xfff || hdr.Devminor < 0 || hdr.Devminor > 0xfffff {
		return fmt.Errorf("%w: device number %d:%d out of range", ErrUnsafePath, hdr.Devmajor, hdr.Devminor)
	}
	fd, base, err := u.parent(rel)
	if err != nil {
		return err
	}
	if base == "." {
		return fmt.Errorf("%w: the layer root cannot be a device", ErrUnsafePath)
	}
	if _, err := u.replace(fd, base, false); err != nil {
		return err
	}
	dev := unix.Mkdev(uint32(hdr.Devmajor), uint32(hdr.Devminor))
	err = unix.Mknodat(fd, base, kind|0o600, int(dev))
	if errors.Is(err, unix.EPERM) && kind != unix.S_IFIFO {
		u.skip(hdr.Name, "device %d:%d not created: %v", hdr.Devmajor, hdr.Devminor, err)
		return nil
	}
	if err != nil {
		return &os.PathError{Op: "mknod", Path: rel, Err: err}
	}
	u.stats.Devices++
	return u.finishNode(fd, base, hdr)
}

// chown sets the numeric owner from the header, unless ownership is off.
func (u *unpacker) chown(fd int, base string, hdr *tar.Header) error {
	if !u.cfg.ownership {
		return nil
	}
	if hdr.Uid < 0 || hdr.Gid < 0 || hdr.Uid >= 1<<32-1 || hdr.Gid >= 1<<32-1 {
		return fmt.Errorf("%w: owner %d:%d out of range", ErrUnsafePath, hdr.Uid, hdr.Gid)
	}
	err := unix.Fchownat(fd, base, hdr.Uid, hdr.Gid, unix.AT_SYMLINK_NOFOLLOW)
	if err == nil {
		return nil
	}
	if u.cfg.ignoreChownErrors && (errors.Is(err, unix.EPERM) || errors.Is(err, unix.EINVAL)) {
		if !u.chownNote {
			u.chownNote = true
			u.skip(hdr.Name, "owner %d:%d not applied (%v); further chown failures ignored", hdr.Uid, hdr.Gid, err)
		}
		return nil
	}
	return &os.PathError{Op: "lchown", Path: hdr.Name, Err: err}
}

// chmodAt sets permission bits including setuid/setgid/sticky on a
// non-symlink, without following a symlink at base.
func chmodAt(fd int, base string, mode int64) error {
	m := uint32(mode) & 0o7777
	err := unix.Fchmodat(fd, base, m, unix.AT_SYMLINK_NOFOLLOW)
	if errors.Is(err, unix.EOPNOTSUPP) || errors.Is(err, unix.ENOSYS) {
		// No fchmodat2 (Linux < 6.6): callers only chmod entries they just
		// created or checked to be directories, so plain fchmodat is safe.
		err = unix.Fchmodat(fd, base, m, 0)
	}
	if err != nil {
		return &os.PathError{Op: "chmod", Path: base, Err: err}
	}
	return nil
}

// setTimes sets atime and mtime without following a symlink at base.
// A header without an access time gets its mtime as atime.
func setTimes(fd int, base string, hdr *tar.Header) error {
	at := hdr.AccessTime
	if at.IsZero() {
		at = hdr.ModTime
	}
	ts := []unix.Timespec{
		{Sec: at.Unix(), Nsec: int64(at.Nanosecond())},
		{Sec: hdr.ModTime.Unix(), Nsec: int64(hdr.ModTime.Nanosecond())},
	}
	if err := unix.UtimesNanoAt(fd, base, ts, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return &os.PathError{Op: "utimensat", Path: base, Err: err}
	}
	return nil
}

// joinRel joins a clean relative directory and a name.
func joinRel(dir, name string) string {
	if dir == "." {
		return name
	}
	return path.Join(dir, name)
}
