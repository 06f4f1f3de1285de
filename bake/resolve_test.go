package bake

import (
	"context"
	"slices"
	"strings"
	"testing"
)

func TestResolveArchTags(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"polyarch.yaml": `targets:
  bb:
    platforms: [amd64, arm64, armhf, i386, ppc64le]
    tags: [r/bb]
    arch-tags: ["r/bb:{arch}", "r/bb:{arch}-{date}"]
  deb: {platforms: [amd64, arm64, armhf, i386, ppc64le], arch-spelling: debian, arch-tags: ["r/deb:{arch}"]}
  oci: {platforms: [amd64, arm64, armhf, i386, ppc64le], arch-spelling: oci, arch-tags: ["r/oci:{arch}"]}
  uname: {platforms: [amd64, arm64, armhf, i386, ppc64le], arch-spelling: uname, arch-tags: ["r/uname:{arch}"]}
  qemu: {platforms: [amd64, arm64, armhf, i386, ppc64le], arch-spelling: qemu, arch-tags: ["r/qemu:{ARCH}"]}
`,
		"Dockerfile": "FROM scratch\n",
	})
	rs := resolveAll(t, load(t, dir, nil))
	tags := func(name string) []string {
		var out []string
		for _, b := range byName(t, rs, name).Builds {
			out = append(out, b.ArchTags...)
		}
		return out
	}
	for name, want := range map[string][]string{
		"bb": {"r/bb:amd64", "r/bb:amd64-20231114", "r/bb:arm64v8", "r/bb:arm64v8-20231114", "r/bb:arm32v7", "r/bb:arm32v7-20231114",
			"r/bb:i386", "r/bb:i386-20231114", "r/bb:ppc64le", "r/bb:ppc64le-20231114"},
		"deb":   {"r/deb:amd64", "r/deb:arm64", "r/deb:armhf", "r/deb:i386", "r/deb:ppc64el"},
		"oci":   {"r/oci:amd64", "r/oci:arm64", "r/oci:armv7", "r/oci:386", "r/oci:ppc64le"},
		"uname": {"r/uname:x86_64", "r/uname:aarch64", "r/uname:armv7l", "r/uname:i686", "r/uname:ppc64le"},
		"qemu":  {"r/qemu:X86_64", "r/qemu:AARCH64", "r/qemu:ARM", "r/qemu:I386", "r/qemu:PPC64LE"},
	} {
		if got := tags(name); !slices.Equal(got, want) {
			t.Errorf("%s: %v\nwant %v", name, got, want)
		}
	}
	if got := platformsOf(byName(t, rs, "bb")); !slices.Equal(got, []string{"linux/amd64", "linux/arm64", "linux/arm/v7", "linux/386", "linux/ppc64le"}) {
		t.Errorf("platforms %v", got)
	}
}

func TestResolveErrors(t *testing.T) {
	for name, c := range map[string]struct{ yaml, want string }{
		"push without tags":   {"targets:\n  a: {push: true}\n", "push needs a name"},
		"unknown depends-on":  {"targets:\n  a: {depends-on: [b]}\n", `depends-on "b": no such target`},
		"bad spelling":        {"targets:\n  a: {arch-spelling: gnu}\n", `arch-spelling "gnu"`},
		"no spelling":         {"targets:\n  a: {platforms: [linux/arm/v6], arch-spelling: debian, arch-tags: [\"r:{arch}\"]}\n", "linux/arm/v6 has no debian name"},
		"bad platform":        {"targets:\n  a: {platforms: [arm46]}\n", "arm46"},
		"bad tag":             {"targets:\n  a: {tags: [\"UPPER/x\"]}\n", "tags:"},
		"missing context":     {"targets:\n  a: {context: nope}\n", "nope is not a directory"},
		"no dockerfile":       {"targets:\n  a: {context: empty}\n", "no Dockerfile in"},
		"no file for a plat":  {"targets:\n  a: {context: perarch, platforms: [arm64, s390x]}\n", "no Dockerfile for linux/s390x"},
		"bad per-platform":    {"targets:\n  a: {dockerfile-per-platform: {arm99: x}}\n", "dockerfile-per-platform"},
		"contradicting base":  {"targets:\n  a: {context: legacy}\n", "FROM i386/alpine is a linux/386 image, but this stage builds for linux/arm64"},
		"dockerfile error":    {"targets:\n  a: {dockerfile: Dockerfile.bad}\n", "Dockerfile.bad"},
		"missing target":      {"targets:\n  a: {target: nope}\n", "nope"},
		"bad preprocess cmd":  {"targets:\n  a: {preprocess: {template: Dockerfile, command: [/nonexistent/cpp]}}\n", "/nonexistent/cpp"},
		"SOURCE_DATE_EPOCH":   {"targets:\n  a: {}\n", "SOURCE_DATE_EPOCH"},
		"rewrite of bad line": {"rewrites: {\"old/x\": new/x}\ntargets:\n  a: {dockerfile: Dockerfile.cont}\n", "continued on the next line"},
	} {
		t.Run(name, func(t *testing.T) {
			dir := writeTree(t, map[string]string{
				"polyarch.yaml":              c.yaml,
				"Dockerfile":                 "FROM scratch\n",
				"Dockerfile.bad":             "FROM scratch\nFROBNICATE\n",
				"Dockerfile.cont":            "FROM \\\n old/x\n",
				"empty/README":               "",
				"perarch/Dockerfile.aarch64": "FROM scratch\n",
				"legacy/arm64v8/Dockerfile":  "FROM i386/alpine\n",
			})
			p := load(t, dir, nil)
			envm := map[string]string{}
			if name == "SOURCE_DATE_EPOCH" {
				envm["SOURCE_DATE_EPOCH"] = "yesterday"
			}
			_, err := Resolve(context.Background(), p, []string{"a"}, Options{Getenv: env(envm)})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want %q", err, c.want)
			}
			if !strings.HasPrefix(err.Error(), "target a: ") && name != "SOURCE_DATE_EPOCH" {
				t.Errorf("error does not name the target: %v", err)
			}
		})
	}
	if _, err := (&Project{Targets: map[string]*Target{}}).Select([]string{"x"}); err == nil {
		t.Error("unknown name selected")
	}
	p := &Project{Targets: map[string]*Target{"t": {}}, Groups: map[string][]string{"g": {"h"}, "h": {"g"}}}
	if _, err := p.Select([]string{"g"}); err == nil || !strings.Contains(err.Error(), "group cycle") {
		t.Errorf("group cycle: %v", err)
	}
}
