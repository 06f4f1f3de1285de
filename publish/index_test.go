package publish

import (
	"bytes"
	"errors"
	"flag"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/polyarch/polyarch/platform"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// fixedImage is a small deterministic image whose config says plat
// ("linux/arm/v7"; "" for no platform at all), with OCI or Docker media
// types.
func fixedImage(t *testing.T, plat string, docker bool, seed string) v1.Image {
	t.Helper()
	layerType, manifestType, configType := types.OCILayer, types.OCIManifestSchema1, types.OCIConfigJSON
	if docker {
		layerType, manifestType, configType = types.DockerLayer, types.DockerManifestSchema2, types.DockerConfigJSON
	}
	img, err := mutate.AppendLayers(empty.Image, static.NewLayer([]byte(seed+plat), layerType))
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture, cf.Variant = "", "", ""
	if plat != "" {
		p := platform.MustParse(plat)
		cf.OS, cf.Architecture, cf.Variant = p.OS, p.Architecture, p.Variant
	}
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		t.Fatal(err)
	}
	return mutate.ConfigMediaType(mutate.MediaType(img, manifestType), configType)
}

func vplat(os, arch, variant string) *v1.Platform {
	return &v1.Platform{OS: os, Architecture: arch, Variant: variant}
}

// indexEntry is one manifest of a test index.
type indexEntry struct {
	add         mutate.Appendable
	platform    *v1.Platform
	annotations map[string]string
}

func testIndex(t *testing.T, mt types.MediaType, entries ...indexEntry) v1.ImageIndex {
	t.Helper()
	adds := make([]mutate.IndexAddendum, len(entries))
	for i, e := range entries {
		adds[i] = mutate.IndexAddendum{Add: e.add, Descriptor: v1.Descriptor{Platform: e.platform, Annotations: e.annotations}}
	}
	return mutate.AppendManifests(mutate.IndexMediaType(empty.Index, mt), adds...)
}

