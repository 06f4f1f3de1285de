package rootfs

import (
	"archive/tar"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// ErrOverlayFeature is returned (wrapped) by Pack with WithOverlayUpper when
// the upper dir uses an overlayfs feature a layer tar cannot express.
var ErrOverlayFeature = errors.New("overlay upper dir uses redirect_dir or metacopy; mount with redirect_dir=off,metacopy=off")

// Pack writes dir as an uncompressed tar layer. The output is deterministic:
// entries in byte-sorted depth-first order, directories before their contents,
// numeric owners only (no user or group names), mtimes in whole seconds
// (clamped, see WithMtimeClamp), no atime or ctime, PAX records only where
// USTAR cannot express an entry (long names, large ids, xattrs), and files
// sharing an inode written once with hardlink entries for the others. dir
// itself is not an entry. Sockets are left out (tar cannot hold them) and so
// is security.selinux, a label of the host, not of the image.
//
// Pack never follows a symlink inside dir. It is meant for a quiescent tree
// (a stopped container's upper dir); a file that changes size while being
// read fails the pack.
func Pack(ctx context.Context, w io.Writer, dir string, opts ...PackOption) error {
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("packing %s: %w", dir, &os.PathError{Op: "open", Path: dir, Err: err})
	}
	d := os.NewFile(uintptr(fd), dir)
	defer d.Close()
	p := &packer{
		ctx:   ctx,
		cfg:   newPackConfig(opts),
		tw:    tar.NewWriter(w),
		links: map[inode]string{},
		buf:   make([]byte, copyBufferSize),
	}
	if p.cfg.overlayUpper {
		if err := p.rootOpaque(fd); err != nil {
			return fmt.Errorf("packing %s: %w", dir, err)
		}
	}
	if err := p.walk(d, ""); err != nil {
		return err
	}
	if err := p.tw.Close(); err != nil {
		return fmt.Errorf("packing %s: %w", dir, err)
	}
	return nil
}

// rootOpaque writes a top-level opaque marker when the upper dir's own root
// is opaque (an upper that replaced everything below it).
func (p *packer) rootOpaque(fd int) error {
	x, err := readXattrs(procPath(fd, "."))
	if err != nil {
		return err
	}
	_, opaque, err := p.filterXattrs(x)
	if err != nil || !opaque {
		return err
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return err
	}
	return p.tw.WriteHeader(p.marker(whiteoutOpaque, p.mtime(st.Mtim)))
}

type inode struct{ dev, ino uint64 }

// packer is the state of one Pack call.
type packer struct {
	ctx   context.Context
	cfg   packConfig
	tw    *tar.Writer
	links map[inode]string // first name written for a multiply-linked inode
	buf   []byte
}

// walk writes the entries of directory d, whose name in the tar is prefix
// ("" for the root, else "a/b/").
func (p *packer) walk(d *os.File, prefix string) error {
	names, err := d.Readdirnames(-1)
	if err != nil {
		return packError{fmt.Errorf("packing %s: %w", cmp.Or(prefix, "."), err)}
	}
	sort.Strings(names)
	for _, name := range names {
		err := p.ctx.Err()
		if err == nil {
			err = p.entry(d, prefix, name)
		}
		if errors.As(err, new(packError)) {
			return err // from a subdirectory, already named
		}
		if err != nil {
			return packError{fmt.Errorf("packing %s: %w", prefix+name, err)}
		}
	}
	return nil
}

// packError is an error that already names its entry, so that enclosing
// directories do not prefix their names again.
type packError struct{ error }

func (e packError) Unwrap() error { return e.error }

// entry writes one directory entry (and, for a directory, its subtree).
func (p *packer) entry(d *os.File, prefix, name string) error {
	fd := int(d.Fd())
	var st unix.Stat_t
	if err := unix.Fstatat(fd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return err
	}
	kind := st.Mode & unix.S_IFMT
	if kind == unix.S_IFSOCK {
		return nil
	}
	mtime := p.mtime(st.Mtim)
	if p.cfg.overlayUpper && kind == unix.S_IFCHR && st.Rdev == 0 {
		return p.tw.WriteHeader(p.marker(prefix+whiteoutPrefix+name, mtime))
	}
	hdr := &tar.Header{
		Name:    prefix + name,
		Mode:    int64(st.Mode & 0o7777),
		Uid:     int(st.Uid),
		Gid:     int(st.Gid),
		ModTime: mtime,
	}
	xattrs, err := readXattrs(procPath(fd, name))
	if err != nil {
		return err
	}
	xattrs, opaque, err := p.filterXattrs(xattrs)
	if err != nil {
		return err
	}
	for k, v := range xattrs {
		if hdr.PAXRecords == nil {
			hdr.PAXRecords = map[string]string{}
		}
		hdr.PAXRecords[paxXattrPrefix+k] = v
	}
	if kind != unix.S_IFDIR && st.Nlink > 1 {
		key := inode{dev: st.Dev, ino: st.Ino}
		if first, ok := p.links[key]; ok {
			hdr.Typeflag, hdr.Linkname, hdr.PAXRecords = tar.TypeLink, first, nil
			return p.tw.WriteHeader(hdr)
		}
		p.links[key] = hdr.Name
	}
	switch kind {
	case unix.S_IFDIR:
		return p.dir(d, hdr, name, opaque)
	case unix.S_IFREG:
		hdr.Typeflag, hdr.Size = tar.TypeReg, st.Size
		return p.file(fd, name, hdr, st)
	case unix.S_IFLNK:
		target, err := readlinkAt(fd, name)
		if err != nil {
			return err
		}
		hdr.Typeflag, hdr.Linkname = tar.TypeSymlink, target
	case unix.S_IFCHR, unix.S_IFBLK:
		hdr.Typeflag = tar.TypeChar
		if kind == unix.S_IFBLK {
			hdr.Typeflag = tar.TypeBlock
		}
		hdr.Devmajor, hdr.Devminor = int64(unix.Major(st.Rdev)), int64(unix.Minor(st.Rdev))
	case unix.S_IFIFO:
		hdr.Typeflag = tar.TypeFifo
	default:
		return fmt.Errorf("unknown file type %#o", kind)
	}
	return p.tw.WriteHeader(hdr)
}

