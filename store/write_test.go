package store

import (
	"bytes"
	"io"
	"os"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// sameImage checks that got is want read back: digest, config and every
// layer's compressed bytes.
func sameImage(t *testing.T, want, got v1.Image) {
	t.Helper()
	wd, _ := want.Digest()
	gd, err := got.Digest()
	if err != nil || gd != wd {
		t.Fatalf("digest = %s (%v), want %s", gd, err, wd)
	}
	wc, _ := want.RawConfigFile()
	gc, err := got.RawConfigFile()
	if err != nil || !bytes.Equal(wc, gc) {
		t.Errorf("config differs (%v)", err)
	}
	wl, _ := want.Layers()
	gl, err := got.Layers()
	if err != nil || len(gl) != len(wl) {
		t.Fatalf("layers: %d (%v), want %d", len(gl), err, len(wl))
	}
	for i := range wl {
		if !bytes.Equal(compressed(t, wl[i]), compressed(t, gl[i])) {
			t.Errorf("layer %d differs", i)
		}
	}
	for i := range gl {
		checkLayer(t, gl[i])
	}
}

// checkLayer verifies a layer read back: its compressed bytes hash to its
// digest and its uncompressed bytes to its diffID.
func checkLayer(t *testing.T, l v1.Layer) {
	t.Helper()
	d, _ := l.Digest()
	if got := hashOf(compressed(t, l)); got != d {
		t.Errorf("layer %s: compressed bytes hash to %s", d, got)
	}
	rc, err := l.Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	if diffID, _ := l.DiffID(); hashOf(b) != diffID {
		t.Errorf("layer %s: uncompressed bytes do not hash to diffID %s", d, diffID)
	}
}

func compressed(t *testing.T, l v1.Layer) []byte {
	t.Helper()
	rc, err := l.Compressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestWriteImageRoundTrip(t *testing.T) {
	s := newStore(t)
	img, err := random.Image(1024, 3)
	if err != nil {
		t.Fatal(err)
	}
	d, err := s.WriteImage(t.Context(), img)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Image(d)
	if err != nil {
		t.Fatal(err)
	}
	sameImage(t, img, got)

	// A second write finds the manifest and reads nothing.
	if d2, err := s.WriteImage(t.Context(), img); err != nil || d2 != d {
		t.Errorf("rewrite = %s, %v", d2, err)
	}
	if _, err := s.Index(d); err == nil {
		t.Error("Index() accepted an image manifest")
	}
	if left := tmpEntries(t, s); len(left) != 0 {
		t.Errorf("temp files left: %v", left)
	}
}

// nestedIndex is an index holding an index of two images and one image.
func nestedIndex(t *testing.T) v1.ImageIndex {
	t.Helper()
	inner, err := random.Index(256, 2, 2)
	if err != nil {
		t.Fatal(err)
	}
	img, err := random.Image(256, 1)
	if err != nil {
		t.Fatal(err)
	}
	return mutate.AppendManifests(empty.Index,
		mutate.IndexAddendum{Add: inner},
		mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "s390x"}}},
	)
}

