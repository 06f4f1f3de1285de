package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"
)

// Sentinel errors callers branch on. They are wrapped; test with errors.Is.
var (
	// ErrNotFound: no such blob, tag, digest or unpacked layer.
	ErrNotFound = errors.New("not found in store")
	// ErrAmbiguous: a digest prefix matches more than one manifest.
	ErrAmbiguous = errors.New("ambiguous digest prefix")
	// ErrDigestMismatch: the bytes read do not hash to the digest promised.
	ErrDigestMismatch = errors.New("digest mismatch")
	// ErrSizeMismatch: the bytes read are not as many as promised.
	ErrSizeMismatch = errors.New("size mismatch")
)

// Store is an open on-disk image store. It holds no open files between
// calls, so a Store needs no Close and is safe for concurrent use by many
// goroutines and many processes.
type Store struct {
	root string
	opts options
}

// Option configures Open.
type Option func(*options)

type options struct {
	logger      *slog.Logger
	grace       time.Duration
	concurrency int
	remove      func(ctx context.Context, path string) error
	syncUnpack  bool
}

// WithLogger sets the logger for GC decisions and tolerated errors.
// Default: a logger that discards everything.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) { o.logger = l }
}

// WithGCGracePeriod makes GC keep blobs, unpacked dirs and unknown temp
// entries written or reused less than d ago, and treat recent manifests and
// indexes as roots. It protects another process's build between writing its
// layers and tagging the result when that build did not use Hold. Default: 10
// minutes. Use 0 to collect everything unreachable.
func WithGCGracePeriod(d time.Duration) Option {
	return func(o *options) { o.grace = max(d, 0) }
}

// WithWriteConcurrency bounds how many layers WriteImage writes at once.
// Default: 4.
func WithWriteConcurrency(n int) Option {
	return func(o *options) { o.concurrency = max(n, 1) }
}

// WithRemover replaces how unpacked trees and stale temp dirs are deleted, e.g.
// by a rootless caller that must enter its user namespace to delete files
// owned by subordinate uids. Default: os.RemoveAll, falling back to making
// every directory owner-writable (0700) and retrying.
func WithRemover(fn func(ctx context.Context, path string) error) Option {
	return func(o *options) { o.remove = fn }
}

// WithUnpackSync controls whether Unpacked calls syncfs(2) before renaming a
// filled dir into place, so a power loss cannot leave a trusted dir with
// truncated files. Default: true.
func WithUnpackSync(on bool) Option {
	return func(o *options) { o.syncUnpack = on }
}

// ociLayoutFile is the content of oci-layout, per the image-spec:
// https://github.com/opencontainers/image-spec/blob/main/image-layout.md
const ociLayoutFile = `{"imageLayoutVersion":"1.0.0"}`

// Open opens the store at root, creating its directories, oci-layout and an
// empty index.json as needed.
func Open(ctx context.Context, root string, opts ...Option) (*Store, error) {
	if root == "" {
		return nil, errors.New("opening store: empty root path")
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("opening store %s: %w", root, err)
	}
	s := &Store{root: abs, opts: options{
		logger:      slog.New(slog.NewTextHandler(io.Discard, nil)),
		grace:       10 * time.Minute,
		concurrency: 4,
		remove:      removeAll,
		syncUnpack:  true,
	}}
	for _, o := range opts {
		o(&s.opts)
	}
	for _, d := range []string{s.blobsDir(), s.unpackedDir(), s.tmpDir(), s.locksDir()} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("opening store %s: %w", abs, err)
		}
	}
	if err := s.initLayout(ctx); err != nil {
		return nil, fmt.Errorf("opening store %s: %w", abs, err)
	}
	return s, nil
}

