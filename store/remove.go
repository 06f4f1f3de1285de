package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// removeAll deletes a tree that may hold read-only directories (an unpacked
// layer keeps the modes from its tar, e.g. 0500 or 0000). os.RemoveAll cannot
// unlink entries of a directory without write and search permission, so on
// failure every directory is made owner-rwx and the removal retried. Files
// need no chmod: unlinking depends only on the parent's mode. Symlinks are
// never followed (WalkDir reports them as links, and only real directories
// are chmodded). Directories owned by another uid cannot be chmodded without
// CAP_FOWNER; a rootless caller supplies its own remover (WithRemover).
func removeAll(ctx context.Context, path string) error {
	if err := os.RemoveAll(path); err == nil {
		return nil
	}
	if err := makeOwnerWritable(ctx, path); err != nil {
		return err
	}
	if err := os.RemoveAll(path); err != nil {
		return fmt.Errorf("removing %s: %w", path, err)
	}
	return nil
}

func makeOwnerWritable(ctx context.Context, root string) error {
	// WalkDir calls fn on a directory before reading it, so chmodding there
	// makes an unreadable (0000) directory readable just in time.
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return ctxErr
		}
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			// A directory that stayed unreadable after chmod: keep going,
			// RemoveAll reports what is left.
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if !d.IsDir() {
			return nil
		}
		if err := os.Chmod(p, 0o700); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("making %s removable: %w", p, err)
		}
		return nil
	})
}

// diskUsage sums the apparent size of the regular files and symlinks under
// root, counting hard-linked inodes once. Unreadable parts are skipped: the
// number is a report, not an invariant.
func diskUsage(root string) int64 {
	var total int64
	seen := map[[2]uint64]bool{}
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if d != nil && d.IsDir() && p != root {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return nil
		}
		if st, ok := fi.Sys().(*syscall.Stat_t); ok && st.Nlink > 1 {
			key := [2]uint64{uint64(st.Dev), st.Ino}
			if seen[key] {
				return nil
			}
			seen[key] = true
		}
		total += fi.Size()
		return nil
	})
	return total
}
