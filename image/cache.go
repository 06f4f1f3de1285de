package image

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// RegistryCache keeps build caches as images in a registry repository
// (--cache-to/--cache-from type=registry). It satisfies build.CacheBackend.
type RegistryCache struct {
	Client *Client
}

// Load returns the cache image at ref, or nil when there is none yet.
func (c RegistryCache) Load(ctx context.Context, ref string) (v1.Image, error) {
	r, err := c.Client.ParseReference(ref)
	if err != nil {
		return nil, err
	}
	img, err := remote.Image(r, c.Client.remoteOptions(ctx, r.Context().Registry, c.Client.opts.backoff)...)
	var terr *transport.Error
	if errors.As(err, &terr) && terr.StatusCode == http.StatusNotFound {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading cache %s: %w", r.Name(), explain(r.Context().Registry, err))
	}
	return img, nil
}

// Save pushes the cache image to ref.
func (c RegistryCache) Save(ctx context.Context, ref string, img v1.Image) error {
	return c.Client.Push(ctx, ref, img)
}
