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

// TestConcurrentBuildsShareAStore runs builds of different Dockerfiles and
// platforms at the same time on one store; all succeed and a rebuild is
// fully cached.
func TestConcurrentBuildsShareAStore(t *testing.T) {
	reg := registry(t)
	root := storeFlag(t)
	var ctxs []string
	for i := 0; i < 3; i++ {
		ctxs = append(ctxs, writeContext(t, map[string]string{
			"Dockerfile": "ARG REG\nFROM $REG/library/busybox\nARG N\nRUN echo $N > /n && uname -m > /arch\nCOPY f /f\n",
			"f":          strings.Repeat("x", i+1),
		}))
	}
	var wg sync.WaitGroup
	for i, c := range ctxs {
		for _, p := range []string{"linux/arm64", "linux/s390x"} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				polyarch(t, runOpts{}, root, "build", "--progress", "plain", "--platform", p, "--build-arg", "REG="+reg,
					"--build-arg", "N="+string(rune('a'+i)), "-t", "e2e/conc:"+string(rune('a'+i))+strings.ReplaceAll(p, "/", "-"), c).mustOK(t)
			}()
		}
	}
	wg.Wait()
	r := polyarch(t, runOpts{}, root, "build", "--progress", "plain", "--platform", "linux/s390x", "--build-arg", "REG="+reg, "--build-arg", "N=b", ctxs[1]).mustOK(t)
	if strings.Contains(r.stderr, "DONE") {
		t.Fatalf("rebuild after concurrent builds was not cached:\n%s", r.stderr)
	}
}

// TestCacheMountsArePerPlatform: a RUN --mount=type=cache dir of arm64 is
// not the one s390x sees (moby/buildkit#2598), and it persists across
// builds of the same platform.
func TestCacheMountsArePerPlatform(t *testing.T) {
	reg := registry(t)
	root := storeFlag(t)
	df := "ARG REG\nFROM $REG/library/busybox\nARG RUNID\nRUN --mount=type=cache,target=/cache echo \"$RUNID $(uname -m)\" >> /cache/log && cat /cache/log > /seen\n"
	ctx := writeContext(t, map[string]string{"Dockerfile": df})
	for _, id := range []string{"1", "2"} {
		polyarch(t, runOpts{}, root, "build", "--platform", "linux/arm64,linux/s390x", "--build-arg", "REG="+reg,
			"--build-arg", "RUNID="+id, "-t", "e2e/cm:1", ctx).mustOK(t)
	}
	for plat, uname := range map[string]string{"linux/arm64": "aarch64", "linux/s390x": "s390x"} {
		r := polyarch(t, runOpts{}, root, "run", "--platform", plat, "e2e/cm:1", "cat", "/seen").mustOK(t)
		if r.stdout != "1 "+uname+"\n2 "+uname+"\n" {
			t.Errorf("%s saw %q", plat, r.stdout)
		}
	}
}
