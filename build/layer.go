package build

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/klauspost/pgzip"

	"github.com/polyarch/polyarch/rootfs"
	"github.com/polyarch/polyarch/store"
)

// layer is one layer of a stage: its blob in the store and its unpacked
// directory (an overlay lower dir).
type layer struct {
	v1.Layer
	dir string
}

// storeLayer is a gzip layer blob in the store with a known diffID.
type storeLayer struct {
	st     *store.Store
	digest v1.Hash
	diffID v1.Hash
	size   int64
	mt     types.MediaType // "" means OCI gzip
}

func (l *storeLayer) Digest() (v1.Hash, error) { return l.digest, nil }
func (l *storeLayer) DiffID() (v1.Hash, error) { return l.diffID, nil }
func (l *storeLayer) Size() (int64, error)     { return l.size, nil }
func (l *storeLayer) MediaType() (types.MediaType, error) {
	if l.mt == "" {
		return types.OCILayer, nil
	}
	return l.mt, nil
}
func (l *storeLayer) Compressed() (io.ReadCloser, error) { return l.st.OpenBlob(l.digest) }
func (l *storeLayer) Uncompressed() (io.ReadCloser, error) {
	rc, err := l.st.OpenBlob(l.digest)
	if err != nil {
		return nil, err
	}
	zr, err := pgzip.NewReader(rc)
	if err != nil {
		rc.Close()
		return nil, err
	}
	return readCloser{zr, func() error { zr.Close(); return rc.Close() }}, nil
}

type readCloser struct {
	io.Reader
	close func() error
}

func (r readCloser) Close() error { return r.close() }

// packOptions are how a directory becomes a layer.
type packOptions struct {
	overlayUpper bool
	epoch        *time.Time // SOURCE_DATE_EPOCH clamp
}

// commitDir packs dir as a layer (gzip, into the store) and moves dir into
// the store as the layer's unpacked dir. It returns nil when dir is empty
// (the step changed nothing: no layer, as BuildKit does).
func commitDir(ctx context.Context, st *store.Store, dir string, o packOptions) (*layer, error) {
	if empty, err := isEmptyDir(dir); err != nil || empty {
		return nil, err
	}
	pr, pw := io.Pipe()
	diffHash := sha256.New()
	go func() {
		zw := pgzip.NewWriter(pw)
		opts := []rootfs.PackOption{rootfs.WithOverlayUpper(o.overlayUpper)}
		if o.epoch != nil {
			opts = append(opts, rootfs.WithMtimeClamp(*o.epoch))
		}
		err := rootfs.Pack(ctx, io.MultiWriter(zw, diffHash), dir, opts...)
		if err == nil {
			err = zw.Close()
		}
		pw.CloseWithError(err)
	}()
	digest, size, err := st.WriteBlob(ctx, v1.Hash{}, -1, pr)
	pr.CloseWithError(err)
	if err != nil {
		return nil, fmt.Errorf("writing layer: %w", err)
	}
	diffID := v1.Hash{Algorithm: "sha256", Hex: fmt.Sprintf("%x", diffHash.Sum(nil))}
	unpacked, err := st.Unpacked(ctx, diffID, func(_ context.Context, into string) error { return moveContents(dir, into) })
	if err != nil {
		return nil, fmt.Errorf("storing layer %s: %w", diffID, err)
	}
	return &layer{Layer: &storeLayer{st: st, digest: digest, diffID: diffID, size: size}, dir: unpacked}, nil
}

func isEmptyDir(dir string) (bool, error) {
	f, err := os.Open(dir)
	if err != nil {
		return false, fmt.Errorf("reading %s: %w", dir, err)
	}
	defer f.Close()
	names, err := f.Readdirnames(1)
	return len(names) == 0 && (err == nil || err == io.EOF), nil
}

// moveContents renames every entry of src into dst (same filesystem).
func moveContents(src, dst string) error {
	entries, err := os.ReadDir(src)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if err := os.Rename(filepath.Join(src, e.Name()), filepath.Join(dst, e.Name())); err != nil {
			return err
		}
	}
	return nil
}
