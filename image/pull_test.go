package image

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/polyarch/polyarch/platform"
	"github.com/polyarch/polyarch/store"
)

// taggedPlatforms returns the platforms the store tag holds, in order.
func taggedPlatforms(t *testing.T, st *store.Store, tag string) []string {
	t.Helper()
	desc, err := st.Resolve(tag)
	if err != nil {
		t.Fatal(err)
	}
	if !desc.MediaType.IsIndex() {
		return []string{platform.Format(fromV1(desc.Platform))}
	}
	idx, err := st.Index(desc.Digest)
	if err != nil {
		t.Fatal(err)
	}
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

func TestPullIndexKeepsPlatforms(t *testing.T) {
	ctx := context.Background()
	reg := newRegistry(t, nil)
	amd64, arm64, armv7 := platformImage(t, "linux/amd64"), platformImage(t, "linux/arm64"), platformImage(t, "linux/arm/v7")
	pushIndex(t, reg.host+"/library/busybox:latest", makeIndex(
		entry{img: amd64, platform: plat("amd64", "")},
		entry{img: arm64, platform: plat("arm64", "v8")},
		entry{img: armv7, platform: plat("arm", "v7")},
		attestation(t),
	))
	st := openStore(t)
	c := newTestClient(t)
	ref := reg.host + "/library/busybox" // tag defaults to latest
	tag := reg.host + "/library/busybox:latest"

	for _, step := range []struct {
		want     string
		img      v1.Image
		platform string
		tagged   []string
	}{
		{"linux/arm64", arm64, "linux/arm64", []string{"linux/arm64"}},
		{"linux/amd64", amd64, "linux/amd64", []string{"linux/arm64", "linux/amd64"}},
		{"arm64/v8", arm64, "linux/arm64", []string{"linux/arm64", "linux/amd64"}}, // re-pull: replaced in place
		{"linux/arm", armv7, "linux/arm/v7", []string{"linux/arm64", "linux/amd64", "linux/arm/v7"}},
	} {
		p, err := c.Pull(ctx, ref, ptr(platform.MustParse(step.want)), st)
		if err != nil {
			t.Fatalf("pull %s: %v", step.want, err)
		}
		if p.Ref != tag || p.Digest != digestOf(t, step.img) || platform.Format(p.Platform) != step.platform {
			t.Errorf("pull %s: got %s %s %s", step.want, p.Ref, p.Digest, platform.Format(p.Platform))
		}
		if d := digestOf(t, p.Image); d != p.Digest {
			t.Errorf("pull %s: Image digest %s, want %s", step.want, d, p.Digest)
		}
		if got := taggedPlatforms(t, st, tag); strings.Join(got, " ") != strings.Join(step.tagged, " ") {
			t.Errorf("after pulling %s the tag holds %v, want %v", step.want, got, step.tagged)
		}
	}

	// Every pulled platform is found locally, by tag or by digest.
	for _, want := range []string{"linux/amd64", "linux/arm64", "linux/arm/v7"} {
		p, err := c.LocalImage(st, "127.0.0.1:"+strings.Split(reg.host, ":")[1]+"/library/busybox", ptr(platform.MustParse(want)))
		if err != nil || platform.Format(p.Platform) != want {
			t.Errorf("LocalImage %s: %v %v", want, p.Platform, err)
		}
		byDigest := reg.host + "/library/busybox@" + p.Digest.String()
		if q, err := c.LocalImage(st, byDigest, nil); err != nil || q.Digest != p.Digest {
			t.Errorf("LocalImage %s: %v", byDigest, err)
		}
	}
	_, err := c.LocalImage(st, ref, ptr(platform.MustParse("linux/s390x")))
	if !errors.Is(err, store.ErrNotFound) || !errors.Is(err, ErrPlatformNotFound) {
		t.Errorf("LocalImage s390x: %v, want ErrNotFound and ErrPlatformNotFound", err)
	}
	if _, err := c.LocalImage(st, reg.host+"/other:1", nil); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("LocalImage of an unpulled image: %v, want ErrNotFound", err)
	}
}

func TestPullMissingPlatform(t *testing.T) {
	reg := newRegistry(t, nil)
	pushIndex(t, reg.host+"/x:1", makeIndex(
		entry{img: platformImage(t, "linux/amd64"), platform: plat("amd64", "")},
		entry{img: platformImage(t, "linux/arm64"), platform: plat("arm64", "")},
		attestation(t),
	))
	c := newTestClient(t)
	_, err := c.Pull(context.Background(), reg.host+"/x:1", ptr(platform.MustParse("linux/s390x")), openStore(t))
	want := "image " + reg.host + "/x:1 has no linux/s390x; it has linux/amd64, linux/arm64"
	if err == nil || !strings.Contains(err.Error(), want) || !errors.Is(err, ErrPlatformNotFound) {
		t.Fatalf("err = %v, want %q", err, want)
	}
}

