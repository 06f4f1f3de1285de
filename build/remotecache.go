package build

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/polyarch/polyarch/build/dockerfile"
	"github.com/polyarch/polyarch/platform"
)

// CacheBackend stores cache images: a registry repository or a local OCI
// layout. Load returns (nil, nil) when ref does not exist.
type CacheBackend interface {
	Load(ctx context.Context, ref string) (v1.Image, error)
	Save(ctx context.Context, ref string, img v1.Image) error
}

// CacheRef is one --cache-from or --cache-to.
type CacheRef struct {
	Backend CacheBackend
	// Ref names the cache; each target platform's cache lives at its own
	// name (Ref + "-linux-arm64"), so runners building different platforms
	// never overwrite each other's entries (docker/buildx#1044).
	Ref string
	// Mode is "min" (the final stage's layers, the default) or "max" (every
	// stage's).
	Mode string
}

// PlatformRef is the cache name for one target platform.
func (c CacheRef) PlatformRef(p platform.Platform) string {
	return c.Ref + "-" + strings.ReplaceAll(platform.Format(p), "/", "-")
}

// cacheLabel holds the records in the cache image's config.
const cacheLabel = "dev.polyarch.buildcache.v1"

// remoteCache is what the imported caches know, for one target platform.
type remoteCache struct {
	records map[cacheKey]cacheRecord
	images  map[cacheKey]v1.Image // which cache image has the layer
}

func (r *platformRun) importCaches(ctx context.Context) error {
	r.remote = &remoteCache{records: map[cacheKey]cacheRecord{}, images: map[cacheKey]v1.Image{}}
	for _, c := range r.b.o.cacheFrom {
		img, err := c.Backend.Load(ctx, c.PlatformRef(r.build.Platform))
		if err != nil {
			return fmt.Errorf("--cache-from %s: %w", c.Ref, err)
		}
		if img == nil {
			continue
		}
		cf, err := img.ConfigFile()
		if err != nil {
			return fmt.Errorf("--cache-from %s: %w", c.Ref, err)
		}
		var recs map[cacheKey]cacheRecord
		if err := json.Unmarshal([]byte(cf.Config.Labels[cacheLabel]), &recs); err != nil {
			return fmt.Errorf("--cache-from %s: not a polyarch cache: %w", c.Ref, err)
		}
		for k, rec := range recs {
			if _, seen := r.remote.records[k]; !seen {
				r.remote.records[k], r.remote.images[k] = rec, img
			}
		}
	}
	return nil
}

// lookup finds k in the local cache, else in the imported caches, then
// downloading the layer into the store.
func (r *platformRun) lookup(ctx context.Context, s *dockerfile.Stage, k cacheKey) (*layer, bool, error) {
	if r.b.o.noCache || r.b.o.noCacheStages[s.Name] || r.b.o.noCacheStages[s.DisplayName()] {
		return nil, false, nil
	}
	if l, ok := r.b.cache.lookup(k); ok {
		return l, true, nil
	}
	rec, ok := r.remote.records[k]
	if !ok {
		return nil, false, nil
	}
	if rec.Empty {
		return nil, true, r.b.cache.record(k, nil)
	}
	rl, err := r.remote.images[k].LayerByDigest(rec.Digest)
	if err != nil {
		return nil, false, fmt.Errorf("reading cached layer %s: %w", rec.Digest, err)
	}
	l, err := importLayer(ctx, r.b.st, rl, rec)
	if err != nil {
		return nil, false, err
	}
	return l, true, r.b.cache.record(k, l)
}

// exported remembers the records a build used or made, for --cache-to.
type exported struct {
	mu      sync.Mutex
	records map[cacheKey]cacheRecord
	layers  map[v1.Hash]v1.Layer
	final   map[cacheKey]bool // keys of the target stage's steps (mode=min)
}

func (e *exported) add(k cacheKey, l *layer, final bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.records == nil {
		e.records, e.layers, e.final = map[cacheKey]cacheRecord{}, map[v1.Hash]v1.Layer{}, map[cacheKey]bool{}
	}
	rec := cacheRecord{Empty: l == nil}
	if l != nil {
		rec.Digest, _ = l.Digest()
		rec.DiffID, _ = l.DiffID()
		rec.Size, _ = l.Size()
		e.layers[rec.Digest] = l.Layer
	}
	e.records[k] = rec
	if final {
		e.final[k] = true
	}
}

// exportCaches writes the cache image of this platform to every --cache-to.
func (r *platformRun) exportCaches(ctx context.Context) error {
	for _, c := range r.b.o.cacheTo {
		img, err := r.exp.image(c.Mode)
		if err != nil {
			return err
		}
		if err := c.Backend.Save(ctx, c.PlatformRef(r.build.Platform), img); err != nil {
			return fmt.Errorf("--cache-to %s: %w", c.Ref, err)
		}
	}
	return nil
}

// image is the cache as an ordinary OCI image: the records in a config
// label, the layers as its layers, so any registry stores it.
func (e *exported) image(mode string) (v1.Image, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	recs := map[cacheKey]cacheRecord{}
	seen := map[v1.Hash]bool{}
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	var adds []mutate.Addendum
	for k, rec := range e.records {
		if mode != "max" && !e.final[k] {
			continue
		}
		recs[k] = rec
		if !rec.Empty && !seen[rec.Digest] {
			seen[rec.Digest] = true
			adds = append(adds, mutate.Addendum{Layer: e.layers[rec.Digest], MediaType: types.OCILayer})
		}
	}
	img, err := mutate.Append(img, adds...)
	if err != nil {
		return nil, err
	}
	b, _ := json.Marshal(recs)
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", "amd64" // a cache, not a runnable image
	cf.Config.Labels = map[string]string{cacheLabel: string(b)}
	return mutate.ConfigFile(img, cf)
}
