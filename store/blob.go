package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// WriteBlob streams r into the store and returns its digest and size.
//
// want is the digest the content must have (the zero Hash: compute it); size
// is the number of bytes it must have (-1: unknown). Content is verified while
// streaming into a temp file and renamed into place only after it matched, so
// a failed or interrupted write leaves nothing under blobs/. When want is
// given and already present, r is not read.
func (s *Store) WriteBlob(ctx context.Context, want v1.Hash, size int64, r io.Reader) (v1.Hash, int64, error) {
	l, err := s.shared(ctx)
	if err != nil {
		return v1.Hash{}, 0, err
	}
	defer l.Unlock()
	return s.writeBlob(ctx, want, size, r)
}

// writeBlob is WriteBlob for callers already holding the GC lock.
func (s *Store) writeBlob(ctx context.Context, want v1.Hash, size int64, r io.Reader) (v1.Hash, int64, error) {
	zero := want == v1.Hash{}
	if !zero {
		if want.Algorithm != "sha256" || !isHex64(want.Hex) {
			return v1.Hash{}, 0, fmt.Errorf("writing blob %s: unsupported digest (only sha256)", want)
		}
		if fi, err := os.Stat(s.BlobPath(want)); err == nil && fi.Mode().IsRegular() {
			s.touch(s.BlobPath(want))
			return want, fi.Size(), nil
		}
	}
	got, n, err := s.streamBlob(ctx, want, size, r)
	if err != nil {
		if zero {
			return v1.Hash{}, 0, fmt.Errorf("writing blob: %w", err)
		}
		return v1.Hash{}, 0, fmt.Errorf("writing blob %s: %w", want, err)
	}
	return got, n, nil
}

// streamBlob copies r to a locked temp file while hashing, verifies, and
// renames the file into place.
func (s *Store) streamBlob(ctx context.Context, want v1.Hash, size int64, r io.Reader) (v1.Hash, int64, error) {
	f, err := s.createTemp()
	if err != nil {
		return v1.Hash{}, 0, err
	}
	tmp := f.Name()
	defer func() {
		f.Close()
		os.Remove(tmp) // fails harmlessly once renamed
	}()

	src := &ctxReader{ctx: ctx, r: r}
	var lr io.Reader = src
	if size >= 0 {
		lr = io.LimitReader(src, size+1) // one extra byte detects overlong input
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h), lr)
	if err != nil {
		return v1.Hash{}, 0, err
	}
	if size >= 0 && n != size {
		return v1.Hash{}, 0, fmt.Errorf("%w: want %d bytes, read %d", ErrSizeMismatch, size, n)
	}
	got := v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(h.Sum(nil))}
	if (want != v1.Hash{}) && got != want {
		return v1.Hash{}, 0, fmt.Errorf("%w: content hashes to %s", ErrDigestMismatch, got)
	}
	if err := commitTemp(f, s.BlobPath(got)); err != nil {
		return v1.Hash{}, 0, err
	}
	return got, n, nil
}

// HasBlob reports whether the blob is present (and therefore verified).
func (s *Store) HasBlob(h v1.Hash) bool {
	if h.Algorithm != "sha256" || !isHex64(h.Hex) {
		return false
	}
	fi, err := os.Stat(s.BlobPath(h))
	return err == nil && fi.Mode().IsRegular()
}

// OpenBlob opens a blob for reading; a missing blob is ErrNotFound.
func (s *Store) OpenBlob(h v1.Hash) (io.ReadCloser, error) {
	if h.Algorithm != "sha256" || !isHex64(h.Hex) {
		return nil, fmt.Errorf("opening blob %s: %w", h, ErrNotFound)
	}
	f, err := os.Open(s.BlobPath(h))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("opening blob %s: %w", h, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("opening blob %s: %w", h, err)
	}
	return f, nil
}

// BlobPath returns where the blob lives (or would live) on disk. Callers may
// read the file but must never write it.
func (s *Store) BlobPath(h v1.Hash) string {
	return filepath.Join(s.root, "oci", "blobs", h.Algorithm, h.Hex)
}

// readBlob reads a whole (small) blob: a manifest, index or config.
func (s *Store) readBlob(h v1.Hash) ([]byte, error) {
	rc, err := s.OpenBlob(h)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		return nil, fmt.Errorf("reading blob %s: %w", h, err)
	}
	return b, nil
}

// touch marks a reused entry as recently used so that GC's grace period
// counts from its last use, not its first write. Recency is the inode change
// time (ctime): rename sets it, and setting atime/mtime to their current
// values bumps it without changing what an unpacked tree shows (a layer root's
// mtime comes from its tar). Failure only weakens the grace protection.
func (s *Store) touch(path string) {
	fi, err := os.Lstat(path)
	if err == nil {
		err = os.Chtimes(path, accessTime(fi), fi.ModTime())
	}
	if err != nil {
		s.opts.logger.Debug("store: refreshing ctime", "path", path, "err", err)
	}
}

func accessTime(fi os.FileInfo) time.Time {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return time.Unix(st.Atim.Unix())
	}
	return fi.ModTime()
}

// changeTime is when the entry was renamed into place or last touched.
func changeTime(fi os.FileInfo) time.Time {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return time.Unix(st.Ctim.Unix())
	}
	return fi.ModTime()
}

// ctxReader stops a copy once ctx is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

func isHex64(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range []byte(s) {
		if !isLowerHex(c) {
			return false
		}
	}
	return true
}

func isLowerHex(c byte) bool {
	return ('0' <= c && c <= '9') || ('a' <= c && c <= 'f')
}
