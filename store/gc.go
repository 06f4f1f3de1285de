package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"golang.org/x/sys/unix"
)

// GCReport says what GC removed.
type GCReport struct {
	BlobsRemoved int   // blobs under oci/blobs
	DirsRemoved  int   // unpacked layer dirs
	TmpRemoved   int   // stale temp files and dirs
	BytesFreed   int64 // apparent size of all of the above
}

// Usage is the apparent size of each part of the store.
type Usage struct {
	Blobs, Unpacked, Tmp     int64
	BlobCount, UnpackedCount int
}

// GC deletes what nothing reaches. Roots are every descriptor in index.json
// (tags, and entries other tools wrote), extraRoots (blobs such as build-cache
// records, followed like tags; or diffIDs naming unpacked dirs to keep) and,
// within the grace period, every recent blob. From a root, an index reaches its
// children, an image its config and layers, a config the unpacked dirs of its
// rootfs.diff_ids. GC also removes temp entries whose writer is gone.
//
// GC waits (until ctx is done) for every other operation and Hold in any
// process to finish, and blocks them while it runs. An error removing one entry
// does not stop the sweep; a done ctx does. Either way the report counts what
// was removed, and what remains is consistent: trusted entries are removed
// whole or renamed out of place first.
func (s *Store) GC(ctx context.Context, extraRoots ...v1.Hash) (GCReport, error) {
	l, err := lockFile(ctx, s.gcLockPath(), unix.LOCK_EX)
	if err != nil {
		return GCReport{}, fmt.Errorf("collecting garbage: %w", err)
	}
	defer l.Unlock()

	g := &sweeper{s: s, cutoff: time.Now().Add(-s.opts.grace)}
	var recent []v1.Hash
	if s.opts.grace > 0 {
		if recent, err = g.recentBlobs(); err != nil {
			return GCReport{}, fmt.Errorf("collecting garbage: %w", err)
		}
	}
	m := newMarker(s)
	if err := m.markRoots(extraRoots, recent); err != nil {
		return GCReport{}, fmt.Errorf("collecting garbage: %w", err)
	}
	err = errors.Join(
		g.tmp(ctx),
		g.blobs(ctx, m.blobs),
		g.unpacked(ctx, m.diffIDs),
		g.unpackLocks(),
	)
	if err != nil {
		return g.report, fmt.Errorf("collecting garbage: %w", err)
	}
	return g.report, nil
}

// sweeper is GC's sweep phase; it runs under the exclusive GC lock. Recency is
// the ctime (see Store.touch).
type sweeper struct {
	s      *Store
	cutoff time.Time // entries modified after it are within the grace period
	report GCReport
}

func (g *sweeper) recent(e fs.DirEntry) bool {
	fi, err := e.Info()
	return err == nil && changeTime(fi).After(g.cutoff)
}

func (g *sweeper) recentBlobs() ([]v1.Hash, error) {
	entries, err := os.ReadDir(g.s.blobsDir())
	if err != nil {
		return nil, err
	}
	var out []v1.Hash
	for _, e := range entries {
		if isHex64(e.Name()) && g.recent(e) {
			out = append(out, v1.Hash{Algorithm: "sha256", Hex: e.Name()})
		}
	}
	return out, nil
}

func (g *sweeper) blobs(ctx context.Context, keep map[v1.Hash]bool) error {
	entries, err := os.ReadDir(g.s.blobsDir())
	if err != nil {
		return err
	}
	var errs []error
	for _, e := range entries {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		h := v1.Hash{Algorithm: "sha256", Hex: e.Name()}
		if !isHex64(e.Name()) || keep[h] || g.recent(e) {
			continue
		}
		fi, err := e.Info()
		if err != nil {
			continue // gone already
		}
		if err := os.Remove(g.s.BlobPath(h)); err != nil {
			errs = append(errs, fmt.Errorf("removing blob %s: %w", h, err))
			continue
		}
		g.s.opts.logger.Debug("store: gc: removed blob", "digest", h, "size", fi.Size())
		g.report.BlobsRemoved++
		g.report.BytesFreed += fi.Size()
	}
	return errors.Join(errs...)
}

