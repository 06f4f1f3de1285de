package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// AnnotationRefName is the index.json annotation naming a tag, as skopeo and
// ggcr read it (image-spec annotations.md).
const AnnotationRefName = "org.opencontainers.image.ref.name"

// maxManifestSize bounds how much of a blob the store reads when it must look
// inside one (registries refuse manifests above 4 MiB too).
const maxManifestSize = 4 << 20

// TagRecord is one tag: its reference and the descriptor it points to.
type TagRecord struct {
	Ref        string
	Descriptor v1.Descriptor
}

// Tag points ref at the manifest or index desc, replacing an existing tag of
// that name. Only desc.Digest is required: a missing media type, size or (for
// an image manifest) platform is filled in from the blobs. The blob must be
// present (ErrNotFound otherwise). ref is opaque to the store.
func (s *Store) Tag(ctx context.Context, ref string, desc v1.Descriptor) error {
	if ref == "" {
		return errors.New("tagging: empty reference")
	}
	l, err := s.shared(ctx) // the blob must not be collected between check and tag
	if err != nil {
		return err
	}
	defer l.Unlock()
	d, err := s.describe(desc)
	if err != nil {
		return fmt.Errorf("tagging %s as %s: %w", desc.Digest, ref, err)
	}
	d.Annotations = maps.Clone(d.Annotations)
	if d.Annotations == nil {
		d.Annotations = map[string]string{}
	}
	d.Annotations[AnnotationRefName] = ref
	return s.updateIndex(ctx, func(im *v1.IndexManifest) bool {
		// Replace in place (keeping the order of index.json), dropping any
		// duplicates another tool may have left.
		out := make([]v1.Descriptor, 0, len(im.Manifests)+1)
		placed := false
		for _, m := range im.Manifests {
			switch {
			case !isRef(ref)(m):
				out = append(out, m)
			case !placed:
				out = append(out, d)
				placed = true
			}
		}
		if !placed {
			out = append(out, d)
		}
		im.Manifests = out
		return true
	})
}

// Untag removes the tag ref (ErrNotFound if there is none). The blobs stay
// until GC.
func (s *Store) Untag(ctx context.Context, ref string) error {
	found := false
	err := s.updateIndex(ctx, func(im *v1.IndexManifest) bool {
		n := len(im.Manifests)
		im.Manifests = slices.DeleteFunc(im.Manifests, isRef(ref))
		found = len(im.Manifests) != n
		return found
	})
	if err != nil {
		return err
	}
	if !found {
		return fmt.Errorf("untagging %s: %w", ref, ErrNotFound)
	}
	return nil
}

// Tags lists all tags sorted by reference. Descriptors in index.json without
// a ref name (written by other tools) are not listed but are kept by GC.
func (s *Store) Tags() ([]TagRecord, error) {
	im, err := s.readIndexJSON()
	if err != nil {
		return nil, err
	}
	var out []TagRecord
	for _, d := range im.Manifests {
		if ref, ok := d.Annotations[AnnotationRefName]; ok {
			out = append(out, TagRecord{Ref: ref, Descriptor: d})
		}
	}
	slices.SortFunc(out, func(a, b TagRecord) int { return strings.Compare(a.Ref, b.Ref) })
	return out, nil
}

// Resolve returns the descriptor ref points to. ref is a tag, a digest
// ("sha256:<hex>") or a digest prefix with or without "sha256:" that matches
// exactly one stored manifest or index (ErrAmbiguous otherwise). An unknown
// ref is ErrNotFound.
func (s *Store) Resolve(ref string) (v1.Descriptor, error) {
	im, err := s.readIndexJSON()
	if err != nil {
		return v1.Descriptor{}, err
	}
	if i := slices.IndexFunc(im.Manifests, isRef(ref)); i >= 0 {
		return im.Manifests[i], nil
	}
	prefix := strings.TrimPrefix(ref, "sha256:")
	if prefix == "" || len(prefix) > 64 || strings.IndexFunc(prefix, func(r rune) bool {
		return r > 0x7f || !isLowerHex(byte(r))
	}) >= 0 {
		return v1.Descriptor{}, fmt.Errorf("resolving %s: %w", ref, ErrNotFound)
	}
	h, err := s.matchPrefix(im, prefix)
	if err != nil {
		return v1.Descriptor{}, fmt.Errorf("resolving %s: %w", ref, err)
	}
	d, err := s.describe(v1.Descriptor{Digest: h})
	if err != nil {
		return v1.Descriptor{}, fmt.Errorf("resolving %s: %w", ref, err)
	}
	return d, nil
}

