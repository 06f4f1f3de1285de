package image

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/polyarch/polyarch/platform"
	"github.com/polyarch/polyarch/store"
)

// tagPulled points the store tag t.ref.Name() at what is now known locally
// of that reference:
//
//   - a single-platform image, when the reference names one and the tag held
//     nothing else: the manifest itself;
//   - otherwise a local OCI index of the platform images pulled so far: the
//     entries of the index (or the manifest) already tagged, with the one of
//     t's platform replaced in place or t appended.
//
// So pulling busybox:latest for arm64 and then amd64 leaves an index with
// both, in pull order. The store's index.json has no compare-and-swap, so the
// read-merge-write is serialised within this Client only; two processes
// pulling platforms of one reference at the same instant may lose an entry
// (the image stays stored, and pulling again restores the entry).
func (c *Client) tagPulled(ctx context.Context, st *store.Store, t *target) error {
	c.tagMu.Lock()
	defer c.tagMu.Unlock()
	tag := t.ref.Name()
	old, err := taggedEntries(st, tag)
	if err != nil {
		return err
	}
	entries := mergeEntry(old, t.desc)
	if len(entries) == 1 && !t.fromIndex {
		return st.Tag(ctx, tag, t.desc)
	}
	raw, err := json.Marshal(&v1.IndexManifest{
		SchemaVersion: 2,
		MediaType:     types.OCIImageIndex,
		Manifests:     entries,
	})
	if err != nil {
		return fmt.Errorf("encoding the local index of %s: %w", tag, err)
	}
	h, n, err := st.WriteBlob(ctx, v1.Hash{}, int64(len(raw)), bytes.NewReader(raw))
	if err != nil {
		return fmt.Errorf("writing the local index of %s: %w", tag, err)
	}
	return st.Tag(ctx, tag, v1.Descriptor{MediaType: types.OCIImageIndex, Size: n, Digest: h})
}

// mergeEntry replaces the entries of old for d's platform (or d's digest)
// by d, at the first one's place, or appends d.
func mergeEntry(old []v1.Descriptor, d v1.Descriptor) []v1.Descriptor {
	out := make([]v1.Descriptor, 0, len(old)+1)
	placed := false
	for _, e := range old {
		same := e.Digest == d.Digest ||
			(e.Platform != nil && platform.Equal(fromV1(e.Platform), fromV1(d.Platform)))
		switch {
		case !same:
			out = append(out, e)
		case !placed:
			out = append(out, d)
			placed = true
		}
	}
	if !placed {
		out = append(out, d)
	}
	return out
}

// taggedEntries returns the platform entries the tag holds: an index's
// children, or the one manifest it points to. A missing tag holds none.
func taggedEntries(st *store.Store, tag string) ([]v1.Descriptor, error) {
	desc, err := st.Resolve(tag)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if !desc.MediaType.IsIndex() {
		// Drop the tag's own annotation: this descriptor goes into an index.
		desc.Annotations = maps.Clone(desc.Annotations)
		delete(desc.Annotations, store.AnnotationRefName)
		if len(desc.Annotations) == 0 {
			desc.Annotations = nil
		}
		return []v1.Descriptor{desc}, nil
	}
	idx, err := st.Index(desc.Digest)
	if err != nil {
		return nil, err
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, err
	}
	return im.Manifests, nil
}

// LocalImage finds ref's image for want in st without using the network:
// what an earlier Pull stored under ref.Name(), or, for a digest reference,
// any stored manifest or index with that digest. want nil means: the host's
// platform when the tag is an index, the image's own platform otherwise.
// When the image or the platform is not there the error wraps
// store.ErrNotFound (and, for a missing platform, ErrPlatformNotFound): pull
// it then.
func (c *Client) LocalImage(st *store.Store, ref string, want *platform.Platform) (Pulled, error) {
	r, err := c.ParseReference(ref)
	if err != nil {
		return Pulled{}, err
	}
	desc, err := st.Resolve(r.Name())
	if d, ok := r.(name.Digest); ok && errors.Is(err, store.ErrNotFound) {
		desc, err = st.Resolve(d.DigestStr())
	}
	if err != nil {
		return Pulled{}, fmt.Errorf("finding %s in the store: %w (pull it first)", r.Name(), err)
	}
	fromIndex := desc.MediaType.IsIndex()
	if fromIndex {
		idx, err := st.Index(desc.Digest)
		if err != nil {
			return Pulled{}, fmt.Errorf("finding %s in the store: %w", r.Name(), err)
		}
		w := platform.Host()
		if want != nil {
			w = *want
		}
		if desc, err = SelectManifest(idx, w); err != nil {
			var pe *PlatformError
			if errors.As(err, &pe) {
				pe.Ref = r.Name()
			}
			return Pulled{}, fmt.Errorf("%w: %w; pull it for that platform", store.ErrNotFound, err)
		}
	}
	img, err := st.Image(desc.Digest)
	if err != nil {
		return Pulled{}, fmt.Errorf("finding %s in the store: %w", r.Name(), err)
	}
	if fromIndex {
		p := platform.Normalize(fromV1(desc.Platform))
		return Pulled{Ref: r.Name(), Digest: desc.Digest, Image: img, Platform: p}, nil
	}
	p, err := imagePlatform(img)
	if err != nil {
		return Pulled{}, fmt.Errorf("finding %s in the store: %w", r.Name(), err)
	}
	if err := checkSingle(r.Name(), p, want); err != nil {
		return Pulled{}, fmt.Errorf("%w: %w; pull it for that platform", store.ErrNotFound, err)
	}
	return Pulled{Ref: r.Name(), Digest: desc.Digest, Image: img, Platform: p}, nil
}