// unpacked removes unreferenced unpacked dirs. Each is first renamed into
// tmp/, so that a removal failing halfway never leaves a partial tree where it
// would be trusted; a later GC retries it.
func (g *sweeper) unpacked(ctx context.Context, keep map[string]bool) error {
	entries, err := os.ReadDir(g.s.unpackedDir())
	if err != nil {
		return err
	}
	var errs []error
	for _, e := range entries {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		name := e.Name()
		if (e.IsDir() && keep[name]) || g.recent(e) {
			continue
		}
		path := filepath.Join(g.s.unpackedDir(), name)
		size := diskUsage(path)
		if !e.IsDir() { // a stray file: never trusted, just delete it
			if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, err)
			}
			continue
		}
		if err := g.discardDir(ctx, path); err != nil {
			errs = append(errs, fmt.Errorf("removing unpacked layer %s: %w", name, err))
			continue
		}
		g.s.opts.logger.Debug("store: gc: removed unpacked layer", "diffID", name, "size", size)
		g.report.DirsRemoved++
		g.report.BytesFreed += size
	}
	return errors.Join(errs...)
}

func (g *sweeper) discardDir(ctx context.Context, path string) error {
	// rename(2) replaces an empty directory, which gives a unique new name.
	dst, err := os.MkdirTemp(g.s.tmpDir(), tmpGCPrefix+"*")
	if err != nil {
		return err
	}
	if err := renameDir(path, dst); err != nil {
		os.Remove(dst)
		return err
	}
	return g.s.opts.remove(ctx, dst)
}

// tmpGCPrefix names trees GC moved out of unpacked/: only a GC (holding the
// exclusive lock) makes them, so any found by a later GC are stale.
const tmpGCPrefix = "gc-"

func (g *sweeper) tmp(ctx context.Context) error {
	entries, err := os.ReadDir(g.s.tmpDir())
	if err != nil {
		return err
	}
	var errs []error
	for _, e := range entries {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		path := filepath.Join(g.s.tmpDir(), e.Name())
		l, stale := g.tmpStale(e)
		if !stale {
			continue
		}
		size := diskUsage(path)
		if e.IsDir() {
			err = g.s.opts.remove(ctx, path)
		} else {
			err = os.Remove(path)
		}
		l.Unlock()
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, fmt.Errorf("removing temp entry: %w", err))
			continue
		}
		g.report.TmpRemoved++
		g.report.BytesFreed += size
	}
	return errors.Join(errs...)
}

// tmpStale tells a temp entry whose writer is gone from a live one, by the
// lock guarding it. The returned lock (possibly nil) is held until removal.
func (g *sweeper) tmpStale(e fs.DirEntry) (*fileLock, bool) {
	name := e.Name()
	path := filepath.Join(g.s.tmpDir(), name)
	switch {
	case strings.HasPrefix(name, tmpFilePrefix):
		l, ok, err := tryLockFile(path, unix.LOCK_EX)
		return l, ok && err == nil
	case strings.HasPrefix(name, tmpUnpackPrefix) && len(name) > len(tmpUnpackPrefix)+64:
		hex := name[len(tmpUnpackPrefix) : len(tmpUnpackPrefix)+64]
		l, ok, err := tryLockFile(g.s.unpackLockPath(hex), unix.LOCK_EX)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, true
		}
		return l, ok && err == nil
	case strings.HasPrefix(name, tmpGCPrefix):
		return nil, true
	}
	return nil, !g.recent(e) // unknown: by age alone
}

// unpackLocks deletes the per-layer lock files. Safe only under the exclusive
// GC lock: Unpacked opens them only while holding the GC lock shared, so no
// one can have one open (deleting a lock file someone is about to lock would
// let two holders lock different inodes).
func (g *sweeper) unpackLocks() error {
	matches, err := filepath.Glob(filepath.Join(g.s.locksDir(), tmpUnpackPrefix+"*.lock"))
	if err != nil {
		return err
	}
	var errs []error
	for _, p := range matches {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// DiskUsage reports the apparent size of blobs, unpacked dirs and temp entries.
func (s *Store) DiskUsage() (Usage, error) {
	var u Usage
	blobs, err := os.ReadDir(s.blobsDir())
	if err != nil {
		return u, fmt.Errorf("measuring store: %w", err)
	}
	dirs, err := os.ReadDir(s.unpackedDir())
	if err != nil {
		return u, fmt.Errorf("measuring store: %w", err)
	}
	u.BlobCount, u.UnpackedCount = len(blobs), len(dirs)
	u.Blobs = diskUsage(s.blobsDir())
	u.Unpacked = diskUsage(s.unpackedDir())
	u.Tmp = diskUsage(s.tmpDir())
	return u, nil
}
