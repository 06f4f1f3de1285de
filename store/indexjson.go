package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"golang.org/x/sys/unix"
)

// index.json is the layout's list of tags. It is only ever replaced whole (by
// rename), so readers need no lock; writers serialise on locks/index.lock.

func emptyIndex() *v1.IndexManifest {
	return &v1.IndexManifest{SchemaVersion: 2, MediaType: types.OCIImageIndex, Manifests: []v1.Descriptor{}}
}

func (s *Store) readIndexJSON() (*v1.IndexManifest, error) {
	raw, err := os.ReadFile(s.indexPath())
	if errors.Is(err, os.ErrNotExist) {
		return emptyIndex(), nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading index.json: %w", err)
	}
	im := emptyIndex()
	if err := json.Unmarshal(raw, im); err != nil {
		return nil, fmt.Errorf("parsing %s: %w", s.indexPath(), err)
	}
	return im, nil
}

func (s *Store) writeIndexJSON(im *v1.IndexManifest) error {
	if im.Manifests == nil {
		im.Manifests = []v1.Descriptor{}
	}
	raw, err := json.MarshalIndent(im, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding index.json: %w", err)
	}
	return s.writeFileAtomic(s.indexPath(), raw)
}

// updateIndex is index.json's read-modify-write under locks/index.lock; fn
// reports whether it changed anything worth writing.
func (s *Store) updateIndex(ctx context.Context, fn func(*v1.IndexManifest) bool) error {
	l, err := lockFile(ctx, s.indexLockPath(), unix.LOCK_EX)
	if err != nil {
		return err
	}
	defer l.Unlock()
	im, err := s.readIndexJSON()
	if err != nil {
		return err
	}
	if !fn(im) {
		return nil
	}
	return s.writeIndexJSON(im)
}
