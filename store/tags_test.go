package store

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// platformImage is a random image whose config says linux/arm64/v8.
func platformImage(t *testing.T) v1.Image {
	t.Helper()
	img, err := random.Image(64, 1)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture, cf.Variant = "linux", "arm64", "v8"
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func TestTagResolveUntag(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	imgD, err := s.WriteImage(ctx, platformImage(t))
	if err != nil {
		t.Fatal(err)
	}
	idx, err := random.Index(64, 1, 2)
	if err != nil {
		t.Fatal(err)
	}
	idxD, err := s.WriteIndex(ctx, idx)
	if err != nil {
		t.Fatal(err)
	}
	const (
		imgRef = "localhost:5000/library/busybox:latest"
		idxRef = "localhost:5000/multi:1"
	)
	if err := s.Tag(ctx, imgRef, v1.Descriptor{Digest: imgD}); err != nil {
		t.Fatal(err)
	}
	if err := s.Tag(ctx, idxRef, v1.Descriptor{Digest: idxD, Annotations: map[string]string{"k": "v"}}); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		ref       string
		digest    v1.Hash
		mediaType types.MediaType
		platform  *v1.Platform
		anno      string // expected AnnotationRefName ("" for digest lookups)
	}{
		{imgRef, imgD, types.DockerManifestSchema2, &v1.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}, imgRef},
		{idxRef, idxD, types.OCIImageIndex, nil, idxRef},
		{idxD.String(), idxD, types.OCIImageIndex, nil, ""},
		{"sha256:" + imgD.Hex[:12], imgD, types.DockerManifestSchema2, &v1.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}, ""},
		{imgD.Hex[:12], imgD, types.DockerManifestSchema2, &v1.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.ref, func(t *testing.T) {
			d, err := s.Resolve(tt.ref)
			if err != nil {
				t.Fatal(err)
			}
			if d.Digest != tt.digest || d.MediaType != tt.mediaType || d.Size == 0 {
				t.Errorf("Resolve = %+v", d)
			}
			if fmt.Sprint(d.Platform) != fmt.Sprint(tt.platform) {
				t.Errorf("platform = %v, want %v", d.Platform, tt.platform)
			}
			if got := d.Annotations[AnnotationRefName]; got != tt.anno {
				t.Errorf("ref annotation = %q, want %q", got, tt.anno)
			}
		})
	}
	if d, _ := s.Resolve(idxRef); d.Annotations["k"] != "v" {
		t.Errorf("caller's annotation lost: %v", d.Annotations)
	}

	recs, err := s.Tags()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 || recs[0].Ref != imgRef || recs[1].Ref != idxRef {
		t.Fatalf("Tags() = %+v, want sorted [%s %s]", recs, imgRef, idxRef)
	}

	if err := s.Untag(ctx, imgRef); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Resolve(imgRef); !errors.Is(err, ErrNotFound) {
		t.Errorf("Resolve after Untag: %v, want ErrNotFound", err)
	}
	if err := s.Untag(ctx, imgRef); !errors.Is(err, ErrNotFound) {
		t.Errorf("second Untag: %v, want ErrNotFound", err)
	}
	if d, err := s.Resolve(imgD.String()); err != nil || d.Digest != imgD {
		t.Errorf("untagged manifest no longer resolvable by digest: %v", err)
	}
}

func TestTagReplaces(t *testing.T) {
	s := newStore(t)
	a, b := mustWriteImage(t, s), mustWriteImage(t, s)
	for _, d := range []v1.Descriptor{a, b} {
		if err := s.Tag(t.Context(), "r", d); err != nil {
			t.Fatal(err)
		}
	}
	recs, err := s.Tags()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1 || recs[0].Descriptor.Digest != b.Digest {
		t.Errorf("Tags() = %+v, want only r -> %s", recs, b.Digest)
	}
}

func TestTagErrors(t *testing.T) {
	s := newStore(t)
	img := mustWriteImage(t, s)
	tests := []struct {
		name    string
		ref     string
		desc    v1.Descriptor
		wantErr error
	}{
		{"missing blob", "r", v1.Descriptor{Digest: hashOf([]byte("nope"))}, ErrNotFound},
		{"wrong size", "r", v1.Descriptor{Digest: img.Digest, Size: 1}, ErrSizeMismatch},
		{"empty ref", "", img, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.Tag(t.Context(), tt.ref, tt.desc)
			if err == nil || (tt.wantErr != nil && !errors.Is(err, tt.wantErr)) {
				t.Errorf("Tag err = %v, want %v", err, tt.wantErr)
			}
		})
	}
	if recs, _ := s.Tags(); len(recs) != 0 {
		t.Errorf("failed Tag left %+v", recs)
	}
}

func TestResolveErrors(t *testing.T) {
	s := newStore(t)
	var digests []v1.Hash
	for range 20 { // 20 manifests over 16 hex digits: some first digit repeats
		digests = append(digests, mustWriteImage(t, s).Digest)
	}
	seen := map[byte]bool{}
	var ambiguous string
	for _, d := range digests {
		if seen[d.Hex[0]] {
			ambiguous = d.Hex[:1]
		}
		seen[d.Hex[0]] = true
	}
	img, err := s.Image(digests[0])
	if err != nil {
		t.Fatal(err)
	}
	m, err := img.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		ref     string
		wantErr error
	}{
		{"busybox", ErrNotFound},
		{"sha256:", ErrNotFound},
		{"sha256:" + hashOf([]byte("x")).Hex, ErrNotFound},
		{m.Layers[0].Digest.String(), ErrNotFound}, // a layer is not a manifest
		{m.Config.Digest.Hex[:20], ErrNotFound},
		{ambiguous, ErrAmbiguous},
		{"sha256:" + ambiguous, ErrAmbiguous},
	}
	for _, tt := range tests {
		t.Run(tt.ref, func(t *testing.T) {
			if _, err := s.Resolve(tt.ref); !errors.Is(err, tt.wantErr) {
				t.Errorf("Resolve(%q) err = %v, want %v", tt.ref, err, tt.wantErr)
			}
		})
	}
}

func TestSniffMediaType(t *testing.T) {
	tests := []struct {
		raw  string
		want types.MediaType
	}{
		{`{"mediaType":"application/vnd.docker.distribution.manifest.v2+json"}`, types.DockerManifestSchema2},
		{`{"schemaVersion":2,"manifests":[]}`, types.OCIImageIndex},
		{`{"schemaVersion":2,"config":{"digest":"sha256:` + hashOf(nil).Hex + `"},"layers":[]}`, types.OCIManifestSchema1},
		{`{"architecture":"amd64","config":{"Env":["A=b"]},"rootfs":{"diff_ids":[]}}`, ""},
		{`{"rootfs":{"diff_ids":[]}}`, ""},
		{"\x1f\x8b\x08", ""},
	}
	for _, tt := range tests {
		if got := sniffMediaType(bytes.Clone([]byte(tt.raw))); got != tt.want {
			t.Errorf("sniffMediaType(%q) = %q, want %q", tt.raw, got, tt.want)
		}
	}
}
