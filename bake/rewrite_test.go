package bake

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/polyarch/polyarch/platform"
)

func testRewriter(t *testing.T) *rewriter {
	t.Helper()
	rules, err := sortRewrites([]Rewrite{
		{From: "arm64v8/debian", Image: "debian", Platform: "aarch64"},
		{From: "multiarch/alpine:aarch64-edge", Image: "alpine:edge", Platform: "linux/arm64"},
		{From: "arm32v7/", Image: "reg:5000/library/", Platform: "armhf"},
		{From: "i386/", Image: "", Platform: "i386"},
		{From: "old/tool", Image: "new/tool:2"},
		{From: "docker.io/library/legacy", Image: "modern"},
	})
	if err != nil {
		t.Fatal(err)
	}
	rw, err := newRewriter(rules)
	if err != nil {
		t.Fatal(err)
	}
	return rw
}

func TestRewriteMatch(t *testing.T) {
	rw := testRewriter(t)
	for in, want := range map[string]string{
		"arm64v8/debian":          "debian linux/arm64",
		"arm64v8/debian:bookworm": "debian:bookworm linux/arm64",
		"docker.io/arm64v8/debian:12@sha256:" + strings.Repeat("a", 64): "debian@sha256:" + strings.Repeat("a", 64) + " linux/arm64",
		"multiarch/alpine:aarch64-edge":                                 "alpine:edge linux/arm64",
		"multiarch/alpine:armhf-edge":                                   "",
		"arm32v7/nginx:1.25":                                            "reg:5000/library/nginx:1.25 linux/arm/v7",
		"index.docker.io/arm32v7/busybox":                               "reg:5000/library/busybox linux/arm/v7",
		"i386/alpine:3.8":                                               "alpine:3.8 linux/386",
		"old/tool:1":                                                    "new/tool:2 -",
		"legacy:3":                                                      "modern:3 -",
		"library/legacy":                                                "modern -",
		"arm64v8/debian-slim":                                           "",
		"quay.io/arm64v8/debian":                                        "",
		"debian":                                                        "",
	} {
		img, p, ok := rw.match(in)
		got := ""
		if ok {
			got = img + " -"
			if p != nil {
				got = img + " " + platform.Format(*p)
			}
		}
		if got != want {
			t.Errorf("match(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestImpliedPlatform(t *testing.T) {
	for in, want := range map[string]string{
		"arm64v8/alpine":                             "linux/arm64",
		"i386/debian:buster":                         "linux/386",
		"arm32v6/busybox":                            "linux/arm/v6",
		"ppc64le/node":                               "linux/ppc64le",
		"amd64/ubuntu":                               "linux/amd64",
		"multiarch/alpine:aarch64-edge":              "linux/arm64",
		"multiarch/debian-debootstrap:armhf-stretch": "linux/arm/v7",
		"multiarch/alpine:x86_64-v3.8":               "linux/amd64",
		"multiarch/alpine:latest":                    "",
		"multiarch/qemu-user-static":                 "",
		"alpine":                                     "",
		"myorg/arm64v8":                              "",
		"localhost:5000/arm64v8/alpine":              "",
	} {
		p, ok := impliedPlatform(in)
		got := ""
		if ok {
			got = platform.Format(p)
		}
		if got != want {
			t.Errorf("impliedPlatform(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRewriteFROMs(t *testing.T) {
	rw := testRewriter(t)
	src := `# syntax=docker/dockerfile:1
ARG BASE=arm64v8/debian:bookworm
FROM --platform=$BUILDPLATFORM golang:1.22 AS build
RUN go build
FROM ${BASE}   AS runtime
COPY --from=build /out /out
FROM multiarch/alpine:aarch64-edge
COPY --from=runtime /out /out
`
	out, changes, err := rw.rewriteFROMs(context.Background(), []byte(src), "web/Dockerfile", platform.MustParse("linux/arm64"), nil, "")
	if err != nil {
		t.Fatal(err)
	}
	want := `# syntax=docker/dockerfile:1
ARG BASE=arm64v8/debian:bookworm
FROM --platform=$BUILDPLATFORM golang:1.22 AS build
RUN go build
FROM --platform=linux/arm64 debian:bookworm AS runtime
COPY --from=build /out /out
FROM --platform=linux/arm64 alpine:edge
COPY --from=runtime /out /out
`
	if string(out) != want {
		t.Errorf("rewritten:\n%s\nwant:\n%s", out, want)
	}
	wantChanges := []string{
		"web/Dockerfile:5: FROM arm64v8/debian:bookworm → --platform=linux/arm64 debian:bookworm AS runtime",
		"web/Dockerfile:7: FROM multiarch/alpine:aarch64-edge → --platform=linux/arm64 alpine:edge",
	}
	if !slices.Equal(changes, wantChanges) {
		t.Errorf("changes %q", changes)
	}
	// A build arg may name the legacy image too.
	out, _, err = rw.rewriteFROMs(context.Background(), []byte("ARG BASE\nFROM $BASE\n"), "Dockerfile", platform.MustParse("linux/arm/v7"),
		map[string]string{"BASE": "arm32v7/nginx:1"}, "")
	if err != nil || string(out) != "ARG BASE\nFROM --platform=linux/arm/v7 reg:5000/library/nginx:1\n" {
		t.Errorf("from a build arg: %q, %v", out, err)
	}
	// A line with its own --platform keeps it.
	out, _, err = rw.rewriteFROMs(context.Background(), []byte("FROM --platform=linux/arm64 arm64v8/debian\n"), "Dockerfile", platform.MustParse("linux/arm64"), nil, "")
	if err != nil || string(out) != "FROM --platform=linux/arm64 debian\n" {
		t.Errorf("own --platform: %q, %v", out, err)
	}
	// A rule without a platform only renames.
	out, _, err = rw.rewriteFROMs(context.Background(), []byte("from old/tool\n"), "Dockerfile", platform.MustParse("linux/s390x"), nil, "")
	if err != nil || string(out) != "FROM new/tool:2\n" {
		t.Errorf("rename: %q, %v", out, err)
	}
}

// TestRewriteContradiction is the 2018 bug: an arm64v8 image built FROM an
// i386 base. Both platforms are named.
func TestRewriteContradiction(t *testing.T) {
	rw, _ := newRewriter(nil)
	for _, c := range []struct {
		src, plat string
		want      []string
	}{
		{"FROM i386/alpine:3.8\nRUN true\n", "linux/arm64", []string{"arm64v8/Dockerfile:1", "FROM i386/alpine:3.8 is a linux/386 image", "builds for linux/arm64"}},
		{"FROM multiarch/alpine:armhf-edge\n", "linux/amd64", []string{"linux/arm/v7 image", "builds for linux/amd64"}},
		{"FROM --platform=$BUILDPLATFORM arm64v8/golang AS b\nFROM scratch\nCOPY --from=b / /\n", "linux/arm64", []string{"arm64v8/golang is a linux/arm64 image, but this stage builds for linux/amd64"}},
	} {
		_, _, err := rw.rewriteFROMs(context.Background(), []byte(c.src), "arm64v8/Dockerfile", platform.MustParse(c.plat), nil, "")
		if err == nil {
			t.Errorf("%q for %s: no error", c.src, c.plat)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%q: error %q lacks %q", c.src, err, w)
			}
		}
	}
	// A rule's platform is checked the same way.
	rw = testRewriter(t)
	if _, _, err := rw.rewriteFROMs(context.Background(), []byte("FROM arm64v8/debian\n"), "Dockerfile", platform.MustParse("linux/amd64"), nil, ""); err == nil ||
		!strings.Contains(err.Error(), "linux/arm64 image, but this stage builds for linux/amd64") {
		t.Errorf("rule platform: %v", err)
	}
	// The matching platform is fine, and so are bases that say nothing.
	for src, plat := range map[string]string{"FROM i386/alpine\n": "linux/386", "FROM alpine\n": "linux/s390x", "FROM arm32v7/x\n": "armhf"} {
		if _, _, err := rw.rewriteFROMs(context.Background(), []byte(src), "Dockerfile", platform.MustParse(plat), nil, ""); err != nil {
			t.Errorf("%q for %s: %v", src, plat, err)
		}
	}
}

func TestRewriteFROMLineErrors(t *testing.T) {
	if _, err := rewriteFROMLine("FROM \\\n", `\`, "x", nil); err == nil || !strings.Contains(err.Error(), "continued") {
		t.Errorf("continued line: %v", err)
	}
	if _, err := rewriteFROMLine("RUN x\n", `\`, "x", nil); err == nil {
		t.Error("a RUN line was rewritten")
	}
}
