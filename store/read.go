package store

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Image returns the image whose manifest blob has digest h. Config and layers
// are read lazily from their blobs. h need not be tagged: a child of a stored
// index works too. A missing manifest is ErrNotFound.
func (s *Store) Image(h v1.Hash) (v1.Image, error) {
	raw, err := s.readBlob(h)
	if err != nil {
		return nil, fmt.Errorf("reading image %s: %w", h, err)
	}
	mt := sniffMediaType(raw)
	if !mt.IsImage() {
		return nil, fmt.Errorf("reading image %s: blob is %q, not an image manifest", h, mt)
	}
	m, err := v1.ParseManifest(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("reading image %s: %w", h, err)
	}
	img, err := partial.CompressedToImage(&storeImage{s: s, raw: raw, mt: mt, m: m})
	if err != nil {
		return nil, fmt.Errorf("reading image %s: %w", h, err)
	}
	return img, nil
}

// Index returns the image index whose blob has digest h; children are read
// lazily. A missing blob is ErrNotFound.
func (s *Store) Index(h v1.Hash) (v1.ImageIndex, error) {
	raw, err := s.readBlob(h)
	if err != nil {
		return nil, fmt.Errorf("reading index %s: %w", h, err)
	}
	mt := sniffMediaType(raw)
	if !mt.IsIndex() {
		return nil, fmt.Errorf("reading index %s: blob is %q, not an image index", h, mt)
	}
	im, err := v1.ParseIndexManifest(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("reading index %s: %w", h, err)
	}
	return &storeIndex{s: s, h: h, raw: raw, mt: mt, im: im}, nil
}

// storeImage is the partial.CompressedImageCore behind Image.
type storeImage struct {
	s   *Store
	raw []byte
	mt  types.MediaType
	m   *v1.Manifest
}

func (i *storeImage) MediaType() (types.MediaType, error) { return i.mt, nil }
func (i *storeImage) RawManifest() ([]byte, error)        { return i.raw, nil }
func (i *storeImage) RawConfigFile() ([]byte, error)      { return i.s.readBlob(i.m.Config.Digest) }

func (i *storeImage) LayerByDigest(h v1.Hash) (partial.CompressedLayer, error) {
	if h == i.m.Config.Digest {
		return &storeBlob{s: i.s, desc: i.m.Config}, nil
	}
	for _, d := range i.m.Layers {
		if d.Digest == h {
			return &storeBlob{s: i.s, desc: d}, nil
		}
	}
	return nil, fmt.Errorf("layer %s is not in this image: %w", h, ErrNotFound)
}

// storeBlob is a layer (or config) read from a blob.
type storeBlob struct {
	s    *Store
	desc v1.Descriptor
}

func (b *storeBlob) Digest() (v1.Hash, error)            { return b.desc.Digest, nil }
func (b *storeBlob) Compressed() (io.ReadCloser, error)  { return b.s.OpenBlob(b.desc.Digest) }
func (b *storeBlob) Size() (int64, error)                { return b.desc.Size, nil }
func (b *storeBlob) MediaType() (types.MediaType, error) { return b.desc.MediaType, nil }
func (b *storeBlob) Descriptor() (*v1.Descriptor, error) { d := b.desc; return &d, nil }
func (b *storeBlob) Exists() (bool, error)               { return b.s.HasBlob(b.desc.Digest), nil }

// storeIndex is the v1.ImageIndex behind Index.
type storeIndex struct {
	s   *Store
	h   v1.Hash
	raw []byte
	mt  types.MediaType
	im  *v1.IndexManifest
}

func (x *storeIndex) MediaType() (types.MediaType, error) { return x.mt, nil }
func (x *storeIndex) Digest() (v1.Hash, error)            { return x.h, nil }
func (x *storeIndex) Size() (int64, error)                { return int64(len(x.raw)), nil }
func (x *storeIndex) RawManifest() ([]byte, error)        { return x.raw, nil }

func (x *storeIndex) IndexManifest() (*v1.IndexManifest, error) {
	// Return a copy: callers (mutate, for one) may modify what they get.
	return v1.ParseIndexManifest(bytes.NewReader(x.raw))
}

func (x *storeIndex) Image(h v1.Hash) (v1.Image, error) {
	if err := x.child(h); err != nil {
		return nil, err
	}
	return x.s.Image(h)
}

func (x *storeIndex) ImageIndex(h v1.Hash) (v1.ImageIndex, error) {
	if err := x.child(h); err != nil {
		return nil, err
	}
	return x.s.Index(h)
}

// Blob lets ggcr's writers copy children of unknown media type.
func (x *storeIndex) Blob(h v1.Hash) (io.ReadCloser, error) {
	if err := x.child(h); err != nil {
		return nil, err
	}
	return x.s.OpenBlob(h)
}

func (x *storeIndex) child(h v1.Hash) error {
	for _, d := range x.im.Manifests {
		if d.Digest == h {
			return nil
		}
	}
	return fmt.Errorf("manifest %s is not in index %s: %w", h, x.h, ErrNotFound)
}

// sniffed is the subset of a manifest, index or config that the store reads.
type sniffed struct {
	MediaType types.MediaType `json:"mediaType"`
	Manifests []v1.Descriptor `json:"manifests"`
	Config    *v1.Descriptor  `json:"config"`
	Layers    []v1.Descriptor `json:"layers"`
	RootFS    *struct {
		DiffIDs []string `json:"diff_ids"`
	} `json:"rootfs"`
}

// sniffMediaType tells manifests from indexes, trusting an explicit mediaType
// field and otherwise the shape (OCI lets both omit mediaType). It returns ""
// for anything else.
func sniffMediaType(raw []byte) types.MediaType {
	var p sniffed
	if json.Unmarshal(raw, &p) != nil {
		return ""
	}
	return p.kind()
}

func (p *sniffed) kind() types.MediaType {
	switch {
	case p.MediaType != "":
		return p.MediaType
	case p.Manifests != nil:
		return types.OCIImageIndex
	case p.Config != nil && p.Config.Digest.Hex != "" && p.RootFS == nil:
		// An image config has a "config" object too, but not a descriptor.
		return types.OCIManifestSchema1
	}
	return ""
}
