package e2e

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
)

// TestScaleOutEqualsSingleBuild simulates CI fan-out on one machine: one
// polyarch process per platform, each with its own store, pushing by digest
// and sharing the registry cache, then one manifest create. With
// SOURCE_DATE_EPOCH the result must equal a single multi-platform build:
// the same platform manifests with the same layer digests.
func TestScaleOutEqualsSingleBuild(t *testing.T) {
	reg := registry(t)
	ctx := writeContext(t, map[string]string{
		"Dockerfile": "ARG REG\nFROM $REG/library/busybox\nCOPY app.sh /app.sh\nRUN chmod +x /app.sh && uname -m > /arch\nCMD [\"/app.sh\"]\n",
		"app.sh":     "#!/bin/sh\ncat /arch\n",
	})
	plats := []string{"linux/amd64", "linux/arm64", "linux/arm/v7"}
	common := []string{"--progress", "plain", "--build-arg", "REG=" + reg, "--build-arg", "SOURCE_DATE_EPOCH=1700000000"}
	repo := reg + "/e2e/fanout"

	digests := make([]string, len(plats))
	var wg sync.WaitGroup
	for i, p := range plats {
		wg.Add(1)
		go func() {
			defer wg.Done()
			meta := filepath.Join(t.TempDir(), "meta.json")
			args := append([]string{storeFlag(t), "build", "--platform", p, "--push-by-digest", "-t", repo, "--metadata-file", meta,
				"--cache-from", "type=registry,ref=" + repo + ":cache", "--cache-to", "type=registry,ref=" + repo + ":cache,mode=max"}, common...)
			polyarch(t, runOpts{}, append(args, ctx)...).mustOK(t)
			var md map[string]any
			b, _ := os.ReadFile(meta)
			json.Unmarshal(b, &md)
			digests[i], _ = md["containerimage.digest"].(string)
		}()
	}
	wg.Wait()
	srcs := []string{}
	for _, d := range digests {
		if !strings.HasPrefix(d, "sha256:") {
			t.Fatalf("missing digest in metadata: %v", digests)
		}
		srcs = append(srcs, repo+"@"+d)
	}
	polyarch(t, runOpts{}, append([]string{"manifest", "create", "-t", repo + ":merged"}, srcs...)...).mustOK(t)

	args := append([]string{storeFlag(t), "build", "--platform", strings.Join(plats, ","), "-t", repo + ":single", "--push"}, common...)
	polyarch(t, runOpts{}, append(args, ctx)...).mustOK(t)

	merged, single := layersByPlatform(t, repo+":merged"), layersByPlatform(t, repo+":single")
	if len(merged) != len(plats) || !equalMaps(merged, single) {
		t.Fatalf("fan-out and single build differ:\nmerged %v\nsingle %v", merged, single)
	}
	t.Logf("index of the fan-out path:\n%s", rawManifest(t, repo+":merged"))
	t.Logf("index of the single build:\n%s", rawManifest(t, repo+":single"))
}

func rawManifest(t *testing.T, ref string) string {
	out, err := exec.Command("skopeo", "inspect", "--raw", "--tls-verify=false", "docker://"+ref).Output()
	if err != nil {
		t.Fatalf("skopeo inspect %s: %v", ref, err)
	}
	return string(out)
}

// layersByPlatform maps each platform of an index to its manifest's layer
// digests.
func layersByPlatform(t *testing.T, ref string) map[string]string {
	var idx struct {
		Manifests []struct {
			Digest   string
			Platform struct{ OS, Architecture, Variant string }
		}
	}
	if err := json.Unmarshal([]byte(rawManifest(t, ref)), &idx); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	repo := ref[:strings.LastIndex(ref, ":")]
	for _, m := range idx.Manifests {
		var man struct{ Layers []struct{ Digest string } }
		json.Unmarshal([]byte(rawManifest(t, repo+"@"+m.Digest)), &man)
		var ds []string
		for _, l := range man.Layers {
			ds = append(ds, l.Digest)
		}
		p := m.Platform.OS + "/" + m.Platform.Architecture + "/" + m.Platform.Variant
		out[p] = strings.Join(ds, ",")
	}
	return out
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	keys := []string{}
	for k := range a {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if a[k] != b[k] {
			return false
		}
	}
	return true
}
