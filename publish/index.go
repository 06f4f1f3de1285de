package publish

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/polyarch/polyarch/image"
	"github.com/polyarch/polyarch/platform"
)

// IndexFormat is the kind of multi-platform index AssembleIndex makes.
type IndexFormat string

const (
	// IndexOCI is an OCI image index
	// (application/vnd.oci.image.index.v1+json). Its entries may be OCI or
	// Docker schema2 manifests.
	IndexOCI IndexFormat = "oci"
	// IndexDocker is a Docker manifest list
	// (application/vnd.docker.distribution.manifest.list.v2+json), for
	// registries and clients that know nothing else. Its entries must be
	// Docker schema2 manifests, and it carries no annotations.
	IndexDocker IndexFormat = "docker"
)

// ParseIndexFormat reads "oci" or "docker" (buildah's --format spellings),
// in any case.
func ParseIndexFormat(s string) (IndexFormat, error) {
	switch f := IndexFormat(strings.ToLower(strings.TrimSpace(s))); f {
	case IndexOCI, IndexDocker:
		return f, nil
	}
	return "", fmt.Errorf("unknown index format %q (want oci or docker)", s)
}

// MediaType is the index's media type.
func (f IndexFormat) MediaType() types.MediaType {
	if f == IndexDocker {
		return types.DockerManifestList
	}
	return types.OCIImageIndex
}

// IndexEntry is one source of an index: an image manifest or an index,
// typically read from a registry with image.Client.Get.
type IndexEntry struct {
	// Source names the entry in messages: the reference the user gave.
	Source string
	// Descriptor describes the source: digest, size and media type (read
	// from Image or Index when zero), and its platform and annotations when
	// known. A missing platform is read from the image config.
	Descriptor v1.Descriptor
	// Image is set when the source is an image manifest.
	Image v1.Image
	// Index is set when the source is an index. Its image manifests become
	// entries in its order (nested indexes flattened); attestation entries
	// (vnd.docker.reference.type=attestation-manifest, or platform
	// unknown/unknown) are left out.
	Index v1.ImageIndex
}

// IndexOption configures AssembleIndex.
type IndexOption func(*indexOptions)

type indexOptions struct {
	format          IndexFormat
	allowDuplicates bool
	annotations     map[string]string
	base            *IndexEntry
}

// WithIndexFormat sets the index's format. Default: IndexOCI.
func WithIndexFormat(f IndexFormat) IndexOption {
	return func(o *indexOptions) { o.format = f }
}

// WithAllowDuplicates keeps several entries for one platform, in the order
// given (clients take the first). Default: two entries for one platform are
// an error (*DuplicatePlatformError). An entry with the digest and platform
// of one already there is dropped either way.
func WithAllowDuplicates(allow bool) IndexOption {
	return func(o *indexOptions) { o.allowDuplicates = allow }
}

// WithIndexAnnotations sets annotations on the index itself (not on its
// entries), over those of a base index. Default: none.
func WithIndexAnnotations(a map[string]string) IndexOption {
	return func(o *indexOptions) { o.annotations = maps.Clone(a) }
}

// WithBase starts the index from an existing one (`manifest create
// --append`): base's entries come first, then the new ones, under the same
// rules (a new entry for a platform base has is refused unless duplicates
// are allowed); base's index annotations are kept. base may be a single
// image too. Default: start from nothing.
func WithBase(base IndexEntry) IndexOption {
	return func(o *indexOptions) { o.base = &base }
}

// ErrDuplicatePlatform is matched (errors.Is) by *DuplicatePlatformError.
var ErrDuplicatePlatform = errors.New("two index entries for one platform")

// DuplicatePlatformError reports two different images for one platform.
type DuplicatePlatformError struct {
	Platform      platform.Platform // normalised
	First, Second string            // the two sources, with their digests
}

func (e *DuplicatePlatformError) Error() string {
	return fmt.Sprintf("%s is given twice: by %s and by %s; an index should hold one image per platform (keep both with --allow-duplicates)",
		platform.Format(e.Platform), e.First, e.Second)
}

