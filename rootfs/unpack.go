package rootfs

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"

	pathrs "github.com/cyphar/filepath-securejoin/pathrs-lite"
	"golang.org/x/sys/unix"
)

// copyBufferSize is the buffer for file contents, in both directions.
const copyBufferSize = 256 << 10

// UnpackStats reports what Unpack did.
type UnpackStats struct {
	Files, Dirs, Symlinks, Hardlinks, Whiteouts int
	// Devices counts character/block devices and FIFOs created.
	Devices int
	// Bytes is the total size of regular file contents written.
	Bytes int64
	// Skipped lists what was not applied, one "name: reason" line each:
	// device nodes the caller may not create, xattrs the filesystem or the
	// caller's privileges refuse, overlay xattrs in the tar, unknown entry
	// types, ignored chown failures.
	Skipped []string
}

// Unpack extracts an uncompressed OCI/Docker layer tar stream into dir (which
// must exist), applying OCI whiteouts (.wh.NAME deletes NAME from dir;
// .wh..wh..opq empties the directory's existing contents from lower layers)
// as when layers are applied one after another into the same dir.
//
// Every path stays inside dir: entry names are cleaned (see ErrUnsafePath),
// and symlinks already in dir are resolved as if dir were the root of a
// chroot (github.com/cyphar/filepath-securejoin/pathrs-lite), so an absolute
// or ".."-laden symlink can never lead a write outside. An existing entry is
// replaced (a directory entry over an existing directory merges), never
// written through. /proc must be mounted.
func Unpack(ctx context.Context, r io.Reader, dir string, opts ...UnpackOption) (UnpackStats, error) {
	rootFd, err := unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return UnpackStats{}, fmt.Errorf("unpacking into %s: %w", dir, &os.PathError{Op: "open", Path: dir, Err: err})
	}
	u := &unpacker{
		cfg:       newUnpackConfig(opts),
		root:      os.NewFile(uintptr(rootFd), dir),
		written:   map[string]struct{}{},
		ancestors: map[string]struct{}{},
		whited:    map[string]struct{}{},
		dirs:      map[string]*tar.Header{},
		buf:       make([]byte, copyBufferSize),
	}
	defer u.close()
	tr := tar.NewReader(ctxReader{ctx: ctx, r: r})
	for {
		if err := ctx.Err(); err != nil {
			return u.stats, fmt.Errorf("unpacking into %s: %w", dir, err)
		}
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return u.stats, fmt.Errorf("unpacking into %s: reading layer tar: %w", dir, err)
		}
		if err := u.entry(hdr, tr); err != nil {
			return u.stats, fmt.Errorf("unpacking %s: %w", hdr.Name, err)
		}
	}
	if err := u.finish(); err != nil {
		return u.stats, fmt.Errorf("unpacking into %s: %w", dir, err)
	}
	return u.stats, nil
}

// unpacker is the state of one Unpack call.
type unpacker struct {
	cfg   unpackConfig
	root  *os.File // O_PATH handle on dir; every lookup starts here
	stats UnpackStats
	// written holds every path this layer created; ancestors the directories
	// above them. Whiteouts apply only to lower layers, so these survive.
	written, ancestors map[string]struct{}
	// whited holds the paths this layer whited out with OverlayWhiteouts: a
	// directory entry for one of them must become opaque to hide the lower
	// directory, as deleting it does with ApplyWhiteouts.
	whited map[string]struct{}
	// dirs holds the mode and times of directory entries, applied at the end
	// so that writing their contents neither fails nor bumps the mtime.
	dirs      map[string]*tar.Header
	dirOrder  []string
	buf       []byte
	cacheRel  string   // the parent directory last resolved …
	cacheDir  *os.File // … and its handle
	chownNote bool     // an ignored chown failure is already in Skipped
}

func (u *unpacker) close() {
	u.dropCache()
	_ = u.root.Close()
}

func (u *unpacker) skip(name, format string, args ...any) {
	u.stats.Skipped = append(u.stats.Skipped, name+": "+fmt.Sprintf(format, args...))
}

