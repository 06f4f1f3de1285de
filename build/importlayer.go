package build

import (
	"context"
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/polyarch/polyarch/container"
	"github.com/polyarch/polyarch/store"
)

// importLayer copies a cached layer blob into the store (verified against
// its digest) and unpacks it as a lower dir.
func importLayer(ctx context.Context, st *store.Store, rl v1.Layer, rec cacheRecord) (*layer, error) {
	if !st.HasBlob(rec.Digest) {
		rc, err := rl.Compressed()
		if err != nil {
			return nil, fmt.Errorf("downloading cached layer %s: %w", rec.Digest, err)
		}
		_, _, err = st.WriteBlob(ctx, rec.Digest, rec.Size, rc)
		rc.Close()
		if err != nil {
			return nil, fmt.Errorf("downloading cached layer %s: %w", rec.Digest, err)
		}
	}
	l := &storeLayer{st: st, digest: rec.Digest, diffID: rec.DiffID, size: rec.Size}
	dir, err := container.UnpackLayer(ctx, st, l)
	if err != nil {
		return nil, err
	}
	return &layer{Layer: l, dir: dir}, nil
}