// Is makes errors.Is(err, ErrDuplicatePlatform) true.
func (e *DuplicatePlatformError) Is(target error) bool { return target == ErrDuplicatePlatform }

// child is one image manifest going into the index.
type child struct {
	source string // for messages, with the digest
	desc   v1.Descriptor
	img    v1.Image
}

// AssembleIndex makes one index of entries, in their order, after those of
// the base (WithBase): indexes are flattened into their platform manifests,
// a platform missing from a descriptor is read from the image config
// (os, architecture, variant, os.version, os.features), and two images for
// one platform (compared after platform.Normalize) are refused unless
// WithAllowDuplicates. Descriptors keep their annotations. Nothing is
// uploaded: the result's children are the entries' images, so pushing it
// (image.Client.Push) copies their blobs where they are missing.
//
// It reads the source manifests and, for entries without a platform, their
// configs; with remote entries that means registry requests.
func AssembleIndex(entries []IndexEntry, opts ...IndexOption) (v1.ImageIndex, error) {
	o := indexOptions{format: IndexOCI}
	for _, opt := range opts {
		opt(&o)
	}
	if o.format != IndexOCI && o.format != IndexDocker {
		return nil, fmt.Errorf("unknown index format %q (want oci or docker)", o.format)
	}
	annotations := map[string]string{}
	var children []child
	if o.base != nil {
		cs, err := flatten(*o.base)
		if err != nil {
			return nil, err
		}
		children = cs
		if o.base.Index != nil {
			im, err := o.base.Index.IndexManifest()
			if err != nil {
				return nil, fmt.Errorf("%s: %w", o.base.Source, err)
			}
			maps.Copy(annotations, im.Annotations)
		}
	}
	for _, e := range entries {
		cs, err := flatten(e)
		if err != nil {
			return nil, err
		}
		children = append(children, cs...)
	}
	maps.Copy(annotations, o.annotations)
	children, err := dedupe(children, o.allowDuplicates)
	if err != nil {
		return nil, err
	}
	if len(children) == 0 {
		return nil, errors.New("no image for any platform to put in the index (the sources hold only attestations)")
	}
	if o.format == IndexDocker {
		if err := checkDocker(children, annotations); err != nil {
			return nil, err
		}
	}
	return newAssembled(o.format.MediaType(), children, annotations)
}

// assembled is an index whose manifest is exactly the descriptors computed
// here (ggcr's mutate would copy fields such as artifactType from remote
// images' descriptors into the entries) and whose children are the entries'
// images, so that pushing it copies their blobs.
type assembled struct {
	raw      []byte
	manifest *v1.IndexManifest
	images   map[v1.Hash]v1.Image
}

func newAssembled(mt types.MediaType, children []child, annotations map[string]string) (*assembled, error) {
	a := &assembled{
		manifest: &v1.IndexManifest{SchemaVersion: 2, MediaType: mt},
		images:   map[v1.Hash]v1.Image{},
	}
	for _, c := range children {
		a.manifest.Manifests = append(a.manifest.Manifests, c.desc)
		a.images[c.desc.Digest] = c.img
	}
	if len(annotations) > 0 {
		a.manifest.Annotations = annotations
	}
	raw, err := json.Marshal(a.manifest)
	if err != nil {
		return nil, fmt.Errorf("making the index: %w", err)
	}
	a.raw = raw
	return a, nil
}

func (a *assembled) MediaType() (types.MediaType, error) { return a.manifest.MediaType, nil }
func (a *assembled) Size() (int64, error)                { return int64(len(a.raw)), nil }
func (a *assembled) RawManifest() ([]byte, error)        { return bytes.Clone(a.raw), nil }

func (a *assembled) Digest() (v1.Hash, error) {
	h, _, err := v1.SHA256(bytes.NewReader(a.raw))
	return h, err
}

func (a *assembled) IndexManifest() (*v1.IndexManifest, error) { return a.manifest.DeepCopy(), nil }

