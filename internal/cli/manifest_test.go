package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/polyarch/polyarch/image"
)

// runCLI runs polyarch with args in an environment of its own (no config,
// no credentials) and returns stdout, stderr and the error.
func runCLI(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	home := t.TempDir()
	vars := map[string]string{"HOME": home, "XDG_CONFIG_HOME": home + "/config", "DOCKER_CONFIG": home + "/docker"}
	var out, errb bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: func(k string) string { return vars[k] }, uid: 1000}
	root := newRoot(e)
	root.SetArgs(args)
	root.SetOut(&out)
	root.SetErr(&errb)
	err := root.ExecuteContext(context.Background())
	return out.String(), errb.String(), err
}

func testRegistry(t *testing.T) string {
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

// archImage pushes a random OCI image whose config says linux/arch to ref
// and returns its digest.
func archImage(t *testing.T, ref, arch string) v1.Hash {
	t.Helper()
	img, err := random.Image(256, 1)
	if err != nil {
		t.Fatal(err)
	}
	cf, _ := img.ConfigFile()
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", arch
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		t.Fatal(err)
	}
	img = mutate.MediaType(img, types.OCIManifestSchema1)
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(r, img); err != nil {
		t.Fatal(err)
	}
	d, _ := img.Digest()
	return d
}

type inspected struct {
	Name, Digest, MediaType, Platform string
	Size                              int64
	Manifest                          json.RawMessage
}

func inspectJSON(t *testing.T, ref string) (inspected, v1.IndexManifest) {
	t.Helper()
	out, errOut, err := runCLI(t, "manifest", "inspect", "--json", ref)
	if err != nil {
		t.Fatalf("inspect %s: %v\n%s", ref, err, errOut)
	}
	var got inspected
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("inspect --json output %q: %v", out, err)
	}
	if h, _, _ := v1.SHA256(bytes.NewReader(got.Manifest)); h.String() != got.Digest {
		t.Errorf("inspect --json: raw manifest digest %s, digest field %s", h, got.Digest)
	}
	var im v1.IndexManifest
	json.Unmarshal(got.Manifest, &im)
	return got, im
}

func platformsOfIndex(im v1.IndexManifest) string {
	var ps []string
	for _, d := range im.Manifests {
		ps = append(ps, d.Platform.String())
	}
	return strings.Join(ps, ",")
}

func TestManifestCreateAndInspect(t *testing.T) {
	reg := testRegistry(t)
	other := testRegistry(t)
	arm := archImage(t, reg+"/e2e/a:arm64", "arm64")
	s390 := archImage(t, reg+"/e2e/b:s390x", "s390x")
	ppc := archImage(t, other+"/far/p:ppc64le", "ppc64le")
	armSrc, s390Src := reg+"/e2e/a@"+arm.String(), reg+"/e2e/b@"+s390.String()

	// --dry-run prints the index and pushes nothing.
	out, _, err := runCLI(t, "manifest", "create", "--dry-run", "-t", reg+"/e2e/c:multi", "--annotation", "index:org.opencontainers.image.version=1", armSrc, s390Src)
	if err != nil {
		t.Fatal(err)
	}
	var im v1.IndexManifest
	if err := json.Unmarshal([]byte(out), &im); err != nil {
		t.Fatalf("dry-run output %q: %v", out, err)
	}
	if platformsOfIndex(im) != "linux/arm64,linux/s390x" || im.MediaType != types.OCIImageIndex || im.Annotations["org.opencontainers.image.version"] != "1" {
		t.Fatalf("dry-run index: %s", out)
	}
	if _, _, err := runCLI(t, "manifest", "inspect", reg+"/e2e/c:multi"); !errors.Is(err, image.ErrManifestUnknown) {
		t.Fatalf("dry run pushed something: %v", err)
	}

	// Two targets, sources from two repositories and another registry.
	out, errOut, err := runCLI(t, "manifest", "create", "-t", reg+"/e2e/c:multi", "-t", other+"/far/c:multi", armSrc, s390Src, other+"/far/p:ppc64le")
	if err != nil {
		t.Fatalf("%v\n%s", err, errOut)
	}
	digest := strings.TrimSpace(out)
	if !strings.Contains(errOut, "blobs of "+armSrc+": mounted") || !strings.Contains(errOut, "blobs of "+other+"/far/p:ppc64le: streamed") {
		t.Errorf("stderr does not say how blobs travel:\n%s", errOut)
	}
	for _, target := range []string{reg + "/e2e/c:multi", other + "/far/c:multi"} {
		got, im := inspectJSON(t, target)
		if got.Digest != digest || got.MediaType != string(types.OCIImageIndex) || got.Name != target {
			t.Errorf("%s: inspect says %+v, create printed %s", target, got, digest)
		}
		if platformsOfIndex(im) != "linux/arm64,linux/s390x,linux/ppc64le" {
			t.Errorf("%s: platforms %s", target, platformsOfIndex(im))
		}
		if im.Manifests[0].Digest != arm || im.Manifests[1].Digest != s390 || im.Manifests[2].Digest != ppc {
			t.Errorf("%s: digests %v", target, im.Manifests)
		}
	}

	// Text inspect of the index and of one image.
	out, _, err = runCLI(t, "manifest", "inspect", reg+"/e2e/c:multi")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Digest:     " + digest, "PLATFORM", "linux/s390x    " + s390.String(), string(types.OCIManifestSchema1)} {
		if !strings.Contains(out, want) {
			t.Errorf("inspect output lacks %q:\n%s", want, out)
		}
	}
	got, _ := inspectJSON(t, reg+"/e2e/c@"+s390.String())
	if got.Platform != "linux/s390x" || got.Digest != s390.String() {
		t.Errorf("inspect --json of an image: %+v", got)
	}
	out, _, _ = runCLI(t, "manifest", "inspect", armSrc)
	if !strings.Contains(out, "Platform:   linux/arm64") {
		t.Errorf("inspect of an image:\n%s", out)
	}

	// --append adds after the existing entries; a platform already there is refused.
	ppc2 := archImage(t, reg+"/e2e/d:amd64", "amd64")
	if _, errOut, err := runCLI(t, "manifest", "create", "--append", "-t", reg+"/e2e/c:multi", reg+"/e2e/d:amd64"); err != nil {
		t.Fatalf("%v\n%s", err, errOut)
	}
	_, im = inspectJSON(t, reg+"/e2e/c:multi")
	if platformsOfIndex(im) != "linux/arm64,linux/s390x,linux/ppc64le,linux/amd64" || im.Manifests[3].Digest != ppc2 {
		t.Errorf("after --append: %s", platformsOfIndex(im))
	}
	_, _, err = runCLI(t, "manifest", "create", "--append", "-t", reg+"/e2e/c:multi", reg+"/e2e/b:s390x2")
	if err == nil || !strings.Contains(err.Error(), "source "+reg+"/e2e/b:s390x2") {
		t.Errorf("unknown source: %v", err)
	}
	archImage(t, reg+"/e2e/b:s390x2", "s390x")
	_, _, err = runCLI(t, "manifest", "create", "--append", "-t", reg+"/e2e/c:multi", reg+"/e2e/b:s390x2")
	if err == nil || !strings.Contains(err.Error(), "linux/s390x is given twice") || !strings.Contains(err.Error(), "--allow-duplicates") {
		t.Errorf("duplicate: %v", err)
	}
	// --append to a tag that does not exist yet creates it.
	if _, errOut, err := runCLI(t, "manifest", "create", "--append", "-t", reg+"/e2e/new:1", armSrc); err != nil || !strings.Contains(errOut, "does not exist yet") {
		t.Errorf("--append to a new tag: %v\n%s", err, errOut)
	}

	// An index as a source is flattened.
	out, _, err = runCLI(t, "manifest", "create", "--dry-run", reg+"/e2e/c:multi", reg+"/e2e/b:s390x2", "--allow-duplicates")
	if err != nil {
		t.Fatal(err)
	}
	json.Unmarshal([]byte(out), &im)
	if platformsOfIndex(im) != "linux/arm64,linux/s390x,linux/ppc64le,linux/amd64,linux/s390x" {
		t.Errorf("flattened: %s", platformsOfIndex(im))
	}
}

