package bake

import (
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/polyarch/polyarch/platform"
)

// TestDiscoverLegacyLayouts: without a project file every image directory
// is one target, whatever its layout.
func TestDiscoverLegacyLayouts(t *testing.T) {
	from := "FROM scratch\nCOPY x /x\n"
	dir := writeTree(t, map[string]string{
		// per-arch folders (Docker Hub era), each its own context, with hooks
		"nginx/Dockerfile":                 from,
		"nginx/arm64v8/Dockerfile":         from,
		"nginx/arm64v8/hooks/pre_build":    "#!/bin/sh\n",
		"nginx/arm32v7/Dockerfile":         from,
		"nginx/i386/Dockerfile":            from,
		"nginx/i386/Dockerfile.notes":      "not an arch",
		"nginx/docs/README":                "",
		"nginx/docs/Dockerfile.in":         from, // a template alone is no image
		"tools/Dockerfile.aarch64":         from,
		"tools/Dockerfile-armhf":           from,
		"tools/Dockerfile_x86_64":          from,
		"tools/ppc64el.Dockerfile":         from,
		"tools/Dockerfile.dev":             from, // not an arch: ignored
		"plain/sub/dir/Dockerfile":         from,
		".git/Dockerfile":                  from,
		"node_modules/x/Dockerfile":        from,
		"Dockerfile":                       from,
		"rootarch/Dockerfile.s390x":        from,
		"rootarch/riscv64/Dockerfile":      from,
		"rootarch/riscv64/deep/Dockerfile": from, // inside an arch folder: part of it
	})
	p := load(t, dir, nil)
	if !p.Discovered {
		t.Fatal("not discovered")
	}
	got := slices.Sorted(maps.Keys(p.Targets))
	want := []string{filepath.Base(dir), "nginx", "plain-sub-dir", "rootarch", "tools"}
	if !slices.Equal(got, want) {
		t.Fatalf("targets %v, want %v", got, want)
	}
	rs := resolveAll(t, p)
	host := platform.Format(platform.Host())
	for name, c := range map[string]struct {
		plats    []string
		contexts []string
	}{
		"nginx":         {[]string{"linux/amd64", "linux/arm64", "linux/arm/v7", "linux/386"}, []string{"nginx", "nginx/arm64v8", "nginx/arm32v7", "nginx/i386"}},
		"tools":         {[]string{"linux/amd64", "linux/arm64", "linux/arm/v7", "linux/ppc64le"}, []string{"tools", "tools", "tools", "tools"}},
		"rootarch":      {[]string{"linux/s390x", "linux/riscv64"}, []string{"rootarch", "rootarch/riscv64"}},
		"plain-sub-dir": {[]string{host}, []string{"plain/sub/dir"}},
	} {
		r := byName(t, rs, name)
		if !slices.Equal(platformsOf(r), c.plats) {
			t.Errorf("%s: platforms %v, want %v", name, platformsOf(r), c.plats)
			continue
		}
		for i, b := range r.Builds {
			if b.Context != filepath.Join(dir, c.contexts[i]) {
				t.Errorf("%s %s: context %s, want %s", name, b.Platform, b.Context, c.contexts[i])
			}
		}
	}
	tools := byName(t, rs, "tools")
	if b := tools.Builds[1]; b.Dockerfile != filepath.Join(dir, "tools/Dockerfile.aarch64") {
		t.Errorf("tools arm64 Dockerfile %s", b.Dockerfile)
	}
	if b := tools.Builds[0]; b.Dockerfile != filepath.Join(dir, "tools/Dockerfile_x86_64") {
		t.Errorf("tools amd64 Dockerfile %s", b.Dockerfile)
	}
}

// TestArchSpellings: every name per-arch repositories use for an
// architecture, as Dockerfile.<arch> and as <arch>/Dockerfile.
func TestArchSpellings(t *testing.T) {
	spellings := map[string][]string{
		"linux/amd64":    {"amd64", "x86_64", "x86-64"},
		"linux/arm64":    {"arm64", "arm64v8", "aarch64"},
		"linux/arm/v7":   {"arm", "armhf", "arm32v7", "armv7l", "armv7", "armv7hl"},
		"linux/arm/v6":   {"arm32v6", "armv6l", "armv6"},
		"linux/arm/v5":   {"armel", "arm32v5", "armv5tel"},
		"linux/386":      {"386", "i386", "i686", "x86"},
		"linux/ppc64le":  {"ppc64le", "ppc64el"},
		"linux/s390x":    {"s390x"},
		"linux/riscv64":  {"riscv64"},
		"linux/mips64le": {"mips64le", "mips64el"},
		"linux/loong64":  {"loong64", "loongarch64"},
	}
	for want, names := range spellings {
		for _, n := range names {
			for _, layout := range []string{"Dockerfile." + n, n + "/Dockerfile"} {
				dir := writeTree(t, map[string]string{layout: "FROM scratch\n"})
				l, err := scanDir(dir)
				if err != nil {
					t.Fatal(err)
				}
				if got := slices.Collect(maps.Keys(l.perArch)); !slices.Equal(got, []string{want}) {
					t.Errorf("%s: platforms %v, want %s", layout, got, want)
				}
			}
		}
	}
	for _, notArch := range []string{"in", "dev", "template", "linux", "prod", "j2", "arm64.bak"} {
		if _, ok := dockerfileSuffixArch("Dockerfile." + notArch); ok {
			t.Errorf("Dockerfile.%s read as an arch", notArch)
		}
	}
}

