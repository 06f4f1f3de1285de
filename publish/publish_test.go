package publish

import (
	"archive/tar"
	"context"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

func TestParseOutput(t *testing.T) {
	tests := []struct {
		in   string
		want Output
		err  string
	}{
		{"type=oci,dest=out.tar", Output{Kind: OCI, Dest: "out.tar", AsTar: true}, ""},
		{"type=oci,dest=dir,tar=false", Output{Kind: OCI, Dest: "dir"}, ""},
		{"type=registry,name=r/a:1", Output{Kind: Registry, Names: []string{"r/a:1"}, AsTar: true}, ""},
		{`type=image,"name=a:1,b:2",push=true`, Output{Kind: Image, Names: []string{"a:1", "b:2"}, AsTar: true, Push: true}, ""},
		{"./out", Output{Kind: Local, Dest: "./out"}, ""},
		{"-", Output{Kind: Tar, Dest: "-"}, ""},
		{"type=local", Output{}, "needs dest"},
		{"type=registry", Output{}, "needs name"},
		{"type=weird,dest=x", Output{}, "unknown type"},
		{"type=oci,dest=x,colour=red", Output{}, "unknown key"},
		{"dest=x", Output{}, "missing type"},
		{"type=oci,dest=x,tar=maybe", Output{}, "want true or false"},
	}
	for _, tc := range tests {
		got, err := ParseOutput(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: err = %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: got %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
}

func platformImage(t *testing.T, arch string) v1.Image {
	img, err := random.Image(64, 2)
	if err != nil {
		t.Fatal(err)
	}
	cfg, _ := img.ConfigFile()
	cfg.OS, cfg.Architecture = "linux", arch
	img, err = mutate.ConfigFile(img, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func TestWriteOCIAndDocker(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	a, b := platformImage(t, "arm64"), platformImage(t, "s390x")
	idx := mutate.AppendManifests(empty.Index,
		mutate.IndexAddendum{Add: a, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "arm64"}}},
		mutate.IndexAddendum{Add: b, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "s390x"}}})
	if err := WriteOCI(ctx, Result{Index: idx}, filepath.Join(dir, "oci"), false, []string{"x:1"}); err != nil {
		t.Fatal(err)
	}
	p, err := layout.FromPath(filepath.Join(dir, "oci"))
	if err != nil {
		t.Fatal(err)
	}
	li, _ := p.ImageIndex()
	lm, _ := li.IndexManifest()
	wantDigest, _ := idx.Digest()
	if len(lm.Manifests) != 1 || lm.Manifests[0].Digest != wantDigest {
		t.Fatalf("layout index %+v, want the built index %s", lm.Manifests, wantDigest)
	}
	if err := WriteOCI(ctx, Result{Index: idx}, filepath.Join(dir, "oci.tar"), true, nil); err != nil {
		t.Fatal(err)
	}
	if names := tarNames(t, filepath.Join(dir, "oci.tar")); !names["oci-layout"] || !names["index.json"] {
		t.Fatalf("oci tar lacks layout files: %v", names)
	}
	if err := WriteDocker(Result{Index: idx}, filepath.Join(dir, "d.tar"), nil); err == nil {
		t.Fatal("docker-archive of an index must fail")
	}
	if err := WriteDocker(Result{Image: a}, filepath.Join(dir, "d.tar"), []string{"example.com/a:1"}); err != nil {
		t.Fatal(err)
	}
	img, err := tarball.ImageFromPath(filepath.Join(dir, "d.tar"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := img.ConfigName(); got != mustConfigName(t, a) {
		t.Fatalf("docker-archive config %s", got)
	}
}

func TestWriteFilesystemPerPlatform(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	a, b := platformImage(t, "arm64"), platformImage(t, "s390x")
	idx := mutate.AppendManifests(empty.Index,
		mutate.IndexAddendum{Add: a, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "arm64"}}},
		mutate.IndexAddendum{Add: b, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "s390x"}}})
	if err := WriteFilesystem(ctx, Result{Index: idx}, Local, filepath.Join(dir, "out")); err != nil {
		t.Fatal(err)
	}
	for _, sub := range []string{"linux_arm64", "linux_s390x"} {
		if entries, err := os.ReadDir(filepath.Join(dir, "out", sub)); err != nil || len(entries) == 0 {
			t.Errorf("%s: %v %d entries", sub, err, len(entries))
		}
	}
	if err := WriteFilesystem(ctx, Result{Image: a}, Tar, filepath.Join(dir, "fs.tar")); err != nil {
		t.Fatal(err)
	}
	if len(tarNames(t, filepath.Join(dir, "fs.tar"))) == 0 {
		t.Fatal("empty filesystem tar")
	}
}

func mustConfigName(t *testing.T, img v1.Image) v1.Hash {
	h, err := img.ConfigName()
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func tarNames(t *testing.T, path string) map[string]bool {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	names := map[string]bool{}
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return names
		}
		if err != nil {
			t.Fatal(err)
		}
		names[h.Name] = true
	}
}
