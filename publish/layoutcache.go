package publish

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/match"
)

const refName = "org.opencontainers.image.ref.name"

// LayoutCache keeps build caches in a local OCI layout directory
// (--cache-to type=local,dest=DIR / --cache-from type=local,src=DIR), for
// CI systems that persist a directory between runs. It satisfies
// build.CacheBackend.
type LayoutCache struct {
	Dir string
	mu  *sync.Mutex
}

// NewLayoutCache returns a cache kept in dir.
func NewLayoutCache(dir string) LayoutCache { return LayoutCache{Dir: dir, mu: &sync.Mutex{}} }

// Load returns the cache image named ref, or nil when there is none.
func (c LayoutCache) Load(_ context.Context, ref string) (v1.Image, error) {
	p, err := layout.FromPath(c.Dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading cache dir %s: %w", c.Dir, err)
	}
	idx, err := p.ImageIndex()
	if err != nil {
		return nil, err
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, err
	}
	for _, d := range im.Manifests {
		if d.Annotations[refName] == ref {
			return idx.Image(d.Digest)
		}
	}
	return nil, nil
}

// Save writes img under the name ref, replacing an older one.
func (c LayoutCache) Save(_ context.Context, ref string, img v1.Image) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	p, err := layout.FromPath(c.Dir)
	if err != nil {
		if p, err = layout.Write(c.Dir, empty.Index); err != nil {
			return fmt.Errorf("creating cache dir %s: %w", c.Dir, err)
		}
	}
	return p.ReplaceImage(img, match.Annotation(refName, ref), layout.WithAnnotations(map[string]string{refName: ref}))
}