// initLayout writes oci-layout and an empty index.json if missing. index.json
// is created under the index lock so that a racing Open cannot overwrite tags
// another process has just written.
func (s *Store) initLayout(ctx context.Context) error {
	if _, err := os.Stat(filepath.Join(s.ociDir(), "oci-layout")); errors.Is(err, os.ErrNotExist) {
		if err := s.writeFileAtomic(filepath.Join(s.ociDir(), "oci-layout"), []byte(ociLayoutFile)); err != nil {
			return err
		}
	}
	if _, err := os.Stat(s.indexPath()); err == nil {
		return nil
	}
	l, err := lockFile(ctx, s.indexLockPath(), unix.LOCK_EX)
	if err != nil {
		return err
	}
	defer l.Unlock()
	if _, err := os.Stat(s.indexPath()); err == nil {
		return nil
	}
	return s.writeIndexJSON(emptyIndex())
}

// Root returns the absolute root directory of the store.
func (s *Store) Root() string { return s.root }

// LayoutPath returns the OCI image layout directory (<root>/oci), the path to
// give skopeo (oci:<path>:<ref>) or ggcr's layout.FromPath.
func (s *Store) LayoutPath() string { return s.ociDir() }

// Hold keeps GC (in any process) from running until release is called. Wrap a
// multi-step sequence in it, e.g. a build writing layers that only become
// reachable when the result is tagged, or a container using unpacked dirs.
// Never call GC from the same goroutine while holding: it would wait for
// itself until ctx is done.
func (s *Store) Hold(ctx context.Context) (release func() error, err error) {
	l, err := s.shared(ctx)
	if err != nil {
		return nil, err
	}
	return l.Unlock, nil
}

// shared takes the GC lock shared; every mutating operation holds it.
func (s *Store) shared(ctx context.Context) (*fileLock, error) {
	return lockFile(ctx, s.gcLockPath(), unix.LOCK_SH)
}

func (s *Store) ociDir() string      { return filepath.Join(s.root, "oci") }
func (s *Store) blobsDir() string    { return filepath.Join(s.root, "oci", "blobs", "sha256") }
func (s *Store) indexPath() string   { return filepath.Join(s.root, "oci", "index.json") }
func (s *Store) unpackedDir() string { return filepath.Join(s.root, "unpacked") }
func (s *Store) tmpDir() string      { return filepath.Join(s.root, "tmp") }
func (s *Store) locksDir() string    { return filepath.Join(s.root, "locks") }

func (s *Store) gcLockPath() string    { return filepath.Join(s.locksDir(), "gc.lock") }
func (s *Store) indexLockPath() string { return filepath.Join(s.locksDir(), "index.lock") }

// Temp entry name prefixes; GC uses them to find the lock guarding each.
const (
	tmpFilePrefix   = "file-"   // blob or index.json being written; flocked by the writer
	tmpUnpackPrefix = "unpack-" // unpack-<diffID hex>-*, guarded by locks/unpack-<hex>.lock
)

func (s *Store) unpackLockPath(hex string) string {
	return filepath.Join(s.locksDir(), tmpUnpackPrefix+hex+".lock")
}

// writeFileAtomic writes data to a locked temp file, fsyncs it and renames it
// to path, then fsyncs path's directory.
func (s *Store) writeFileAtomic(path string, data []byte) error {
	f, err := s.createTemp()
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		f.Close()
		os.Remove(tmp) // fails harmlessly once renamed
	}()
	if _, err := f.Write(data); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := commitTemp(f, path); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// createTemp creates a temp file in tmp/ and locks it, so that GC can tell a
// live write from one whose process died.
func (s *Store) createTemp() (*os.File, error) {
	f, err := os.CreateTemp(s.tmpDir(), tmpFilePrefix+"*")
	if err != nil {
		return nil, fmt.Errorf("creating temp file: %w", err)
	}
	if err := lockFD(f); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, err
	}
	return f, nil
}

// commitTemp makes a fully written temp file durable and renames it to dst.
func commitTemp(f *os.File, dst string) error {
	if err := f.Chmod(0o644); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := os.Rename(f.Name(), dst); err != nil {
		return err
	}
	return syncDir(filepath.Dir(dst))
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("syncing %s: %w", dir, err)
	}
	return nil
}
