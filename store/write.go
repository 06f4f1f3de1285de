package store

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sync"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// WriteImage writes img's layers (as their compressed blobs), config and
// manifest, in that order, and returns the manifest digest. Blobs already
// present are skipped, and so is the whole image when the store already holds
// it complete (without asking img for anything but its digest).
// Non-distributable ("foreign") layers are not copied. Up to
// WithWriteConcurrency layers are written at once.
func (s *Store) WriteImage(ctx context.Context, img v1.Image) (v1.Hash, error) {
	l, err := s.shared(ctx)
	if err != nil {
		return v1.Hash{}, err
	}
	defer l.Unlock()
	return s.writeImage(ctx, img)
}

// WriteIndex writes idx and, recursively, every child index and image before
// it, and returns the index digest. Children of other media types (artifacts)
// are copied as plain blobs when idx can provide them.
func (s *Store) WriteIndex(ctx context.Context, idx v1.ImageIndex) (v1.Hash, error) {
	l, err := s.shared(ctx)
	if err != nil {
		return v1.Hash{}, err
	}
	defer l.Unlock()
	return s.writeIndex(ctx, idx)
}

func (s *Store) writeImage(ctx context.Context, img v1.Image) (v1.Hash, error) {
	d, err := img.Digest()
	if err != nil {
		return v1.Hash{}, fmt.Errorf("writing image: %w", err)
	}
	if s.complete(d, 0) {
		return d, nil
	}
	m, err := img.Manifest()
	if err != nil {
		return v1.Hash{}, fmt.Errorf("writing image %s: %w", d, err)
	}
	if err := s.writeLayers(ctx, img, m.Layers); err != nil {
		return v1.Hash{}, fmt.Errorf("writing image %s: %w", d, err)
	}
	cfg, err := img.RawConfigFile()
	if err != nil {
		return v1.Hash{}, fmt.Errorf("writing image %s: config: %w", d, err)
	}
	if _, _, err := s.writeBlob(ctx, m.Config.Digest, int64(len(cfg)), bytes.NewReader(cfg)); err != nil {
		return v1.Hash{}, fmt.Errorf("writing image %s: config: %w", d, err)
	}
	raw, err := img.RawManifest()
	if err != nil {
		return v1.Hash{}, fmt.Errorf("writing image %s: manifest: %w", d, err)
	}
	if _, _, err := s.writeBlob(ctx, d, int64(len(raw)), bytes.NewReader(raw)); err != nil {
		return v1.Hash{}, fmt.Errorf("writing image %s: manifest: %w", d, err)
	}
	return d, nil
}

// writeLayers writes the missing distributable layers, a bounded number at a
// time; the first failure cancels the others.
func (s *Store) writeLayers(ctx context.Context, img v1.Image, descs []v1.Descriptor) error {
	var todo []v1.Descriptor
	seen := map[v1.Hash]bool{}
	for _, d := range descs {
		if seen[d.Digest] || !d.MediaType.IsDistributable() {
			continue
		}
		seen[d.Digest] = true
		if s.HasBlob(d.Digest) {
			s.touch(s.BlobPath(d.Digest))
			continue
		}
		todo = append(todo, d)
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg    sync.WaitGroup
		once  sync.Once
		first error
		sem   = make(chan struct{}, s.opts.concurrency)
	)
	for _, d := range todo {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Go(func() {
			defer func() { <-sem }()
			if err := s.writeLayer(ctx, img, d); err != nil {
				once.Do(func() { first = err; cancel() })
			}
		})
	}
	wg.Wait()
	if first != nil {
		return first
	}
	return ctx.Err()
}

func (s *Store) writeLayer(ctx context.Context, img v1.Image, d v1.Descriptor) error {
	layer, err := img.LayerByDigest(d.Digest)
	if err != nil {
		return fmt.Errorf("writing layer %s: %w", d.Digest, err)
	}
	rc, err := layer.Compressed()
	if err != nil {
		return fmt.Errorf("writing layer %s: %w", d.Digest, err)
	}
	defer rc.Close()
	if _, _, err := s.writeBlob(ctx, d.Digest, d.Size, rc); err != nil {
		return fmt.Errorf("writing layer: %w", err)
	}
	return nil
}

