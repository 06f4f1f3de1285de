package rootfs

import (
	"archive/tar"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"

	"golang.org/x/sys/unix"
)

// procPath names base inside the directory open as fd. Going through
// /proc/self/fd pins the directory to the one we hold, and the l*xattr calls
// do not follow base itself, so this reaches symlinks and device nodes that
// cannot be opened for an f*xattr call.
func procPath(fd int, base string) string {
	return fmt.Sprintf("/proc/self/fd/%d/%s", fd, base)
}

// setXattrs restores the SCHILY.xattr.* PAX records of hdr. Overlay xattrs are
// never applied (they would steer overlayfs lookups when dir is a lower
// layer). An xattr the filesystem or our privileges refuse (user.* on a
// symlink, trusted.* without CAP_SYS_ADMIN, an unknown namespace, a malformed
// security.capability) is noted in Skipped instead of failing the layer.
func (u *unpacker) setXattrs(fd int, base string, hdr *tar.Header) error {
	var names []string
	for k := range hdr.PAXRecords {
		if strings.HasPrefix(k, paxXattrPrefix) {
			names = append(names, strings.TrimPrefix(k, paxXattrPrefix))
		}
	}
	if len(names) == 0 {
		return nil
	}
	sort.Strings(names)
	p := procPath(fd, base)
	for _, name := range names {
		if isOverlayXattr(name) {
			u.skip(hdr.Name, "xattr %s not applied: layers may not set overlayfs xattrs", name)
			continue
		}
		err := unix.Lsetxattr(p, name, []byte(hdr.PAXRecords[paxXattrPrefix+name]), 0)
		switch {
		case err == nil:
		case errors.Is(err, unix.EOPNOTSUPP), errors.Is(err, unix.EPERM), errors.Is(err, unix.EACCES),
			errors.Is(err, unix.EINVAL), errors.Is(err, unix.ERANGE), errors.Is(err, unix.E2BIG):
			u.skip(hdr.Name, "xattr %s not set: %v", name, err)
		default:
			return &os.PathError{Op: "lsetxattr " + name, Path: hdr.Name, Err: err}
		}
	}
	return nil
}

// readXattrs returns the xattrs of p (not following a final symlink), or nil
// when the filesystem has none.
func readXattrs(p string) (map[string]string, error) {
	names, err := xattrCall(func(b []byte) (int, error) { return unix.Llistxattr(p, b) })
	if err != nil || len(names) == 0 {
		return nil, err
	}
	out := map[string]string{}
	for _, name := range strings.Split(strings.TrimSuffix(string(names), "\x00"), "\x00") {
		if name == "" {
			continue
		}
		v, err := xattrCall(func(b []byte) (int, error) { return unix.Lgetxattr(p, name, b) })
		if errors.Is(err, unix.ENODATA) {
			continue // removed while we looked
		}
		if err != nil {
			return nil, fmt.Errorf("reading xattr %s: %w", name, err)
		}
		out[name] = string(v)
	}
	return out, nil
}

// xattrCall runs a size-probing xattr syscall, retrying if the value grew
// between the probe and the read. "Not supported" reads as empty.
func xattrCall(call func([]byte) (int, error)) ([]byte, error) {
	for range 4 {
		n, err := call(nil)
		if errors.Is(err, unix.EOPNOTSUPP) {
			return nil, nil
		}
		if err != nil || n == 0 {
			return nil, err
		}
		b := make([]byte, n)
		n, err = call(b)
		if errors.Is(err, unix.ERANGE) {
			continue
		}
		if err != nil {
			return nil, err
		}
		return b[:n], nil
	}
	return nil, unix.ERANGE
}