func digest(t *testing.T, d interface{ Digest() (v1.Hash, error) }) v1.Hash {
	t.Helper()
	h, err := d.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// entryPlatforms lists an index's entries as "platform@digest-prefix".
func entryPlatforms(t *testing.T, idx v1.ImageIndex) []string {
	t.Helper()
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, d := range im.Manifests {
		out = append(out, platform.Format(fromV1(d.Platform)))
	}
	return out
}

func TestAssembleIndex(t *testing.T) {
	arm64 := fixedImage(t, "linux/arm64", false, "a")
	s390x := fixedImage(t, "linux/s390x", false, "a")
	amd64 := fixedImage(t, "linux/amd64", false, "a")
	armv6 := fixedImage(t, "linux/arm/v6", false, "a")
	ppc := fixedImage(t, "linux/ppc64le", false, "a")
	arm64b := fixedImage(t, "linux/arm64", false, "b")
	noPlat := fixedImage(t, "", false, "a")
	dArm64 := fixedImage(t, "linux/arm64", true, "a")
	dS390x := fixedImage(t, "linux/s390x", true, "a")
	attest := indexEntry{add: fixedImage(t, "", false, "att"), platform: vplat("unknown", "unknown", ""),
		annotations: map[string]string{"vnd.docker.reference.type": "attestation-manifest"}}
	unknownPlat := indexEntry{add: fixedImage(t, "", false, "att2"), platform: vplat("unknown", "unknown", "")}

	img := func(src string, i v1.Image) IndexEntry { return IndexEntry{Source: src, Image: i} }
	idx := func(src string, i v1.ImageIndex) IndexEntry { return IndexEntry{Source: src, Index: i} }
	multi := testIndex(t, types.OCIImageIndex,
		indexEntry{add: amd64, platform: vplat("linux", "amd64", "")}, attest,
		indexEntry{add: armv6, platform: vplat("linux", "arm", "v6")}, unknownPlat)
	nested := testIndex(t, types.OCIImageIndex,
		indexEntry{add: testIndex(t, types.OCIImageIndex, indexEntry{add: ppc, platform: vplat("linux", "ppc64le", "")})},
		indexEntry{add: s390x, platform: vplat("linux", "s390x", "")})
	noPlatIndex := testIndex(t, types.OCIImageIndex, indexEntry{add: armv6}, indexEntry{add: arm64})
	arm64v8Index := testIndex(t, types.OCIImageIndex, indexEntry{add: arm64b, platform: vplat("linux", "arm64", "v8")})
	base := mutate.Annotations(testIndex(t, types.OCIImageIndex, indexEntry{add: amd64, platform: vplat("linux", "amd64", "")}),
		map[string]string{"org.opencontainers.image.source": "https://example.com/base", "keep": "me"}).(v1.ImageIndex)

	tests := []struct {
		name    string
		entries []IndexEntry
		opts    []IndexOption
		want    []string // platforms in order
		wantMT  types.MediaType
		wantAnn map[string]string
		err     string // substring; "" means success
		errIs   error
	}{
		{name: "two images, platform from config", entries: []IndexEntry{img("r/m@a", arm64), img("r/m@b", s390x)},
			want: []string{"linux/arm64", "linux/s390x"}},
		{name: "order kept", entries: []IndexEntry{img("r/m@b", s390x), img("r/m@a", arm64)},
			want: []string{"linux/s390x", "linux/arm64"}},
		{name: "index flattened, attestations skipped", entries: []IndexEntry{idx("r/multi", multi), img("r/ppc", ppc)},
			want: []string{"linux/amd64", "linux/arm/v6", "linux/ppc64le"}},
		{name: "nested index flattened", entries: []IndexEntry{img("r/a", arm64), idx("r/nested", nested)},
			want: []string{"linux/arm64", "linux/ppc64le", "linux/s390x"}},
		{name: "index entry platform filled from config", entries: []IndexEntry{idx("r/noplat", noPlatIndex)},
			want: []string{"linux/arm/v6", "linux/arm64"}},
		{name: "duplicate platform refused", entries: []IndexEntry{img("r/m:arm64", arm64), idx("r/other", arm64v8Index)},
			err:   "linux/arm64 is given twice: by r/m:arm64 (" + digest(t, arm64).String() + ") and by the linux/arm64 entry " + digest(t, arm64b).String() + " of r/other",
			errIs: ErrDuplicatePlatform},
		{name: "duplicate platform allowed", entries: []IndexEntry{img("r/m:arm64", arm64), idx("r/other", arm64v8Index)},
			opts: []IndexOption{WithAllowDuplicates(true)}, want: []string{"linux/arm64", "linux/arm64"}},
		{name: "same image twice kept once", entries: []IndexEntry{img("r/m:arm64", arm64), img("r/m@sha", arm64), img("r/s", s390x)},
			want: []string{"linux/arm64", "linux/s390x"}},
		{name: "append after the base, annotations merged", entries: []IndexEntry{img("r/a", arm64)},
			opts:    []IndexOption{WithBase(idx("r/m:multi", base)), WithIndexAnnotations(map[string]string{"keep": "new"})},
			want:    []string{"linux/amd64", "linux/arm64"},
			wantAnn: map[string]string{"org.opencontainers.image.source": "https://example.com/base", "keep": "new"}},
		{name: "append a single-image base", entries: []IndexEntry{img("r/s", s390x)},
			opts: []IndexOption{WithBase(img("r/m:1", arm64))}, want: []string{"linux/arm64", "linux/s390x"}},
		{name: "append refuses a platform the base has", entries: []IndexEntry{img("r/amd64", fixedImage(t, "linux/amd64", false, "z"))},
			opts: []IndexOption{WithBase(idx("r/m:multi", base))}, err: "linux/amd64 is given twice: by the linux/amd64 entry", errIs: ErrDuplicatePlatform},
		{name: "append the same image again is a no-op", entries: []IndexEntry{img("r/amd64", amd64)},
			opts: []IndexOption{WithBase(idx("r/m:multi", base))}, want: []string{"linux/amd64"},
			wantAnn: map[string]string{"org.opencontainers.image.source": "https://example.com/base", "keep": "me"}},
		{name: "annotations", entries: []IndexEntry{img("r/a", arm64)},
			opts: []IndexOption{WithIndexAnnotations(map[string]string{"org.opencontainers.image.version": "1.2"})},
			want: []string{"linux/arm64"}, wantAnn: map[string]string{"org.opencontainers.image.version": "1.2"}},
		{name: "docker manifest list", entries: []IndexEntry{img("r/a", dArm64), img("r/b", dS390x)},
			opts: []IndexOption{WithIndexFormat(IndexDocker)}, want: []string{"linux/arm64", "linux/s390x"}, wantMT: types.DockerManifestList},
		{name: "oci index of docker manifests", entries: []IndexEntry{img("r/a", dArm64), img("r/b", s390x)},
			want: []string{"linux/arm64", "linux/s390x"}},
		{name: "docker list refuses oci manifests", entries: []IndexEntry{img("r/a", dArm64), img("r/b", s390x)},
			opts: []IndexOption{WithIndexFormat(IndexDocker)}, err: "r/b (" + digest(t, s390x).String() + ") is an application/vnd.oci.image.manifest.v1+json; a Docker manifest list holds only Docker schema2 manifests"},
		{name: "docker list refuses annotations", entries: []IndexEntry{img("r/a", dArm64)},
			opts: []IndexOption{WithIndexFormat(IndexDocker), WithIndexAnnotations(map[string]string{"a": "b"})}, err: "carries no annotations"},
		{name: "no platform anywhere", entries: []IndexEntry{img("r/x:1", noPlat)}, err: "r/x:1 (" + digest(t, noPlat).String() + ") names no platform, and neither does its image config"},
		{name: "only attestations", entries: []IndexEntry{idx("r/att", testIndex(t, types.OCIImageIndex, attest))}, err: "no image for any platform"},
		{name: "neither image nor index", entries: []IndexEntry{{Source: "r/nothing"}}, err: "r/nothing: neither an image nor an index"},
		{name: "a source that is not an image", entries: []IndexEntry{{Source: "r/helm:1", Image: arm64, Descriptor: v1.Descriptor{MediaType: "application/vnd.cncf.helm.config.v1+json"}}},
			err: "r/helm:1 is a application/vnd.cncf.helm.config.v1+json, neither an image manifest nor an index"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := AssembleIndex(tc.entries, tc.opts...)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				if tc.errIs != nil && !errors.Is(err, tc.errIs) {
					t.Fatalf("err = %v, want errors.Is %v", err, tc.errIs)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p := entryPlatforms(t, got); !reflect.DeepEqual(p, tc.want) {
				t.Errorf("platforms %v, want %v", p, tc.want)
			}
			im, _ := got.IndexManifest()
			wantMT := tc.wantMT
			if wantMT == "" {
				wantMT = types.OCIImageIndex
			}
			if mt, _ := got.MediaType(); mt != wantMT || im.MediaType != wantMT {
				t.Errorf("media type %s (manifest says %s), want %s", mt, im.MediaType, wantMT)
			}
			if !reflect.DeepEqual(im.Annotations, tc.wantAnn) {
				t.Errorf("annotations %v, want %v", im.Annotations, tc.wantAnn)
			}
			checkConsistent(t, got)
		})
	}
}

// checkConsistent checks that an index's digest and size are its raw
// manifest's and that every entry's image is there with that digest.
func checkConsistent(t *testing.T, idx v1.ImageIndex) {
	t.Helper()
	raw, _ := idx.RawManifest()
	h, n, _ := v1.SHA256(bytes.NewReader(raw))
	if d := digest(t, idx); d != h {
		t.Errorf("digest %s, raw manifest's %s", d, h)
	}
	if size, _ := idx.Size(); size != n {
		t.Errorf("size %d, raw manifest's %d", size, n)
	}
	im, _ := idx.IndexManifest()
	for _, d := range im.Manifests {
		img, err := idx.Image(d.Digest)
		if err != nil {
			t.Fatal(err)
		}
		if got := digest(t, img); got != d.Digest {
			t.Errorf("entry %s holds image %s", d.Digest, got)
		}
		if d.ArtifactType != "" || d.Platform == nil {
			t.Errorf("entry %s: artifactType %q, platform %v", d.Digest, d.ArtifactType, d.Platform)
		}
	}
}

// TestIndexJSONGolden pins the dry-run output: the index JSON as printed.
func TestIndexJSONGolden(t *testing.T) {
	entries := []IndexEntry{
		{Source: "r/m@arm64", Image: fixedImage(t, "linux/arm64", false, "golden")},
		{Source: "r/m:multi", Index: testIndex(t, types.OCIImageIndex,
			indexEntry{add: fixedImage(t, "linux/arm/v7", false, "golden"), platform: vplat("linux", "arm", "v7")},
			indexEntry{add: fixedImage(t, "linux/s390x", false, "golden")})},
	}
	for _, tc := range []struct {
		file string
		opts []IndexOption
	}{
		{"index-oci.golden", []IndexOption{WithIndexAnnotations(map[string]string{"org.opencontainers.image.version": "1.0"})}},
		{"index-docker.golden", []IndexOption{WithIndexFormat(IndexDocker)}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			es := entries
			if strings.Contains(tc.file, "docker") {
				es = []IndexEntry{
					{Source: "r/m@arm64", Image: fixedImage(t, "linux/arm64", true, "golden")},
					{Source: "r/m@s390x", Image: fixedImage(t, "linux/s390x", true, "golden")},
				}
			}
			idx, err := AssembleIndex(es, tc.opts...)
			if err != nil {
				t.Fatal(err)
			}
			got, err := IndexJSON(idx)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", tc.file)
			if *update {
				os.MkdirAll("testdata", 0o755)
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./publish -run Golden -update)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("index JSON differs from %s (-update to accept):\n%s", path, got)
			}
		})
	}
}

