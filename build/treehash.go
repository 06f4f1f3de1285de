package build

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"syscall"
)

// treeDigest hashes a directory's contents for the build cache: paths,
// types, modes, owners, symlink targets, xattrs and file contents, but not
// mtimes, so touching a file without changing it keeps the cache.
func treeDigest(dir string) (string, error) {
	h := sha256.New()
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		info, err := d.Info()
		if err != nil {
			return err
		}
		sys, _ := info.Sys().(*syscall.Stat_t)
		var uid, gid uint32
		var rdev uint64
		if sys != nil {
			uid, gid, rdev = sys.Uid, sys.Gid, sys.Rdev
		}
		fmt.Fprintf(h, "%q %o %d %d %d", rel, info.Mode(), uid, gid, rdev)
		switch {
		case info.Mode()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			fmt.Fprintf(h, " -> %q", target)
		case info.Mode().IsRegular():
			if err := hashFile(h, p); err != nil {
				return err
			}
		}
		hashXattrs(h, p)
		h.Write([]byte{'\n'})
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("hashing %s: %w", dir, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func hashFile(w io.Writer, p string) error {
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	fh := sha256.New()
	if _, err := io.Copy(fh, f); err != nil {
		return err
	}
	fmt.Fprintf(w, " %x", fh.Sum(nil))
	return nil
}

func hashXattrs(w io.Writer, p string) {
	xs := xattrs(p)
	names := make([]string, 0, len(xs))
	for name := range xs {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		fmt.Fprintf(w, " %s=%x", name, xs[name])
	}
}