func (a *assembled) Image(h v1.Hash) (v1.Image, error) {
	if img, ok := a.images[h]; ok {
		return img, nil
	}
	return nil, fmt.Errorf("the index has no image %s", h)
}

func (a *assembled) ImageIndex(h v1.Hash) (v1.ImageIndex, error) {
	return nil, fmt.Errorf("the index has no index %s (nested indexes are flattened)", h)
}

// flatten turns an entry into image manifests with platforms.
func flatten(e IndexEntry) ([]child, error) {
	switch {
	case e.Image != nil:
		d, err := describe(e.Descriptor, e.Image)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", e.Source, err)
		}
		if !d.MediaType.IsImage() {
			return nil, fmt.Errorf("%s is a %s, neither an image manifest nor an index", e.Source, d.MediaType)
		}
		c, err := withPlatform(child{source: named(e.Source, d.Digest), desc: d, img: e.Image})
		if err != nil {
			return nil, err
		}
		return []child{c}, nil
	case e.Index != nil:
		return flattenIndex(e.Source, e.Index)
	}
	return nil, fmt.Errorf("%s: neither an image nor an index was given", e.Source)
}

// flattenIndex lists idx's image manifests in order, skipping attestations
// and descending into nested indexes.
func flattenIndex(source string, idx v1.ImageIndex) ([]child, error) {
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, fmt.Errorf("%s: reading the index: %w", source, err)
	}
	var out []child
	for _, d := range im.Manifests {
		if image.IsAttestation(d) {
			continue
		}
		name := fmt.Sprintf("entry %s of %s", d.Digest, source)
		if d.Platform != nil && d.Platform.Architecture != "" {
			name = fmt.Sprintf("the %s entry %s of %s", platform.Format(fromV1(d.Platform)), d.Digest, source)
		}
		switch {
		case d.MediaType.IsIndex():
			sub, err := idx.ImageIndex(d.Digest)
			if err != nil {
				return nil, fmt.Errorf("reading %s: %w", name, err)
			}
			cs, err := flattenIndex(name, sub)
			if err != nil {
				return nil, err
			}
			out = append(out, cs...)
		case d.MediaType.IsImage():
			if d.ArtifactType == string(types.OCIConfigJSON) || d.ArtifactType == string(types.DockerConfigJSON) {
				// ggcr's mutate writes the config type as artifactType
				// into entries of indexes it makes; an image is no artifact.
				d.ArtifactType = ""
			}
			img, err := idx.Image(d.Digest)
			if err != nil {
				return nil, fmt.Errorf("reading %s (the index lists a manifest the registry cannot serve): %w", name, err)
			}
			c, err := withPlatform(child{source: name, desc: d, img: img})
			if err != nil {
				return nil, err
			}
			out = append(out, c)
		default:
			return nil, fmt.Errorf("%s is a %s, neither an image manifest nor an index", name, d.MediaType)
		}
	}
	return out, nil
}

// describe keeps d's digest, size, media type, platform and annotations,
// filling the first three from img where d lacks them.
func describe(d v1.Descriptor, img v1.Image) (v1.Descriptor, error) {
	d = v1.Descriptor{MediaType: d.MediaType, Size: d.Size, Digest: d.Digest, Platform: d.Platform, Annotations: d.Annotations}
	var err error
	if d.Digest == (v1.Hash{}) {
		if d.Digest, err = img.Digest(); err != nil {
			return d, err
		}
	}
	if d.Size == 0 {
		if d.Size, err = img.Size(); err != nil {
			return d, err
		}
	}
	if d.MediaType == "" {
		if d.MediaType, err = img.MediaType(); err != nil {
			return d, err
		}
	}
	return d, nil
}

// named is source, followed by the digest unless source names it already.
func named(source string, d v1.Hash) string {
	if strings.Contains(source, d.String()) {
		return source
	}
	return fmt.Sprintf("%s (%s)", source, d)
}

