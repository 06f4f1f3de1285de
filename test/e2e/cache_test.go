package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

const cacheDockerfile = `ARG REG
FROM $REG/library/busybox AS deps
RUN echo deps > /deps && sleep 0
FROM $REG/library/busybox
COPY --from=deps /deps /deps
COPY app.txt /app.txt
RUN uname -m > /arch
`

// TestRegistryCacheAcrossRunners: a second runner with an empty store
// rebuilds nothing that is in the registry cache; two runners writing the
// cache for different platforms at once lose neither's entries.
func TestRegistryCacheAcrossRunners(t *testing.T) {
	reg := registry(t)
	ctx := writeContext(t, map[string]string{"Dockerfile": cacheDockerfile, "app.txt": "app\n"})
	cacheRef := reg + "/e2e/cache:buildcache"
	runner := func(plat string, extra ...string) result {
		args := append([]string{storeFlag(t), "build", "--progress", "plain", "--platform", plat, "--build-arg", "REG=" + reg}, extra...)
		return polyarch(t, runOpts{}, append(args, ctx)...)
	}
	var wg sync.WaitGroup
	for _, p := range []string{"linux/arm64", "linux/s390x"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runner(p, "--cache-to", "type=registry,ref="+cacheRef+",mode=max").mustOK(t)
		}()
	}
	wg.Wait()
	for _, p := range []string{"linux/arm64", "linux/s390x"} {
		r := runner(p, "--cache-from", "type=registry,ref="+cacheRef).mustOK(t)
		if strings.Contains(r.stderr, "DONE") || strings.Count(r.stderr, "CACHED") != 4 {
			t.Errorf("%s: a warm runner rebuilt steps:\n%s", p, r.stderr)
		}
	}
	// mode=min keeps only the final stage: the deps stage runs again
	minRef := reg + "/e2e/cache:min"
	runner("linux/arm64", "--cache-to", "type=registry,ref="+minRef).mustOK(t)
	r := runner("linux/arm64", "--cache-from", "type=registry,ref="+minRef).mustOK(t)
	if !strings.Contains(r.stderr, "[linux/arm64 deps 1/1] DONE") {
		t.Errorf("mode=min should not export the deps stage:\n%s", r.stderr)
	}
}

func TestLocalCacheDirAndPushByDigest(t *testing.T) {
	reg := registry(t)
	ctx := writeContext(t, map[string]string{"Dockerfile": cacheDockerfile, "app.txt": "app\n"})
	dir := filepath.Join(t.TempDir(), "cache")
	polyarch(t, runOpts{}, storeFlag(t), "build", "--progress", "plain", "--platform", "linux/arm64", "--build-arg", "REG="+reg,
		"--cache-to", "type=local,dest="+dir+",mode=max", ctx).mustOK(t)
	meta := filepath.Join(t.TempDir(), "meta.json")
	r := polyarch(t, runOpts{}, storeFlag(t), "build", "--progress", "plain", "--platform", "linux/arm64", "--build-arg", "REG="+reg,
		"--cache-from", "type=local,src="+dir, "--push-by-digest", "-t", reg+"/e2e/bydigest", "--metadata-file", meta, ctx).mustOK(t)
	if strings.Contains(r.stderr, "DONE") {
		t.Errorf("local cache not used:\n%s", r.stderr)
	}
	var md map[string]any
	b, _ := os.ReadFile(meta)
	if err := json.Unmarshal(b, &md); err != nil {
		t.Fatal(err)
	}
	digest, _ := md["containerimage.digest"].(string)
	if !strings.HasPrefix(digest, "sha256:") {
		t.Fatalf("metadata: %s", b)
	}
	polyarch(t, runOpts{}, storeFlag(t), "run", reg+"/e2e/bydigest@"+digest, "cat", "/arch").mustOK(t)
	polyarch(t, runOpts{}, storeFlag(t), "pull", reg+"/e2e/bydigest:latest").mustFail(t)
}