func TestPullSingleArch(t *testing.T) {
	ctx := context.Background()
	reg := newRegistry(t, nil)
	i386 := platformImage(t, "linux/386")
	ref := reg.host + "/arm64v8/app:1"
	pushImage(t, ref, i386) // the 2018 mistake: an "arm64" image built FROM i386
	st := openStore(t)
	c := newTestClient(t)

	_, err := c.Pull(ctx, ref, ptr(platform.MustParse("linux/arm64")), st)
	want := "image " + ref + " is linux/386, not the requested linux/arm64"
	if err == nil || !strings.Contains(err.Error(), want) || !errors.Is(err, ErrPlatformNotFound) {
		t.Fatalf("err = %v, want %q", err, want)
	}
	if _, err := st.Resolve(ref); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a refused image was tagged: %v", err)
	}

	// No platform requested: the image's own platform is used.
	p, err := c.Pull(ctx, ref, nil, st)
	if err != nil {
		t.Fatal(err)
	}
	if platform.Format(p.Platform) != "linux/386" || p.Digest != digestOf(t, i386) {
		t.Errorf("got %s %s", platform.Format(p.Platform), p.Digest)
	}
	desc, err := st.Resolve(ref)
	if err != nil || !desc.MediaType.IsImage() || desc.Platform == nil || desc.Platform.Architecture != "386" {
		t.Errorf("tag = %+v, %v; want the manifest with platform linux/386", desc, err)
	}
	if _, err := c.LocalImage(st, ref, nil); err != nil {
		t.Error(err)
	}
	if _, err := c.LocalImage(st, ref, ptr(platform.MustParse("linux/386"))); err != nil {
		t.Error(err)
	}
	_, err = c.LocalImage(st, ref, ptr(platform.MustParse("linux/arm64")))
	if !errors.Is(err, store.ErrNotFound) || !errors.Is(err, ErrPlatformNotFound) {
		t.Errorf("LocalImage arm64: %v", err)
	}
}

func TestPullMislabelledIndexEntry(t *testing.T) {
	reg := newRegistry(t, nil)
	pushIndex(t, reg.host+"/x:1", makeIndex(
		entry{img: platformImage(t, "linux/386"), platform: plat("arm64", "")},
	))
	c := newTestClient(t)
	_, err := c.Pull(context.Background(), reg.host+"/x:1", ptr(platform.MustParse("linux/arm64")), openStore(t))
	if err == nil || !strings.Contains(err.Error(), "lists linux/arm64, but that entry's config says linux/386") {
		t.Fatalf("err = %v", err)
	}
}

// progressLog collects events from concurrent goroutines.
type progressLog struct {
	mu     sync.Mutex
	events []Event
}

func (l *progressLog) add(ev Event) {
	l.mu.Lock()
	l.events = append(l.events, ev)
	l.mu.Unlock()
}

// kinds counts events per kind and layer.
func (l *progressLog) kinds() map[EventKind]map[v1.Hash]bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := map[EventKind]map[v1.Hash]bool{}
	for _, ev := range l.events {
		if out[ev.Kind] == nil {
			out[ev.Kind] = map[v1.Hash]bool{}
		}
		out[ev.Kind][ev.Layer] = true
	}
	return out
}

func TestRePullDownloadsNothing(t *testing.T) {
	ctx := context.Background()
	reg := newRegistry(t, nil)
	arm64 := platformImage(t, "linux/arm64")
	pushIndex(t, reg.host+"/x:1", makeIndex(
		entry{img: platformImage(t, "linux/amd64"), platform: plat("amd64", "")},
		entry{img: arm64, platform: plat("arm64", "")},
	))
	single := platformImage(t, "linux/arm64")
	pushImage(t, reg.host+"/single:1", single)
	st := openStore(t)
	want := ptr(platform.MustParse("linux/arm64"))

	for _, ref := range []string{reg.host + "/x:1", reg.host + "/single:1"} {
		var first, second progressLog
		reg.resetHits()
		if _, err := newTestClient(t, WithProgress(first.add)).Pull(ctx, ref, want, st); err != nil {
			t.Fatal(err)
		}
		if n := reg.hitCount("GET blobs"); n != 3 { // config and 2 layers
			t.Errorf("%s: first pull made %d blob GETs, want 3", ref, n)
		}
		k := first.kinds()
		if len(k[LayerDownloading]) != 2 || len(k[LayerDone]) != 2 || len(k[LayerCached]) != 0 {
			t.Errorf("%s: first pull events %v", ref, k)
		}

		reg.resetHits()
		if _, err := newTestClient(t, WithProgress(second.add)).Pull(ctx, ref, want, st); err != nil {
			t.Fatal(err)
		}
		if n := reg.hitCount("GET blobs"); n != 0 {
			t.Errorf("%s: re-pull made %d blob GETs, want 0", ref, n)
		}
		k = second.kinds()
		if len(k[LayerCached]) != 2 || len(k[LayerDownloading]) != 0 {
			t.Errorf("%s: re-pull events %v", ref, k)
		}
	}
}