// withPlatform sets c's platform from its image config when the descriptor
// has none.
func withPlatform(c child) (child, error) {
	if c.desc.Platform != nil && c.desc.Platform.Architecture != "" {
		return c, nil
	}
	cf, err := c.img.ConfigFile()
	if err != nil {
		return c, fmt.Errorf("%s: reading the image config for its platform: %w", c.source, err)
	}
	p := cf.Platform()
	if p == nil || p.OS == "" || p.Architecture == "" {
		return c, fmt.Errorf("%s names no platform, and neither does its image config (os %q, architecture %q): an index entry needs one", c.source, cf.OS, cf.Architecture)
	}
	c.desc.Platform = p
	return c, nil
}

// dedupe drops repeated entries (same digest, same platform) and refuses
// two images for one platform unless allow.
func dedupe(children []child, allow bool) ([]child, error) {
	var out []child
next:
	for _, c := range children {
		p := fromV1(c.desc.Platform)
		for _, k := range out {
			if !platform.Equal(p, fromV1(k.desc.Platform)) {
				continue
			}
			if k.desc.Digest == c.desc.Digest {
				continue next
			}
			if !allow {
				return nil, &DuplicatePlatformError{Platform: platform.Normalize(p), First: k.source, Second: c.source}
			}
		}
		out = append(out, c)
	}
	return out, nil
}

// checkDocker checks that a Docker manifest list can hold the children.
func checkDocker(children []child, annotations map[string]string) error {
	for _, c := range children {
		if c.desc.MediaType != types.DockerManifestSchema2 {
			return fmt.Errorf("%s is an %s; a Docker manifest list holds only Docker schema2 manifests (%s): use --format oci (an OCI index lists OCI and Docker manifests alike)",
				c.source, c.desc.MediaType, types.DockerManifestSchema2)
		}
	}
	if len(annotations) > 0 {
		return errors.New("a Docker manifest list carries no annotations: use --format oci, or give no --annotation (with --append, the existing index's annotations count too)")
	}
	return nil
}

// fromV1 converts ggcr's platform to the OCI one; nil gives the zero value.
func fromV1(p *v1.Platform) platform.Platform {
	if p == nil {
		return platform.Platform{}
	}
	return platform.Platform{OS: p.OS, Architecture: p.Architecture, Variant: p.Variant, OSVersion: p.OSVersion, OSFeatures: p.OSFeatures}
}

// ParseIndexAnnotations reads --annotation values for an index: KEY=VALUE,
// or buildx's index:KEY=VALUE. The other buildx targets (manifest:,
// manifest-descriptor:, index-descriptor:, and platform-qualified ones) do
// not apply to an index assembled from existing images and are refused.
func ParseIndexAnnotations(list []string) (map[string]string, error) {
	out := map[string]string{}
	for _, s := range list {
		k, v, ok := strings.Cut(s, "=")
		if !ok {
			return nil, fmt.Errorf("annotation %q: want KEY=VALUE or index:KEY=VALUE", s)
		}
		if prefix, key, ok := strings.Cut(k, ":"); ok {
			kind, _, _ := strings.Cut(prefix, "[")
			switch kind {
			case "index":
				if kind != prefix {
					return nil, fmt.Errorf("annotation %q: an index has no platform: write index:KEY=VALUE", s)
				}
				k = key
			case "manifest", "manifest-descriptor", "index-descriptor":
				return nil, fmt.Errorf("annotation %q: only the index's own annotations can be set here (KEY=VALUE or index:KEY=VALUE); %s annotations belong to the images: set them when building", s, kind)
			}
		}
		if strings.TrimSpace(k) == "" {
			return nil, fmt.Errorf("annotation %q: empty key", s)
		}
		out[k] = v
	}
	return out, nil
}

// IndexJSON is idx's manifest indented for reading, with a final newline.
// (The digest is of the compact form the registry stores, idx.RawManifest.)
func IndexJSON(idx v1.ImageIndex) ([]byte, error) {
	raw, err := idx.RawManifest()
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, raw, "", "  "); err != nil {
		return nil, err
	}
	buf.WriteByte('\n')
	return buf.Bytes(), nil
}
