package fileop

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	mode "github.com/tonistiigi/dchapes-mode"
	"golang.org/x/sys/unix"
)

// meta is the metadata Copy gives an entry of Out.
type meta struct {
	mode         fs.FileMode // type, permission and special bits
	uid, gid     int
	atime, mtime unix.Timespec
	xattrs       map[string][]byte
}

// readMeta reads the metadata of the host entry host, whose Lstat is fi.
// Overlay xattrs are left out: copied onto a directory of Out they would
// make it opaque and hide the lower layers.
func readMeta(host string, fi fs.FileInfo) (meta, error) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return meta{}, fmt.Errorf("reading %s: no stat data", host)
	}
	x, err := readXattrs(host)
	if err != nil {
		return meta{}, err
	}
	return meta{
		mode:   fi.Mode(),
		uid:    int(st.Uid),
		gid:    int(st.Gid),
		atime:  unix.Timespec(st.Atim),
		mtime:  unix.Timespec(st.Mtim),
		xattrs: x,
	}, nil
}

// createdMeta is the metadata of a directory Copy creates itself.
func createdMeta(m fs.FileMode, owner IDs, t time.Time) meta {
	ts := unix.NsecToTimespec(t.UnixNano())
	return meta{mode: m, uid: owner.UID, gid: owner.GID, atime: ts, mtime: ts}
}

// apply gives the entry at p the metadata m, in the order the kernel
// needs: owner (which clears setuid/setgid and security.capability), then
// mode, then xattrs, then times.
func (m meta) apply(p string) error {
	if err := os.Lchown(p, m.uid, m.gid); err != nil {
		return err
	}
	if m.mode&fs.ModeSymlink == 0 {
		if err := os.Chmod(p, m.mode); err != nil {
			return err
		}
	}
	names := make([]string, 0, len(m.xattrs))
	for k := range m.xattrs {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if err := setXattr(p, k, m.xattrs[k]); err != nil {
			return err
		}
	}
	ts := []unix.Timespec{m.atime, m.mtime}
	if err := unix.UtimesNanoAt(unix.AT_FDCWD, p, ts, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return &fs.PathError{Op: "utimes", Path: p, Err: err}
	}
	return nil
}

// setXattr sets one xattr, best effort as BuildKit's copy is: an xattr
// the filesystem or our privileges refuse (user.* on a symlink, trusted.*
// without CAP_SYS_ADMIN) is skipped.
func setXattr(p, name string, value []byte) error {
	err := unix.Lsetxattr(p, name, value, 0)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, unix.EOPNOTSUPP), errors.Is(err, unix.EPERM), errors.Is(err, unix.EACCES),
		errors.Is(err, unix.EINVAL), errors.Is(err, unix.ERANGE), errors.Is(err, unix.E2BIG):
		return nil
	}
	return &fs.PathError{Op: "lsetxattr " + name, Path: p, Err: err}
}

// isOverlayXattr reports whether an xattr belongs to overlayfs itself.
func isOverlayXattr(name string) bool {
	return strings.HasPrefix(name, "trusted.overlay.") || strings.HasPrefix(name, "user.overlay.")
}

// readXattrs returns the xattrs of p (a final symlink not followed),
// overlay ones excluded, or nil when there are none.
func readXattrs(p string) (map[string][]byte, error) {
	list, err := xattrBuf(func(b []byte) (int, error) { return unix.Llistxattr(p, b) })
	if errors.Is(err, unix.EOPNOTSUPP) {
		return nil, nil
	}
	if err != nil {
		return nil, &fs.PathError{Op: "llistxattr", Path: p, Err: err}
	}
	var out map[string][]byte
	for _, name := range strings.Split(string(list), "\x00") {
		if name == "" || isOverlayXattr(name) {
			continue
		}
		v, err := xattrBuf(func(b []byte) (int, error) { return unix.Lgetxattr(p, name, b) })
		if errors.Is(err, unix.ENODATA) {
			continue
		}
		if err != nil {
			return nil, &fs.PathError{Op: "lgetxattr " + name, Path: p, Err: err}
		}
		if out == nil {
			out = map[string][]byte{}
		}
		out[name] = v
	}
	return out, nil
}

// xattrBuf calls an xattr syscall with a growing buffer until the value fits.
func xattrBuf(call func([]byte) (int, error)) ([]byte, error) {
	size := 256
	for {
		buf := make([]byte, size)
		n, err := call(buf)
		if errors.Is(err, unix.ERANGE) && size < 1<<20 {
			size *= 4
			continue
		}
		if err != nil {
			return nil, err
		}
		return buf[:n], nil
	}
}

// chmod is a parsed --chmod value.
type chmod struct {
	set    bool
	octal  bool
	bits   fs.FileMode // for octal: permission and special bits, Go spelling
	symset mode.Set
}

// parseChmod parses --chmod as BuildKit's dockerfile2llb does: an octal
// number up to 07777, else a chmod(1) symbolic mode. The error text is
// BuildKit's, since users search for it.
func parseChmod(s string) (chmod, error) {
	if s == "" {
		return chmod{}, nil
	}
	nonOctal := fmt.Errorf("invalid chmod parameter: '%v'. it should be octal string and between 0 and 07777", s)
	if p, err := strconv.ParseUint(s, 8, 32); err == nil {
		if p > 0o7777 {
			return chmod{}, nonOctal
		}
		return chmod{set: true, octal: true, bits: octalToMode(uint32(p))}, nil
	}
	set, err := mode.Parse(s)
	if err != nil {
		var ne *strconv.NumError
		if errors.As(err, &ne) {
			return chmod{}, nonOctal
		}
		return chmod{}, fmt.Errorf("invalid chmod parameter %q: %w", s, err)
	}
	return chmod{set: true, symset: set}, nil
}

// octalToMode converts chmod(1) octal bits to an fs.FileMode.
func octalToMode(p uint32) fs.FileMode {
	m := fs.FileMode(p & 0o777)
	if p&0o4000 != 0 {
		m |= fs.ModeSetuid
	}
	if p&0o2000 != 0 {
		m |= fs.ModeSetgid
	}
	if p&0o1000 != 0 {
		m |= fs.ModeSticky
	}
	return m
}

// apply returns m (type bits included) with the chmod applied. An octal
// mode replaces the permission and special bits; a symbolic one edits them
// ("X" sees whether m is a directory).
func (c chmod) apply(m fs.FileMode) fs.FileMode {
	switch {
	case !c.set:
		return m
	case c.octal:
		return m&fs.ModeType | c.bits
	default:
		return c.symset.Apply(m)
	}
}