func TestWriteIndexRoundTrip(t *testing.T) {
	s := newStore(t)
	idx := nestedIndex(t)
	d, err := s.WriteIndex(t.Context(), idx)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Index(d)
	if err != nil {
		t.Fatal(err)
	}
	wantRaw, _ := idx.RawManifest()
	gotRaw, _ := got.RawManifest()
	if gd, _ := got.Digest(); gd != d || !bytes.Equal(wantRaw, gotRaw) {
		t.Fatalf("index differs: %s", gd)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range im.Manifests {
		if c.MediaType.IsIndex() {
			if _, err := got.ImageIndex(c.Digest); err != nil {
				t.Errorf("child index %s: %v", c.Digest, err)
			}
			continue
		}
		want, _ := idx.Image(c.Digest)
		child, err := got.Image(c.Digest)
		if err != nil {
			t.Fatal(err)
		}
		sameImage(t, want, child)
	}
	if _, err := got.Image(hashOf([]byte("not a child"))); err == nil {
		t.Error("Image() of a non-child succeeded")
	}
}

func TestLayoutReadableByGGCR(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	img := platformImage(t)
	imgD, err := s.WriteImage(ctx, img)
	if err != nil {
		t.Fatal(err)
	}
	idx := nestedIndex(t)
	idxD, err := s.WriteIndex(ctx, idx)
	if err != nil {
		t.Fatal(err)
	}
	const imgRef = "localhost:5000/library/busybox:latest"
	if err := s.Tag(ctx, imgRef, v1.Descriptor{Digest: imgD}); err != nil {
		t.Fatal(err)
	}
	if err := s.Tag(ctx, "localhost:5000/multi:latest", v1.Descriptor{Digest: idxD}); err != nil {
		t.Fatal(err)
	}

	lp, err := layout.FromPath(s.LayoutPath())
	if err != nil {
		t.Fatal(err)
	}
	top, err := lp.ImageIndex()
	if err != nil {
		t.Fatal(err)
	}
	im, err := top.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(im.Manifests) != 2 || im.Manifests[0].Annotations[AnnotationRefName] != imgRef ||
		im.Manifests[0].Platform == nil || im.Manifests[0].Platform.Architecture != "arm64" {
		t.Errorf("index.json manifests = %+v", im.Manifests)
	}
	li, err := lp.Image(imgD)
	if err != nil {
		t.Fatal(err)
	}
	sameImage(t, img, li)
	lx, err := top.ImageIndex(idxD)
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := lx.Digest(); d != idxD {
		t.Errorf("layout index digest = %s", d)
	}
	if mt, _ := lx.MediaType(); mt != types.OCIImageIndex {
		t.Errorf("layout index media type = %s", mt)
	}
	if _, err := os.Stat(s.LayoutPath() + "/oci-layout"); err != nil {
		t.Error(err)
	}
}

// brokenLayer fails midway through its compressed stream.
type brokenLayer struct{ v1.Layer }

func (b brokenLayer) Compressed() (io.ReadCloser, error) {
	return io.NopCloser(&failingReader{data: []byte("partial"), err: io.ErrUnexpectedEOF}), nil
}

func TestWriteImageInterrupted(t *testing.T) {
	s := newStore(t)
	good, err := random.Layer(512, types.DockerLayer)
	if err != nil {
		t.Fatal(err)
	}
	bad, err := random.Layer(512, types.DockerLayer)
	if err != nil {
		t.Fatal(err)
	}
	img, err := mutate.AppendLayers(empty.Image, good, brokenLayer{bad})
	if err != nil {
		t.Fatal(err)
	}
	d, _ := img.Digest()
	if _, err := s.WriteImage(t.Context(), img); err == nil {
		t.Fatal("WriteImage with a failing layer succeeded")
	}
	bd, _ := bad.Digest()
	if s.HasBlob(d) || s.HasBlob(bd) {
		t.Error("manifest or broken layer present after a failed write")
	}
	if left := tmpEntries(t, s); len(left) != 0 {
		t.Errorf("temp files left: %v", left)
	}
}

// TestWriteRepairsPartial: a present manifest or index whose children are
// partly gone (a GC killed midway) is written again, not skipped.
func TestWriteRepairsPartial(t *testing.T) {
	s := newStore(t)
	idx := nestedIndex(t)
	d, err := s.WriteIndex(t.Context(), idx)
	if err != nil {
		t.Fatal(err)
	}
	im, _ := idx.IndexManifest()
	img, _ := idx.Image(im.Manifests[1].Digest)
	layers, _ := img.Layers()
	ld, _ := layers[0].Digest()
	for _, write := range []func() error{
		func() error { _, err := s.WriteImage(t.Context(), img); return err },
		func() error { _, err := s.WriteIndex(t.Context(), idx); return err },
	} {
		must(t, os.Remove(s.BlobPath(ld)))
		if err := write(); err != nil {
			t.Fatal(err)
		}
		if !s.HasBlob(ld) || !s.complete(d, 0) {
			t.Error("missing layer not restored")
		}
	}
}