// matchPrefix finds the one manifest or index whose digest hex starts with
// prefix, among tagged descriptors and all stored blobs.
func (s *Store) matchPrefix(im *v1.IndexManifest, prefix string) (v1.Hash, error) {
	if len(prefix) == 64 { // a whole digest: no need to list blobs
		h := v1.Hash{Algorithm: "sha256", Hex: prefix}
		if mt, _ := s.blobKind(h); mt.IsImage() || mt.IsIndex() {
			return h, nil
		}
		return v1.Hash{}, ErrNotFound
	}
	found := map[v1.Hash]bool{}
	for _, d := range im.Manifests {
		if strings.HasPrefix(d.Digest.Hex, prefix) {
			found[d.Digest] = true
		}
	}
	entries, err := os.ReadDir(s.blobsDir())
	if err != nil {
		return v1.Hash{}, err
	}
	for _, e := range entries {
		h := v1.Hash{Algorithm: "sha256", Hex: e.Name()}
		if !strings.HasPrefix(e.Name(), prefix) || !isHex64(e.Name()) || found[h] {
			continue
		}
		if mt, _ := s.blobKind(h); mt.IsImage() || mt.IsIndex() {
			found[h] = true
		}
	}
	switch len(found) {
	case 0:
		return v1.Hash{}, ErrNotFound
	case 1:
		for h := range found {
			return h, nil
		}
	}
	return v1.Hash{}, fmt.Errorf("%w: %d manifests start with %s", ErrAmbiguous, len(found), prefix)
}

// blobKind sniffs a small blob's media type ("" for large or non-JSON blobs).
func (s *Store) blobKind(h v1.Hash) (types.MediaType, []byte) {
	fi, err := os.Stat(s.BlobPath(h))
	if err != nil || fi.Size() > maxManifestSize {
		return "", nil
	}
	raw, err := s.readBlob(h)
	if err != nil {
		return "", nil
	}
	return sniffMediaType(raw), raw
}

// describe checks that desc's blob is present and fills in its size, media
// type and, for an image manifest, the platform from its config.
func (s *Store) describe(desc v1.Descriptor) (v1.Descriptor, error) {
	fi, err := os.Stat(s.BlobPath(desc.Digest))
	if errors.Is(err, os.ErrNotExist) || (err == nil && !fi.Mode().IsRegular()) {
		return desc, fmt.Errorf("manifest %s: %w", desc.Digest, ErrNotFound)
	}
	if err != nil {
		return desc, err
	}
	switch {
	case desc.Size == 0:
		desc.Size = fi.Size()
	case desc.Size != fi.Size():
		return desc, fmt.Errorf("manifest %s: %w: descriptor says %d bytes, blob has %d",
			desc.Digest, ErrSizeMismatch, desc.Size, fi.Size())
	}
	if desc.MediaType != "" && (desc.Platform != nil || !desc.MediaType.IsImage()) {
		return desc, nil
	}
	mt, raw := s.blobKind(desc.Digest)
	if desc.MediaType == "" {
		if !mt.IsImage() && !mt.IsIndex() {
			return desc, fmt.Errorf("blob %s is not a manifest or index: %w", desc.Digest, ErrNotFound)
		}
		desc.MediaType = mt
	}
	if desc.MediaType.IsImage() && desc.Platform == nil {
		p, err := s.platformOf(raw)
		if err != nil {
			return desc, fmt.Errorf("manifest %s: %w", desc.Digest, err)
		}
		desc.Platform = p
	}
	return desc, nil
}

// platformOf reads the platform from an image manifest's config; artifacts
// (non-image configs) have none.
func (s *Store) platformOf(rawManifest []byte) (*v1.Platform, error) {
	var m v1.Manifest
	if err := json.Unmarshal(rawManifest, &m); err != nil {
		return nil, err
	}
	if !m.Config.MediaType.IsConfig() {
		return nil, nil
	}
	raw, err := s.readBlob(m.Config.Digest)
	if err != nil {
		return nil, err
	}
	var cf v1.ConfigFile
	if err := json.Unmarshal(raw, &cf); err != nil {
		return nil, fmt.Errorf("parsing config %s: %w", m.Config.Digest, err)
	}
	return cf.Platform(), nil
}

func isRef(ref string) func(v1.Descriptor) bool {
	return func(d v1.Descriptor) bool {
		r, ok := d.Annotations[AnnotationRefName]
		return ok && r == ref
	}
}