// entry applies one tar entry.
func (u *unpacker) entry(hdr *tar.Header, content io.Reader) error {
	rel, err := cleanName(hdr.Name)
	if err != nil {
		return err
	}
	if base := path.Base(rel); base != whiteoutOpaque && strings.Contains("/"+rel, "/"+whiteoutMeta) {
		// aufs bookkeeping (.wh..wh.plnk/, .wh..wh.aufs): never image content.
		u.skip(hdr.Name, "aufs metadata entry ignored")
		return nil
	} else if strings.HasPrefix(base, whiteoutPrefix) {
		return u.whiteout(hdr, rel)
	}
	switch hdr.Typeflag {
	case tar.TypeDir:
		err = u.mkdir(hdr, rel)
	case tar.TypeReg, '\x00', tar.TypeCont:
		if isSparse(hdr) {
			// archive/tar expands holes into zeros: a few bytes of map can
			// claim an exabyte. Image layers never hold sparse entries.
			return fmt.Errorf("%w: sparse file", ErrUnsupportedEntry)
		}
		err = u.file(hdr, rel, content)
	case tar.TypeGNUSparse:
		return fmt.Errorf("%w: sparse file", ErrUnsupportedEntry)
	case tar.TypeSymlink:
		err = u.symlink(hdr, rel)
	case tar.TypeLink:
		err = u.hardlink(hdr, rel)
	case tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
		err = u.node(hdr, rel)
	case tar.TypeXGlobalHeader:
		return nil
	default:
		u.skip(hdr.Name, "tar entry type %q not supported", hdr.Typeflag)
		return nil
	}
	if err != nil {
		return err
	}
	u.record(rel)
	return nil
}

// isSparse reports whether hdr is a PAX (GNU 0.x/1.0) sparse file.
func isSparse(hdr *tar.Header) bool {
	for k := range hdr.PAXRecords {
		if strings.HasPrefix(k, "GNU.sparse.") {
			return true
		}
	}
	return false
}

// record remembers that this layer created rel.
func (u *unpacker) record(rel string) {
	u.written[rel] = struct{}{}
	for d := path.Dir(rel); d != "." && d != "/"; d = path.Dir(d) {
		if _, ok := u.ancestors[d]; ok {
			break
		}
		u.ancestors[d] = struct{}{}
	}
}

// parent returns a directory handle for rel's parent, creating missing
// directories (mode 0755) inside the root, and rel's base name.
func (u *unpacker) parent(rel string) (int, string, error) {
	dir, base := splitRel(rel)
	if dir == "." {
		return int(u.root.Fd()), base, nil
	}
	if u.cacheDir != nil && u.cacheRel == dir {
		return int(u.cacheDir.Fd()), base, nil
	}
	if err := u.reviveWhited(dir); err != nil {
		return -1, "", err
	}
	u.dropCache()
	f, err := pathrs.MkdirAllHandle(u.root, dir, 0o755)
	if err != nil {
		return -1, "", fmt.Errorf("creating parent directory %s: %w", dir, err)
	}
	u.cacheRel, u.cacheDir = dir, f
	return int(f.Fd()), base, nil
}

// lookup returns an O_PATH handle on an existing rel, resolved inside the
// root (following symlinks as a chroot would). The caller closes it.
func (u *unpacker) lookup(rel string) (*os.File, error) {
	if rel == "." {
		fd, err := unix.Openat(int(u.root.Fd()), ".", unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			return nil, err
		}
		return os.NewFile(uintptr(fd), u.root.Name()), nil
	}
	return pathrs.OpenatInRoot(u.root, rel)
}

// dropCache forgets the cached parent handle. Removals call it (or
// invalidateOther): the cached directory may be the one removed, or reached
// through a symlink that was just replaced.
func (u *unpacker) dropCache() {
	if u.cacheDir != nil {
		_ = u.cacheDir.Close()
	}
	u.cacheRel, u.cacheDir = "", nil
}

// invalidateOther is called before removing an entry of directory fd. The
// cached parent stays valid if it is fd itself (removing one of its entries
// does not move it); any other cached directory might be inside the removed
// entry or reached through it, so it is dropped.
func (u *unpacker) invalidateOther(fd int) {
	if u.cacheDir != nil && int(u.cacheDir.Fd()) != fd {
		u.dropCache()
	}
}

// finish applies deferred directory modes and times, deepest first.
func (u *unpacker) finish() error {
	for i := len(u.dirOrder) - 1; i >= 0; i-- {
		rel := u.dirOrder[i]
		hdr, ok := u.dirs[rel]
		if !ok {
			continue
		}
		delete(u.dirs, rel)
		if err := u.finishDir(rel, hdr); err != nil {
			return fmt.Errorf("setting metadata of %s: %w", rel, err)
		}
	}
	return nil
}

func (u *unpacker) finishDir(rel string, hdr *tar.Header) error {
	dir, base := splitRel(rel)
	h, err := u.lookup(dir)
	if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ENOTDIR) {
		return nil // removed later in this layer
	}
	if err != nil {
		return err
	}
	defer h.Close()
	fd := int(h.Fd())
	var st unix.Stat_t
	if err := unix.Fstatat(fd, base, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil || st.Mode&unix.S_IFMT != unix.S_IFDIR {
		return nil // replaced or removed later in this layer
	}
	if err := chmodAt(fd, base, hdr.Mode); err != nil {
		return err
	}
	return setTimes(fd, base, hdr)
}

// ctxReader stops a long copy when the context is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// writerOnly hides os.File's ReadFrom so io.CopyBuffer uses our buffer.
type writerOnly struct{ io.Writer }
