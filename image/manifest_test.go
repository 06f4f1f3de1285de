package image

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
)

// repoScoped makes the in-memory registry (which keeps blobs in one pool)
// behave like a real one, whose blobs belong to repositories: a blob is
// there for a repository once it was uploaded to it or mounted into it,
// and a mount succeeds only from a repository that has the blob. Image
// manifests are refused when a blob they name is missing from their
// repository. It records every mount and upload.
type repoScoped struct {
	h http.Handler

	mu      sync.Mutex
	has     map[string]bool // "repo@digest"
	mounted map[string]int  // "repo@digest" → mounts into repo
	upload  map[string]int  // "repo@digest" → uploads to repo
}

func newRepoScoped(h http.Handler) *repoScoped {
	return &repoScoped{h: h, has: map[string]bool{}, mounted: map[string]int{}, upload: map[string]int{}}
}

func (s *repoScoped) counts(repo string, d v1.Hash) (mounts, uploads int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mounted[repo+"@"+d.String()], s.upload[repo+"@"+d.String()]
}

// statusRecorder remembers the status code written.
type statusRecorder struct {
	http.ResponseWriter
	code int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.code = code
	r.ResponseWriter.WriteHeader(code)
}

func blobUnknown(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusNotFound)
	io.WriteString(w, `{"errors":[{"code":"BLOB_UNKNOWN","message":"blob unknown to registry"}]}`)
}

func (s *repoScoped) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	p := strings.TrimPrefix(req.URL.Path, "/v2/")
	if repo, rest, ok := strings.Cut(p, "/blobs/"); ok {
		s.blobs(w, req, repo, rest)
		return
	}
	if repo, _, ok := strings.Cut(p, "/manifests/"); ok && req.Method == http.MethodPut {
		body, _ := io.ReadAll(req.Body)
		var m v1.Manifest
		if json.Unmarshal(body, &m) == nil && m.Config.Digest.Hex != "" {
			for _, d := range append([]v1.Descriptor{m.Config}, m.Layers...) {
				if !s.hasBlob(repo, d.Digest.String()) {
					http.Error(w, "manifest names blob "+d.Digest.String()+" missing from "+repo, http.StatusBadRequest)
					return
				}
			}
		}
		req.Body = io.NopCloser(strings.NewReader(string(body)))
	}
	s.h.ServeHTTP(w, req)
}

func (s *repoScoped) hasBlob(repo, d string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.has[repo+"@"+d]
}

func (s *repoScoped) blobs(w http.ResponseWriter, req *http.Request, repo, rest string) {
	if !strings.HasPrefix(rest, "uploads") {
		if !s.hasBlob(repo, rest) {
			blobUnknown(w)
			return
		}
		s.h.ServeHTTP(w, req)
		return
	}
	q := req.URL.Query()
	if mount, from := q.Get("mount"), q.Get("from"); req.Method == http.MethodPost && mount != "" {
		if from != "" && s.hasBlob(from, mount) {
			s.mu.Lock()
			s.has[repo+"@"+mount] = true
			s.mounted[repo+"@"+mount]++
			s.mu.Unlock()
			w.Header().Set("Location", "/v2/"+repo+"/blobs/"+mount)
			w.Header().Set("Docker-Content-Digest", mount)
			w.WriteHeader(http.StatusCreated)
			return
		}
		q.Del("mount")
		q.Del("from")
		q.Del("origin")
		req.URL.RawQuery = q.Encode()
	}
	rec := &statusRecorder{ResponseWriter: w}
	s.h.ServeHTTP(rec, req)
	if d := q.Get("digest"); d != "" && rec.code == http.StatusCreated {
		s.mu.Lock()
		s.has[repo+"@"+d] = true
		s.upload[repo+"@"+d]++
		s.mu.Unlock()
	}
}

// blobsOf lists an image's config and layer digests.
func blobsOf(t *testing.T, img v1.Image) []v1.Hash {
	t.Helper()
	m, err := img.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	out := []v1.Hash{m.Config.Digest}
	for _, l := range m.Layers {
		out = append(out, l.Digest)
	}
	return out
}