func (s *Store) writeIndex(ctx context.Context, idx v1.ImageIndex) (v1.Hash, error) {
	d, err := idx.Digest()
	if err != nil {
		return v1.Hash{}, fmt.Errorf("writing index: %w", err)
	}
	if s.complete(d, 0) {
		return d, nil
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return v1.Hash{}, fmt.Errorf("writing index %s: %w", d, err)
	}
	for _, c := range im.Manifests {
		if err := s.writeChild(ctx, idx, c); err != nil {
			return v1.Hash{}, fmt.Errorf("writing index %s: %w", d, err)
		}
	}
	raw, err := idx.RawManifest()
	if err != nil {
		return v1.Hash{}, fmt.Errorf("writing index %s: %w", d, err)
	}
	if _, _, err := s.writeBlob(ctx, d, int64(len(raw)), bytes.NewReader(raw)); err != nil {
		return v1.Hash{}, fmt.Errorf("writing index: %w", err)
	}
	return d, nil
}

func (s *Store) writeChild(ctx context.Context, idx v1.ImageIndex, c v1.Descriptor) error {
	switch {
	case c.MediaType.IsIndex():
		child, err := idx.ImageIndex(c.Digest)
		if err != nil {
			return fmt.Errorf("reading child index %s: %w", c.Digest, err)
		}
		_, err = s.writeIndex(ctx, child)
		return err
	case c.MediaType.IsImage():
		img, err := idx.Image(c.Digest)
		if err != nil {
			return fmt.Errorf("reading child image %s: %w", c.Digest, err)
		}
		_, err = s.writeImage(ctx, img)
		return err
	}
	if s.HasBlob(c.Digest) {
		s.touch(s.BlobPath(c.Digest))
		return nil
	}
	rc, err := childBlob(idx, c.Digest)
	if err != nil {
		return fmt.Errorf("reading child %s (%s): %w", c.Digest, c.MediaType, err)
	}
	defer rc.Close()
	_, _, err = s.writeBlob(ctx, c.Digest, c.Size, rc)
	return err
}

// childBlob fetches a child of unknown media type the ways ggcr's index
// implementations offer (remote: Layer; layout and this store: Blob).
func childBlob(idx v1.ImageIndex, h v1.Hash) (io.ReadCloser, error) {
	switch x := idx.(type) {
	case interface {
		Blob(v1.Hash) (io.ReadCloser, error)
	}:
		return x.Blob(h)
	case interface {
		Layer(v1.Hash) (v1.Layer, error)
	}:
		l, err := x.Layer(h)
		if err != nil {
			return nil, err
		}
		return l.Compressed()
	}
	return nil, fmt.Errorf("index of type %T cannot provide the blob", idx)
}

// maxNesting bounds how deep complete follows indexes of indexes.
const maxNesting = 8

// complete reports whether the blob h and everything it references are
// present, refreshing their ctimes for GC's grace period. It reads only local
// manifests, so a complete stored image or index costs no registry request. A
// present parent alone proves nothing: a GC killed midway may have removed
// some children of an unreachable parent before the parent itself.
func (s *Store) complete(h v1.Hash, depth int) bool {
	if !s.HasBlob(h) || depth > maxNesting {
		return false
	}
	s.touch(s.BlobPath(h))
	mt, raw := s.blobKind(h)
	if !mt.IsImage() && !mt.IsIndex() {
		return true
	}
	var p sniffed
	if json.Unmarshal(raw, &p) != nil {
		return false
	}
	var refs []v1.Descriptor
	if mt.IsIndex() {
		refs = p.Manifests
	} else if p.Config != nil {
		refs = append([]v1.Descriptor{*p.Config}, p.Layers...)
	}
	for _, d := range refs {
		if !d.MediaType.IsDistributable() {
			continue
		}
		if !d.MediaType.IsImage() && !d.MediaType.IsIndex() {
			if !s.HasBlob(d.Digest) {
				return false
			}
			s.touch(s.BlobPath(d.Digest))
			continue
		}
		if !s.complete(d.Digest, depth+1) {
			return false
		}
	}
	return true
}
