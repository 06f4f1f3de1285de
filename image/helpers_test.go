package image

import (
	"context"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/polyarch/polyarch/platform"
	"github.com/polyarch/polyarch/store"
)

// testRegistry is an in-memory registry on a loopback port that counts the
// requests it serves.
type testRegistry struct {
	host string // 127.0.0.1:port
	srv  *httptest.Server

	mu   sync.Mutex
	hits map[string]int // "GET blobs", "GET manifests", "HEAD manifests", ...
}

// newRegistry starts registry.New() behind wrap (nil: none).
func newRegistry(t *testing.T, wrap func(http.Handler) http.Handler) *testRegistry {
	t.Helper()
	r := &testRegistry{hits: map[string]int{}}
	var h http.Handler = registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	if wrap != nil {
		h = wrap(h)
	}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.count(req)
		h.ServeHTTP(w, req)
	}))
	t.Cleanup(r.srv.Close)
	r.host = strings.TrimPrefix(r.srv.URL, "http://")
	return r
}

func (r *testRegistry) count(req *http.Request) {
	kind := "other"
	switch {
	case strings.Contains(req.URL.Path, "/blobs/"):
		kind = "blobs"
	case strings.Contains(req.URL.Path, "/manifests/"):
		kind = "manifests"
	}
	r.mu.Lock()
	r.hits[req.Method+" "+kind]++
	r.mu.Unlock()
}

// hitCount returns how many requests of a kind ("GET blobs") were served.
func (r *testRegistry) hitCount(kind string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.hits[kind]
}

func (r *testRegistry) resetHits() {
	r.mu.Lock()
	r.hits = map[string]int{}
	r.mu.Unlock()
}

// platformImage returns a random image (2 layers) whose config says p.
func platformImage(t *testing.T, p string) v1.Image {
	t.Helper()
	img, err := random.Image(1024, 2)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	pp := platform.MustParse(p)
	cf.OS, cf.Architecture, cf.Variant = pp.OS, pp.Architecture, pp.Variant
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// entry is one manifest of a test index.
type entry struct {
	img         v1.Image
	platform    *v1.Platform // as the index lists it
	annotations map[string]string
}

// plat spells an index entry's platform exactly (no normalisation).
func plat(arch, variant string) *v1.Platform {
	return &v1.Platform{OS: "linux", Architecture: arch, Variant: variant}
}

// attestation is a buildx-style attestation entry.
func attestation(t *testing.T) entry {
	return entry{
		img:         platformImage(t, "linux/amd64"),
		platform:    &v1.Platform{OS: "unknown", Architecture: "unknown"},
		annotations: map[string]string{annotationReferenceType: attestationManifest},
	}
}

func makeIndex(entries ...entry) v1.ImageIndex {
	adds := make([]mutate.IndexAddendum, len(entries))
	for i, e := range entries {
		adds[i] = mutate.IndexAddendum{Add: e.img, Descriptor: v1.Descriptor{Platform: e.platform, Annotations: e.annotations}}
	}
	return mutate.AppendManifests(empty.Index, adds...)
}

// pushIndex writes an index to ref ("host/repo:tag").
func pushIndex(t *testing.T, ref string, idx v1.ImageIndex) {
	t.Helper()
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.WriteIndex(r, idx); err != nil {
		t.Fatalf("pushing %s: %v", ref, err)
	}
}

func pushImage(t *testing.T, ref string, img v1.Image) {
	t.Helper()
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(r, img); err != nil {
		t.Fatalf("pushing %s: %v", ref, err)
	}
}

// fastBackoff keeps retrying tests quick: 4 attempts, 1ms apart and more.
func fastBackoff() remote.Backoff {
	return remote.Backoff{Duration: time.Millisecond, Factor: 2, Steps: 4}
}

func newTestClient(t *testing.T, opts ...Option) *Client {
	t.Helper()
	c, err := NewClient(append([]Option{WithRetryBackoff(fastBackoff())}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func openStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), t.TempDir(), store.WithGCGracePeriod(0))
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func digestOf(t *testing.T, img v1.Image) v1.Hash {
	t.Helper()
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func ptr(p platform.Platform) *platform.Platform { return &p }

// pushWith pushes img to ref over the given transport.
func pushWith(ref string, img v1.Image, tr http.RoundTripper) error {
	r, err := name.ParseReference(ref)
	if err != nil {
		return err
	}
	return remote.Write(r, img, remote.WithTransport(tr))
}