// TestGetAndPushAcrossRepositories pushes an index made of images read with
// Get from another repository of the target's registry (whose blobs must be
// mounted, not uploaded) and from another registry (whose blobs must be
// streamed over), and checks the result is complete in the target repository.
func TestGetAndPushAcrossRepositories(t *testing.T) {
	var scoped, otherScoped *repoScoped
	reg := newRegistry(t, func(h http.Handler) http.Handler { scoped = newRepoScoped(h); return scoped })
	other := newRegistry(t, func(h http.Handler) http.Handler { otherScoped = newRepoScoped(h); return otherScoped })
	arm := platformImage(t, "linux/arm64")
	s390 := platformImage(t, "linux/s390x")
	ppc := platformImage(t, "linux/ppc64le")
	pushImage(t, reg.host+"/e2e/a:arm64", arm)
	pushIndex(t, reg.host+"/e2e/b:idx", makeIndex(entry{img: s390, platform: plat("s390x", "")}))
	pushImage(t, other.host+"/elsewhere/p:1", ppc)

	c := newTestClient(t)
	ctx := context.Background()
	idx := mutate.IndexMediaType(empty.Index, "application/vnd.oci.image.index.v1+json")

	rd, err := c.Get(ctx, reg.host+"/e2e/a@"+digestOf(t, arm).String())
	if err != nil {
		t.Fatal(err)
	}
	if !rd.MediaType.IsImage() || rd.Digest != digestOf(t, arm) {
		t.Fatalf("Get by digest: %s %s", rd.MediaType, rd.Digest)
	}
	img, err := rd.Image()
	if err != nil {
		t.Fatal(err)
	}
	idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: plat("arm64", "")}})

	rd, err = c.Get(ctx, reg.host+"/e2e/b:idx")
	if err != nil {
		t.Fatal(err)
	}
	if !rd.MediaType.IsIndex() {
		t.Fatalf("Get of an index: %s", rd.MediaType)
	}
	src, err := rd.ImageIndex()
	if err != nil {
		t.Fatal(err)
	}
	child, err := src.Image(digestOf(t, s390))
	if err != nil {
		t.Fatal(err)
	}
	idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: child, Descriptor: v1.Descriptor{Platform: plat("s390x", "")}})

	rd, err = c.Get(ctx, other.host+"/elsewhere/p:1")
	if err != nil {
		t.Fatal(err)
	}
	img, err = rd.Image()
	if err != nil {
		t.Fatal(err)
	}
	idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: plat("ppc64le", "")}})

	if err := c.Push(ctx, reg.host+"/e2e/c:multi", idx); err != nil {
		t.Fatal(err)
	}
	for name, img := range map[string]v1.Image{"arm64 (from e2e/a)": arm, "s390x (from e2e/b's index)": s390} {
		for _, d := range blobsOf(t, img) {
			if m, u := scoped.counts("e2e/c", d); m != 1 || u != 0 {
				t.Errorf("%s blob %s: %d mounts, %d uploads; want it mounted once", name, d, m, u)
			}
		}
	}
	for _, d := range blobsOf(t, ppc) {
		if m, u := scoped.counts("e2e/c", d); m != 0 || u != 1 {
			t.Errorf("ppc64le blob %s from the other registry: %d mounts, %d uploads; want it streamed once", d, m, u)
		}
	}

	// The result reads back whole from the target repository alone.
	rd, err = c.Get(ctx, reg.host+"/e2e/c:multi")
	if err != nil {
		t.Fatal(err)
	}
	got, err := rd.ImageIndex()
	if err != nil {
		t.Fatal(err)
	}
	gotDigest, _ := got.Digest()
	wantDigest, _ := idx.Digest()
	if gotDigest != wantDigest {
		t.Fatalf("pushed index %s, want %s", gotDigest, wantDigest)
	}
	for _, want := range []v1.Image{arm, s390, ppc} {
		img, err := got.Image(digestOf(t, want))
		if err != nil {
			t.Fatal(err)
		}
		if err := validateBlobs(img); err != nil {
			t.Errorf("image %s in e2e/c: %v", digestOf(t, want), err)
		}
	}
}

// validateBlobs reads every blob of img (through the repository it came
// from).
func validateBlobs(img v1.Image) error {
	if _, err := img.RawConfigFile(); err != nil {
		return err
	}
	ls, err := img.Layers()
	if err != nil {
		return err
	}
	for _, l := range ls {
		rc, err := l.Compressed()
		if err != nil {
			return err
		}
		_, err = io.Copy(io.Discard, rc)
		rc.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

func TestGetUnknown(t *testing.T) {
	reg := newRegistry(t, nil)
	pushImage(t, reg.host+"/e2e/a:1", platformImage(t, "linux/arm64"))
	c := newTestClient(t)
	for _, ref := range []string{reg.host + "/e2e/a:nope", reg.host + "/e2e/nothing:1"} {
		_, err := c.Get(context.Background(), ref)
		if !errors.Is(err, ErrManifestUnknown) {
			t.Errorf("Get(%s) = %v, want ErrManifestUnknown", ref, err)
		}
		if err != nil && !strings.Contains(err.Error(), ref) {
			t.Errorf("error does not name %s: %v", ref, err)
		}
	}
}

func TestPlanCopy(t *testing.T) {
	c := newTestClient(t)
	for _, tc := range []struct {
		src, dst string
		want     CopyMode
	}{
		{"localhost:5000/e2e/a@sha256:" + strings.Repeat("a", 64), "localhost:5000/e2e/a:multi", CopyExisting},
		{"localhost:5000/e2e/a:1", "localhost:5000/e2e/c:multi", CopyMount},
		{"localhost:5000/e2e/a:1", "127.0.0.1:5000/e2e/a:multi", CopyStream},
		{"busybox", "docker.io/me/busybox", CopyMount},
		{"busybox", "index.docker.io/library/busybox:2", CopyExisting},
		{"quay.io/x/y", "ghcr.io/x/y", CopyStream},
	} {
		got, err := c.PlanCopy(tc.src, tc.dst)
		if err != nil || got != tc.want {
			t.Errorf("PlanCopy(%s, %s) = %v, %v; want %v", tc.src, tc.dst, got, err, tc.want)
		}
	}
	if _, err := c.PlanCopy("Bad Ref", "x"); err == nil {
		t.Error("PlanCopy of an invalid reference succeeded")
	}
}