func TestParseIndexAnnotations(t *testing.T) {
	tests := []struct {
		in   []string
		want map[string]string
		err  string
	}{
		{in: []string{"a=b", "index:c=d=e", "empty="}, want: map[string]string{"a": "b", "c": "d=e", "empty": ""}},
		{in: []string{"com.example:x=1"}, want: map[string]string{"com.example:x": "1"}},
		{in: []string{"novalue"}, err: "want KEY=VALUE"},
		{in: []string{"=v"}, err: "empty key"},
		{in: []string{"index:=v"}, err: "empty key"},
		{in: []string{"manifest:a=b"}, err: "manifest annotations belong to the images"},
		{in: []string{"manifest-descriptor[linux/arm64]:a=b"}, err: "only the index's own annotations"},
		{in: []string{"index[linux/arm64]:a=b"}, err: "an index has no platform"},
	}
	for _, tc := range tests {
		got, err := ParseIndexAnnotations(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%v: err = %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%v: got %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
}

func TestParseIndexFormat(t *testing.T) {
	for in, want := range map[string]IndexFormat{"oci": IndexOCI, "OCI": IndexOCI, " docker": IndexDocker} {
		if got, err := ParseIndexFormat(in); err != nil || got != want {
			t.Errorf("ParseIndexFormat(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := ParseIndexFormat("v2s2"); err == nil || !strings.Contains(err.Error(), "want oci or docker") {
		t.Errorf("ParseIndexFormat(v2s2) = %v", err)
	}
	if IndexDocker.MediaType() != types.DockerManifestList || IndexOCI.MediaType() != types.OCIImageIndex {
		t.Error("media types")
	}
}

// TestAssembleRemoteIndex assembles from sources in two repositories of an
// in-memory registry, pushes to a third and reads the result back; and
// reports an index entry whose manifest the registry lost.
func TestAssembleRemoteIndex(t *testing.T) {
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	ref := func(s string) name.Reference {
		r, err := name.ParseReference(host + "/" + s)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	arm64 := platformImage(t, "arm64")
	s390x := platformImage(t, "s390x")
	amd64 := platformImage(t, "amd64")
	if err := remote.Write(ref("e2e/a:arm64"), arm64); err != nil {
		t.Fatal(err)
	}
	src := testIndex(t, types.OCIImageIndex, indexEntry{add: s390x, platform: vplat("linux", "s390x", "")},
		indexEntry{add: amd64, platform: vplat("linux", "amd64", "")})
	if err := remote.WriteIndex(ref("e2e/b:multi"), src); err != nil {
		t.Fatal(err)
	}
	get := func(s string) IndexEntry {
		rd, err := remote.Get(ref(s))
		if err != nil {
			t.Fatal(err)
		}
		e := IndexEntry{Source: s, Descriptor: v1.Descriptor{MediaType: rd.MediaType, Size: rd.Size, Digest: rd.Digest}}
		if rd.MediaType.IsIndex() {
			e.Index, err = rd.ImageIndex()
		} else {
			e.Image, err = rd.Image()
		}
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	idx, err := AssembleIndex([]IndexEntry{get("e2e/a@" + digest(t, arm64).String()), get("e2e/b:multi")})
	if err != nil {
		t.Fatal(err)
	}
	if p := entryPlatforms(t, idx); !reflect.DeepEqual(p, []string{"linux/arm64", "linux/s390x", "linux/amd64"}) {
		t.Fatalf("platforms %v", p)
	}
	if err := remote.Push(ref("e2e/c:multi"), idx); err != nil {
		t.Fatal(err)
	}
	back := get("e2e/c:multi")
	if back.Descriptor.Digest != digest(t, idx) {
		t.Fatalf("pushed %s, read back %s", digest(t, idx), back.Descriptor.Digest)
	}
	for _, want := range []v1.Image{arm64, s390x, amd64} {
		if _, err := remote.Get(ref("e2e/c@" + digest(t, want).String())); err != nil {
			t.Errorf("child %s missing from e2e/c: %v", digest(t, want), err)
		}
	}

	// The registry loses the amd64 manifest of e2e/b:multi.
	if err := remote.Delete(ref("e2e/b@" + digest(t, amd64).String())); err != nil {
		t.Fatal(err)
	}
	_, err = AssembleIndex([]IndexEntry{get("e2e/b:multi")})
	want := "reading the linux/amd64 entry " + digest(t, amd64).String() + " of e2e/b:multi (the index lists a manifest the registry cannot serve)"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("err = %v, want %q", err, want)
	}
}
