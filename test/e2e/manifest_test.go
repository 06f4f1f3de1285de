package e2e

import (
	"encoding/json"
	"io"
	"log"
	"net/http/httptest"
	"strings"
	"testing"

	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
)

const archDockerfile = "ARG REG\nFROM $REG/library/busybox\nRUN uname -m > /arch\n"

// lastLine is the last non-empty line of s.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

// inspectedIndex is what `manifest inspect --json` prints for an index.
type inspectedIndex struct {
	Digest, MediaType string
	Manifest          struct {
		MediaType string
		Manifests []struct {
			Digest   string
			Platform struct{ OS, Architecture, Variant string }
		}
	}
}

func inspectIndex(t *testing.T, root, ref string) inspectedIndex {
	t.Helper()
	r := polyarch(t, runOpts{}, root, "manifest", "inspect", "--json", ref).mustOK(t)
	var got inspectedIndex
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatalf("manifest inspect --json %s: %v\n%s", ref, err, r.stdout)
	}
	return got
}

// entries lists an index's entries as "os/arch@digest".
func (i inspectedIndex) entries() []string {
	var out []string
	for _, m := range i.Manifest.Manifests {
		out = append(out, m.Platform.OS+"/"+m.Platform.Architecture+"@"+m.Digest)
	}
	return out
}

// TestManifestCreateFromPerPlatformBuilds is the CI split: each "runner"
// builds and pushes one platform, then one `manifest create` merges the
// pushes into an index: within a repository, across repositories (blobs
// mounted) and to another registry (blobs streamed). Every result runs
// each platform from a fresh store.
func TestManifestCreateFromPerPlatformBuilds(t *testing.T) {
	reg := registry(t)
	root := storeFlag(t)
	ctx := writeContext(t, map[string]string{"Dockerfile": archDockerfile})
	want := map[string]string{"linux/arm64": "aarch64", "linux/s390x": "s390x"}
	digest := map[string]string{}
	for plat, repo := range map[string]string{"linux/arm64": "e2e/a", "linux/s390x": "e2e/b"} {
		arch := strings.TrimPrefix(plat, "linux/")
		r := polyarch(t, runOpts{}, root, "build", "--platform", plat, "--build-arg", "REG="+reg,
			"-t", reg+"/e2e/m:"+arch, "-t", reg+"/"+repo+":"+arch, "--push", ctx).mustOK(t)
		digest[plat] = lastLine(r.stdout)
		if !strings.HasPrefix(digest[plat], "sha256:") {
			t.Fatalf("build printed %q, want a digest last", r.stdout)
		}
	}
	wantEntries := []string{"linux/arm64@" + digest["linux/arm64"], "linux/s390x@" + digest["linux/s390x"]}

	check := func(t *testing.T, ref, printed string) {
		t.Helper()
		got := inspectIndex(t, root, ref)
		if got.Digest != printed || got.MediaType != "application/vnd.oci.image.index.v1+json" {
			t.Errorf("%s: inspect says %s %s; create printed %s", ref, got.MediaType, got.Digest, printed)
		}
		if strings.Join(got.entries(), " ") != strings.Join(wantEntries, " ") {
			t.Errorf("%s: entries %v, want %v", ref, got.entries(), wantEntries)
		}
		fresh := storeFlag(t)
		for plat, uname := range want {
			r := polyarch(t, runOpts{}, fresh, "run", "--platform", plat, ref, "cat", "/arch").mustOK(t)
			if strings.TrimSpace(r.stdout) != uname {
				t.Errorf("%s %s: /arch = %q, want %s", ref, plat, r.stdout, uname)
			}
		}
	}

	t.Run("same repository by tag", func(t *testing.T) {
		r := polyarch(t, runOpts{}, root, "manifest", "create", "-t", reg+"/e2e/m:multi", reg+"/e2e/m:arm64", reg+"/e2e/m:s390x").mustOK(t)
		check(t, reg+"/e2e/m:multi", lastLine(r.stdout))
		text := polyarch(t, runOpts{}, root, "manifest", "inspect", reg+"/e2e/m:multi").mustOK(t).stdout
		for _, w := range []string{"PLATFORM", "linux/s390x", digest["linux/s390x"], "application/vnd.oci.image.manifest.v1+json"} {
			if !strings.Contains(text, w) {
				t.Errorf("manifest inspect lacks %q:\n%s", w, text)
			}
		}
	})

	t.Run("across repositories by digest", func(t *testing.T) {
		r := polyarch(t, runOpts{}, root, "manifest", "create", "-t", reg+"/e2e/c:multi",
			reg+"/e2e/a@"+digest["linux/arm64"], reg+"/e2e/b@"+digest["linux/s390x"]).mustOK(t)
		if !strings.Contains(r.stderr, "mounted") {
			t.Errorf("stderr does not mention mounting:\n%s", r.stderr)
		}
		check(t, reg+"/e2e/c:multi", lastLine(r.stdout))
	})

	t.Run("to another registry", func(t *testing.T) {
		srv := httptest.NewServer(ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0))))
		t.Cleanup(srv.Close)
		other := strings.TrimPrefix(srv.URL, "http://")
		r := polyarch(t, runOpts{}, root, "manifest", "create", "-t", other+"/e2e/far:multi",
			reg+"/e2e/a:arm64", reg+"/e2e/b:s390x").mustOK(t)
		if !strings.Contains(r.stderr, "streamed") {
			t.Errorf("stderr does not mention streaming:\n%s", r.stderr)
		}
		check(t, other+"/e2e/far:multi", lastLine(r.stdout))
	})

	t.Run("dedupe dry-run append", func(t *testing.T) {
		polyarch(t, runOpts{}, root, "manifest", "create", "-t", reg+"/e2e/m:dup", reg+"/e2e/m:multi", reg+"/e2e/a:arm64").mustOK(t) // same image: kept once
		polyarch(t, runOpts{}, root, "manifest", "create", "--dry-run", reg+"/e2e/m:arm64", reg+"/e2e/m:s390x", reg+"/e2e/m:arm64").mustOK(t)
		polyarch(t, runOpts{}, root, "manifest", "create", "-t", reg+"/e2e/m:nope", reg+"/e2e/m:arm64", reg+"/e2e/m:missing").
			mustFail(t, "source "+reg+"/e2e/m:missing")
		r := polyarch(t, runOpts{}, root, "manifest", "create", "--dry-run", reg+"/e2e/m:arm64", reg+"/e2e/m:s390x").mustOK(t)
		if !strings.Contains(r.stdout, `"architecture": "s390x"`) {
			t.Errorf("dry run printed:\n%s", r.stdout)
		}
		polyarch(t, runOpts{}, root, "manifest", "create", "-t", reg+"/e2e/m:grow", reg+"/e2e/m:arm64").mustOK(t)
		r = polyarch(t, runOpts{}, root, "manifest", "create", "--append", "-t", reg+"/e2e/m:grow", reg+"/e2e/m:s390x").mustOK(t)
		check(t, reg+"/e2e/m:grow", lastLine(r.stdout))
	})
}
