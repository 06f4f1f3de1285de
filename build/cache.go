package build

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/polyarch/polyarch/store"
)

// cacheKey identifies a step's result: the parent state's key plus what
// the step does. Keys chain, so a changed step invalidates every later one.
type cacheKey string

// chain derives the key of a step from its parent's key and the step's
// parts (instruction after expansion, platform, environment, content
// digests…), each length-prefixed so that parts cannot run together.
func (k cacheKey) chain(parts ...string) cacheKey {
	h := sha256.New()
	fmt.Fprintf(h, "%d:%s", len(k), k)
	for _, p := range parts {
		fmt.Fprintf(h, "|%d:%s", len(p), p)
	}
	return cacheKey(hex.EncodeToString(h.Sum(nil)))
}

// cacheRecord is what a cached step produced: no layer (Empty) or one.
type cacheRecord struct {
	Empty  bool    `json:"empty,omitempty"`
	Digest v1.Hash `json:"digest"`
	DiffID v1.Hash `json:"diffID"`
	Size   int64   `json:"size"`
}

// cache is the on-disk build cache: one small JSON file per key under
// <store>/build-cache, written atomically; its records are GC roots.
type cache struct {
	st *store.Store
}

func (c cache) path(k cacheKey) string {
	return filepath.Join(c.st.Root(), "build-cache", string(k[:2]), string(k))
}

// lookup returns the cached result of k when its blob and unpacked dir are
// still in the store.
func (c cache) lookup(k cacheKey) (*layer, bool) {
	b, err := os.ReadFile(c.path(k))
	if err != nil {
		return nil, false
	}
	var rec cacheRecord
	if json.Unmarshal(b, &rec) != nil {
		return nil, false
	}
	if rec.Empty {
		now := time.Now()
		_ = os.Chtimes(c.path(k), now, now)
		return nil, true
	}
	if !c.st.HasBlob(rec.Digest) || !c.st.HasUnpacked(rec.DiffID) {
		return nil, false
	}
	now := time.Now()
	_ = os.Chtimes(c.path(k), now, now) // "last used", for prune --filter until=…
	return &layer{Layer: &storeLayer{st: c.st, digest: rec.Digest, diffID: rec.DiffID, size: rec.Size}, dir: c.st.UnpackedPath(rec.DiffID)}, true
}

// record remembers that k produced l (nil: no layer).
func (c cache) record(k cacheKey, l *layer) error {
	rec := cacheRecord{Empty: l == nil}
	if l != nil {
		var err error
		if rec.Digest, err = l.Digest(); err != nil {
			return err
		}
		if rec.DiffID, err = l.DiffID(); err != nil {
			return err
		}
		if rec.Size, err = l.Size(); err != nil {
			return err
		}
	}
	b, _ := json.Marshal(rec)
	p := c.path(k)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("writing build cache: %w", err)
	}
	tmp := p + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return fmt.Errorf("writing build cache: %w", err)
	}
	return os.Rename(tmp, p)
}

// CacheRoots lists the blobs and diffIDs the build cache refers to, for
// the store's GC, so that prune keeps what later builds can reuse.
func CacheRoots(st *store.Store) ([]v1.Hash, error) {
	var roots []v1.Hash
	err := filepath.WalkDir(filepath.Join(st.Root(), "build-cache"), func(p string, d os.DirEntry, err error) error {
		if errors.Is(err, os.ErrNotExist) {
			return filepath.SkipAll
		}
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return nil
		}
		var rec cacheRecord
		if json.Unmarshal(b, &rec) == nil && !rec.Empty {
			roots = append(roots, rec.Digest, rec.DiffID)
		}
		return nil
	})
	return roots, err
}

// PruneCache removes every build cache record.
func PruneCache(st *store.Store) error {
	return os.RemoveAll(filepath.Join(st.Root(), "build-cache"))
}