// dir writes a directory entry, its opaque marker, then its contents.
func (p *packer) dir(parent *os.File, hdr *tar.Header, name string, opaque bool) error {
	hdr.Typeflag, hdr.Name = tar.TypeDir, hdr.Name+"/"
	if err := p.tw.WriteHeader(hdr); err != nil {
		return err
	}
	if opaque {
		if err := p.tw.WriteHeader(p.marker(hdr.Name+whiteoutOpaque, hdr.ModTime)); err != nil {
			return err
		}
	}
	fd, err := unix.Openat(int(parent.Fd()), name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return &os.PathError{Op: "open", Path: hdr.Name, Err: err}
	}
	d := os.NewFile(uintptr(fd), hdr.Name)
	defer d.Close()
	return p.walk(d, hdr.Name)
}

// file writes a regular file's header and contents, checking that the file
// opened is the one stat'ed and that its size held still.
func (p *packer) file(dirfd int, name string, hdr *tar.Header, st unix.Stat_t) error {
	fd, err := unix.Openat(dirfd, name, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC|unix.O_NOCTTY, 0)
	if err != nil {
		return &os.PathError{Op: "open", Path: hdr.Name, Err: err}
	}
	f := os.NewFile(uintptr(fd), hdr.Name)
	defer f.Close()
	var fst unix.Stat_t
	if err := unix.Fstat(fd, &fst); err != nil {
		return err
	}
	if fst.Dev != st.Dev || fst.Ino != st.Ino {
		return fmt.Errorf("%s was replaced while packing", hdr.Name)
	}
	if err := p.tw.WriteHeader(hdr); err != nil {
		return err
	}
	n, err := io.CopyBuffer(p.tw, io.LimitReader(f, hdr.Size), p.buf)
	if err != nil {
		return err
	}
	if n != hdr.Size {
		return fmt.Errorf("%s shrank from %d to %d bytes while packing", hdr.Name, hdr.Size, n)
	}
	return nil
}

// marker is the header of a whiteout or opaque marker: an empty file owned
// by 0:0 with mode 0, as docker and containerd write them.
func (p *packer) marker(name string, mtime time.Time) *tar.Header {
	return &tar.Header{Typeflag: tar.TypeReg, Name: name, ModTime: mtime}
}

// mtime converts, clamps and truncates a file's mtime.
func (p *packer) mtime(ts unix.Timespec) time.Time {
	t := time.Unix(ts.Sec, 0).UTC()
	if !p.cfg.clamp.IsZero() && t.After(p.cfg.clamp) {
		t = p.cfg.clamp.Truncate(time.Second).UTC()
	}
	return t
}

// filterXattrs drops xattrs a layer should not carry and, for an overlay
// upper, reports whether the directory is opaque.
func (p *packer) filterXattrs(x map[string]string) (map[string]string, bool, error) {
	opaque := false
	for k, v := range x {
		switch {
		case k == "security.selinux":
			delete(x, k)
		case p.cfg.overlayUpper && isOverlayXattr(k):
			switch strings.TrimPrefix(strings.TrimPrefix(k, xattrTrustedOverlay), xattrUserOverlay) {
			case "opaque":
				opaque = opaque || v == "y"
			case "redirect", "metacopy":
				return nil, false, fmt.Errorf("%w (found xattr %s)", ErrOverlayFeature, k)
			}
			delete(x, k)
		}
	}
	return x, opaque, nil
}

// readlinkAt reads a symlink's target, growing the buffer as needed.
func readlinkAt(dirfd int, name string) (string, error) {
	for size := 256; ; size *= 2 {
		b := make([]byte, size)
		n, err := unix.Readlinkat(dirfd, name, b)
		if err != nil {
			return "", &os.PathError{Op: "readlink", Path: name, Err: err}
		}
		if n < size {
			return string(b[:n]), nil
		}
	}
}
