package store

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"golang.org/x/sys/unix"
)

// UnpackedPath returns where the unpacked tree of the layer with uncompressed
// digest diffID lives (or would live).
func (s *Store) UnpackedPath(diffID v1.Hash) string {
	return filepath.Join(s.unpackedDir(), diffID.Hex)
}

// HasUnpacked reports whether the layer's unpacked tree is present (and
// therefore complete).
func (s *Store) HasUnpacked(diffID v1.Hash) bool {
	fi, err := os.Lstat(s.UnpackedPath(diffID))
	return err == nil && fi.IsDir()
}

// Unpacked returns the directory holding the unpacked layer with uncompressed
// digest diffID, for use as an overlay lower dir. When it is missing, fill is
// called on a fresh, empty temp dir (mode 0755) and the result renamed into
// place only if fill succeeds; a failed or interrupted fill leaves only a temp
// dir, which is removed (or collected by GC). Concurrent callers, in this
// process or others, wait on a per-layer lock: fill runs once and everyone
// gets the same dir. The caller must never modify the returned tree.
func (s *Store) Unpacked(ctx context.Context, diffID v1.Hash, fill func(ctx context.Context, dir string) error) (string, error) {
	if diffID.Algorithm != "sha256" || !isHex64(diffID.Hex) {
		return "", fmt.Errorf("unpacking layer %s: unsupported digest (only sha256)", diffID)
	}
	// Held shared even when the dir exists, so that a GC in progress cannot
	// be deleting the dir we return.
	gl, err := s.shared(ctx)
	if err != nil {
		return "", err
	}
	defer gl.Unlock()
	final := s.UnpackedPath(diffID)
	if s.HasUnpacked(diffID) {
		s.touch(final)
		return final, nil
	}
	ul, err := lockFile(ctx, s.unpackLockPath(diffID.Hex), unix.LOCK_EX)
	if err != nil {
		return "", fmt.Errorf("unpacking layer %s: %w", diffID, err)
	}
	defer ul.Unlock()
	if s.HasUnpacked(diffID) { // another caller filled it while we waited
		s.touch(final)
		return final, nil
	}
	if err := s.fillAndCommit(ctx, diffID, fill); err != nil {
		return "", fmt.Errorf("unpacking layer %s: %w", diffID, err)
	}
	return final, nil
}

// fillAndCommit runs fill on a temp dir under tmp/ (named after the layer so
// that GC knows which lock guards it) and renames the result into place.
func (s *Store) fillAndCommit(ctx context.Context, diffID v1.Hash, fill func(ctx context.Context, dir string) error) (err error) {
	tmp, err := os.MkdirTemp(s.tmpDir(), tmpUnpackPrefix+diffID.Hex+"-*")
	if err != nil {
		return err
	}
	defer func() {
		if err == nil {
			return
		}
		if rmErr := s.opts.remove(context.WithoutCancel(ctx), tmp); rmErr != nil {
			s.opts.logger.Warn("store: removing failed unpack dir; GC will retry", "dir", tmp, "err", rmErr)
		}
	}()
	// MkdirTemp makes 0700; a layer root is normally 0755, and fill may
	// chmod it to what the tar says.
	if err := os.Chmod(tmp, 0o755); err != nil {
		return err
	}
	if err := fill(ctx, tmp); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.opts.syncUnpack {
		if err := syncFS(tmp); err != nil {
			return err
		}
	}
	if err := renameDir(tmp, s.UnpackedPath(diffID)); err != nil {
		return err
	}
	return syncDir(s.unpackedDir())
}

// renameDir renames a directory to another parent, replacing dst if it is an
// empty directory (rename(2) allows that; os.Rename refuses it). Linux also
// needs write permission on the moved directory itself (its ".." entry
// changes), which a tree unpacked with a 0555 root lacks; lend it u+w.
func renameDir(src, dst string) error {
	fi, err := os.Lstat(src)
	if err != nil {
		return err
	}
	mode := fi.Mode() & (os.ModePerm | os.ModeSetuid | os.ModeSetgid | os.ModeSticky)
	if mode&0o200 != 0 {
		return rename(src, dst)
	}
	if err := os.Chmod(src, mode|0o700); err != nil {
		return err
	}
	if err := rename(src, dst); err != nil {
		os.Chmod(src, mode)
		return err
	}
	return os.Chmod(dst, mode)
}

func rename(src, dst string) error {
	if err := unix.Rename(src, dst); err != nil {
		return &os.LinkError{Op: "rename", Old: src, New: dst, Err: err}
	}
	return nil
}

// syncFS flushes the filesystem holding dir: fill writes many files without
// fsync, and a dir must not be trusted after a crash with truncated files.
func syncFS(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := unix.Syncfs(int(f.Fd())); err != nil {
		return fmt.Errorf("syncing filesystem of %s: %w", dir, err)
	}
	return nil
}