func dockerfileSuffixArch(name string) (platform.Platform, bool) {
	s, ok := dockerfileSuffix(name)
	if !ok {
		return platform.Platform{}, false
	}
	return archOf(s)
}

func TestDiscoverErrors(t *testing.T) {
	dir := writeTree(t, map[string]string{"img/Dockerfile.aarch64": "FROM scratch\n", "img/arm64v8/Dockerfile": "FROM scratch\n"})
	if _, err := Load(dir, nil, env(nil)); err == nil || !strings.Contains(err.Error(), "are both Dockerfiles for linux/arm64") {
		t.Errorf("two files for one platform: %v", err)
	}
	if _, err := Load(t.TempDir(), nil, env(nil)); err == nil || !strings.Contains(err.Error(), "no Dockerfile under") {
		t.Errorf("empty tree: %v", err)
	}
	dir = writeTree(t, map[string]string{"a-b/Dockerfile": "FROM scratch\n", "a/b/Dockerfile": "FROM scratch\n"})
	if _, err := Load(dir, nil, env(nil)); err == nil || !strings.Contains(err.Error(), `would both be target "a-b"`) {
		t.Errorf("name clash: %v", err)
	}
}

// TestPerPlatformOverrides: a project target's per-arch files are detected
// unless the target names its Dockerfiles; dockerfile-per-platform wins for
// its platforms and the dockerfile builds the rest.
func TestPerPlatformOverrides(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"polyarch.yaml": `targets:
  detected: {context: d}
  explicit:
    context: e
    dockerfile: Dockerfile.main
    dockerfile-per-platform:
      arm64v8: legacy/arm64.Dockerfile
      linux/arm/v7: {context: armhf}
    platforms: [amd64, aarch64, armhf, s390x]
  only-per:
    context: e
    dockerfile-per-platform: {aarch64: legacy/arm64.Dockerfile}
`,
		"d/Dockerfile.arm64v8":        "FROM scratch\n",
		"d/Dockerfile":                "FROM scratch\n",
		"e/Dockerfile.main":           "FROM scratch\n",
		"e/Dockerfile.s390x":          "FROM scratch\nLABEL ignored=1\n",
		"e/legacy/arm64.Dockerfile":   "FROM scratch\n",
		"e/armhf/Dockerfile":          "FROM scratch\n",
		"e/armhf/hooks/post_checkout": "",
	})
	rs := resolveAll(t, load(t, dir, nil), "detected", "explicit", "only-per")
	host := platform.Format(platform.Host())
	check := func(r *Resolved, want map[string][2]string) {
		t.Helper()
		for _, b := range r.Builds {
			w := want[b.Platform]
			if b.Dockerfile != filepath.Join(dir, w[0]) || b.Context != filepath.Join(dir, w[1]) {
				t.Errorf("%s %s: %s in %s, want %s in %s", r.Name, b.Platform, b.Dockerfile, b.Context, w[0], w[1])
			}
		}
		if len(r.Builds) != len(want) {
			t.Errorf("%s: %v, want %d platforms", r.Name, platformsOf(r), len(want))
		}
	}
	check(byName(t, rs, "detected"), map[string][2]string{"linux/arm64": {"d/Dockerfile.arm64v8", "d"}, host: {"d/Dockerfile", "d"}})
	check(byName(t, rs, "explicit"), map[string][2]string{
		"linux/amd64": {"e/Dockerfile.main", "e"}, "linux/arm64": {"e/legacy/arm64.Dockerfile", "e"},
		"linux/arm/v7": {"e/armhf/Dockerfile", "e/armhf"}, "linux/s390x": {"e/Dockerfile.main", "e"}})
	if got := platformsOf(byName(t, rs, "explicit")); fmt.Sprint(got) != "[linux/amd64 linux/arm64 linux/arm/v7 linux/s390x]" {
		t.Errorf("explicit keeps the given order: %v", got)
	}
	check(byName(t, rs, "only-per"), map[string][2]string{"linux/arm64": {"e/legacy/arm64.Dockerfile", "e"}})
}