func TestManifestCreateErrors(t *testing.T) {
	reg := testRegistry(t)
	arm := archImage(t, reg+"/e2e/a:arm64", "arm64")
	artifact, _ := name.ParseReference(reg + "/e2e/art:1")
	if err := remote.Put(artifact, rawManifest{`{"schemaVersion":2}`, "application/vnd.example.thing.v1+json"}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args []string
		want string
	}{
		{[]string{reg + "/e2e/a:arm64"}, "name the index: -t REF"},
		{[]string{"-t", reg + "/e2e/x:1"}, "give the images or indexes to merge"},
		{[]string{"--dry-run", "--append", reg + "/e2e/a:arm64"}, "--append adds to the index -t names"},
		{[]string{"-t", reg + "/e2e/x:1", "--format", "v2s2", reg + "/e2e/a:arm64"}, "--format: unknown index format"},
		{[]string{"-t", reg + "/e2e/x:1", "--annotation", "manifest:a=b", reg + "/e2e/a:arm64"}, "--annotation"},
		{[]string{"-t", "Bad Ref", reg + "/e2e/a:arm64"}, "-t Bad Ref"},
		{[]string{"-t", reg + "/e2e/x:1", reg + "/e2e/nope:1"}, "source " + reg + "/e2e/nope:1: reading"},
		{[]string{"-t", reg + "/e2e/x:1", reg + "/e2e/art:1"}, reg + "/e2e/art:1 is a application/vnd.example.thing.v1+json, neither an image manifest nor an index"},
		{[]string{"-t", reg + "/e2e/x:1", "--format", "docker", reg + "/e2e/a:arm64"}, "a Docker manifest list holds only Docker schema2 manifests"},
		{[]string{"-t", reg + "/e2e/x:1", reg + "/e2e/a:arm64", reg + "/e2e/a@" + arm.String(), reg + "/e2e/a:arm64"}, ""},
	}
	for _, tc := range tests {
		_, errOut, err := runCLI(t, append([]string{"manifest", "create"}, tc.args...)...)
		if tc.want == "" {
			if err != nil {
				t.Errorf("%v: %v\n%s", tc.args, err, errOut)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: err = %v, want %q", tc.args, err, tc.want)
		}
	}
}

// rawManifest is a manifest of any media type, for remote.Put.
type rawManifest struct{ raw, mt string }

func (r rawManifest) RawManifest() ([]byte, error)        { return []byte(r.raw), nil }
func (r rawManifest) MediaType() (types.MediaType, error) { return types.MediaType(r.mt), nil }