func TestResolve(t *testing.T) {
	reg := newRegistry(t, nil)
	arm64 := platformImage(t, "linux/arm64")
	pushIndex(t, reg.host+"/x:1", makeIndex(
		entry{img: platformImage(t, "linux/amd64"), platform: plat("amd64", "")},
		entry{img: arm64, platform: plat("arm64", "v8")},
	))
	pushImage(t, reg.host+"/single:1", arm64)
	c := newTestClient(t)
	for _, ref := range []string{reg.host + "/x:1", reg.host + "/single:1", reg.host + "/single@" + digestOf(t, arm64).String()} {
		d, err := c.Resolve(context.Background(), ref, ptr(platform.MustParse("linux/arm64")))
		if err != nil {
			t.Fatalf("%s: %v", ref, err)
		}
		if d.Digest != digestOf(t, arm64) || d.Platform == nil || platform.Format(fromV1(d.Platform)) != "linux/arm64" || d.Size == 0 {
			t.Errorf("%s: %+v", ref, d)
		}
	}
	if _, err := c.Resolve(context.Background(), reg.host+"/missing:1", nil); err == nil || !strings.Contains(err.Error(), "check the repository name and tag") {
		t.Errorf("missing image: %v", err)
	}
}

// failing wraps a handler: the first n blob GETs get status code instead.
func failing(n int, code int) func(http.Handler) http.Handler {
	var mu sync.Mutex
	return func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			fail := r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/blobs/") && n > 0
			if fail {
				n--
			}
			mu.Unlock()
			if fail {
				http.Error(w, "try later", code)
				return
			}
			h.ServeHTTP(w, r)
		})
	}
}

// cutting wraps a handler: the first n GETs of blobs whose path contains
// match send 300 bytes of the body, then the connection is dropped.
func cutting(n int, match string) func(http.Handler) http.Handler {
	var mu sync.Mutex
	return func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			cut := r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/blobs/") &&
				strings.Contains(r.URL.Path, match) && n > 0
			if cut {
				n--
			}
			mu.Unlock()
			if cut {
				w = &cutWriter{ResponseWriter: w, left: 300}
			}
			h.ServeHTTP(w, r)
		})
	}
}

type cutWriter struct {
	http.ResponseWriter
	left int
}

func (w *cutWriter) Write(p []byte) (int, error) {
	if len(p) > w.left {
		w.ResponseWriter.Write(p[:w.left])
		w.ResponseWriter.(http.Flusher).Flush()
		panic(http.ErrAbortHandler) // drop the connection mid-body
	}
	w.left -= len(p)
	return w.ResponseWriter.Write(p)
}

func TestPullRetries(t *testing.T) {
	img := platformImage(t, "linux/arm64")
	m, err := img.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	layer, config := m.Layers[1].Digest.Hex, m.Config.Digest.Hex
	tests := []struct {
		name    string
		wrap    func(http.Handler) http.Handler
		backoff int // attempts
		err     string
	}{
		{name: "503 then success", wrap: failing(2, http.StatusServiceUnavailable), backoff: 4},
		{name: "429 then success", wrap: failing(2, http.StatusTooManyRequests), backoff: 4},
		{name: "connection cut mid-layer then resumed", wrap: cutting(2, layer), backoff: 4},
		{name: "connection cut mid-config then resumed", wrap: cutting(2, config), backoff: 4},
		{name: "connection cut more often than the retries", wrap: cutting(3, layer), backoff: 3, err: "unexpected EOF"},
		{name: "503 more often than the retries", wrap: failing(100, http.StatusServiceUnavailable), backoff: 2, err: "503"},
		{name: "404 is not retried", wrap: failing(1, http.StatusNotFound), backoff: 4, err: "404"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			flaky := newRegistry(t, tt.wrap)
			pushImage(t, flaky.host+"/x:1", img) // pushing does no blob GETs
			b := fastBackoff()
			b.Steps = tt.backoff
			c := newTestClient(t, WithRetryBackoff(b))
			p, err := c.Pull(context.Background(), flaky.host+"/x:1", nil, openStore(t))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want it to mention %s", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.Digest != digestOf(t, img) {
				t.Errorf("digest %s", p.Digest)
			}
		})
	}
}

func TestParallelPullsOfOneReference(t *testing.T) {
	ctx := context.Background()
	reg := newRegistry(t, nil)
	plats := []string{"linux/amd64", "linux/arm64", "linux/arm/v7", "linux/ppc64le", "linux/s390x"}
	var entries []entry
	for _, p := range plats {
		pp := toV1(platform.MustParse(p))
		entries = append(entries, entry{img: platformImage(t, p), platform: pp})
	}
	pushIndex(t, reg.host+"/x:1", makeIndex(entries...))
	st := openStore(t)
	c := newTestClient(t)
	var wg sync.WaitGroup
	for _, p := range plats {
		wg.Go(func() {
			if _, err := c.Pull(ctx, reg.host+"/x:1", ptr(platform.MustParse(p)), st); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if got := taggedPlatforms(t, st, reg.host+"/x:1"); len(got) != len(plats) {
		t.Errorf("tag holds %v, want all of %v", got, plats)
	}
}
