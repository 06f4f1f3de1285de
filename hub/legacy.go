package hub

import (
	"regexp"
	"slices"
	"strings"

	"github.com/polyarch/polyarch/platform"
)

// Rewrite maps a legacy per-arch base image to today's multi-arch image
// at the platform the legacy name stood for.
type Rewrite struct {
	From     string // as FROM names it (after ARG defaults), e.g. multiarch/alpine:aarch64-edge
	Image    string // e.g. alpine:edge
	Platform platform.Platform
}

// multiarchDistros maps multiarch/<name> repositories to the official
// image they repackaged.
var multiarchDistros = map[string]string{
	"alpine": "alpine", "debian-debootstrap": "debian", "ubuntu-debootstrap": "ubuntu",
	"ubuntu-core": "ubuntu", "fedora": "fedora", "centos": "centos", "busybox": "busybox",
}

// balenaArch maps the arch prefix of resin/ and balenalib/ base images
// (resin/armv7hf-debian) to a platform.
var balenaArch = map[string]string{
	"armv7hf": "linux/arm/v7", "aarch64": "linux/arm64", "amd64": "linux/amd64", "i386": "linux/386",
}

var (
	balenaDistros = []string{"debian", "ubuntu", "alpine", "fedora"}
	alpineBranch  = regexp.MustCompile(`^v([0-9]+\.[0-9]+)$`)
)

// LegacyBase recognises a per-arch base image of the Docker Hub era and
// returns the multi-arch image that replaces it at platform p:
//
//	arm64v8/debian:stretch          → debian:stretch   linux/arm64  (docker-library's per-arch namespaces)
//	multiarch/alpine:aarch64-edge   → alpine:edge      linux/arm64
//	multiarch/alpine:armhf-v3.8     → alpine:3.8       linux/arm/v7
//	multiarch/debian-debootstrap:arm64-stretch → debian:stretch linux/arm64
//	resin/armv7hf-debian:stretch    → debian:stretch   linux/arm/v7
//
// ok is false for any other reference, and for references with variables
// left in them.
func LegacyBase(ref string) (image string, p platform.Platform, ok bool) {
	if strings.Contains(ref, "$") || strings.Contains(ref, "@") {
		return "", p, false
	}
	name, tag := repository(ref), tagOf(ref)
	owner, rest, found := strings.Cut(name, "/")
	if !found || strings.Contains(rest, "/") {
		return "", p, false
	}
	switch owner {
	case "multiarch":
		return multiarchBase(rest, tag)
	case "resin", "balenalib":
		return balenaBase(rest, tag)
	}
	bp, err := platform.Parse(owner)
	if err != nil || platform.Bashbrew(bp) != owner {
		return "", p, false
	}
	return withTag(rest, tag), bp, true
}

func multiarchBase(repo, tag string) (string, platform.Platform, bool) {
	distro, known := multiarchDistros[repo]
	arch, rest, found := strings.Cut(tag, "-")
	if !known || !found {
		return "", platform.Platform{}, false
	}
	p, err := platform.Parse(arch)
	if err != nil {
		return "", p, false
	}
	if distro == "alpine" {
		rest = alpineBranch.ReplaceAllString(rest, "$1") // v3.8 → 3.8
		if rest == "latest-stable" {
			rest = "latest"
		}
	}
	return distro + ":" + rest, p, true
}

func balenaBase(repo, tag string) (string, platform.Platform, bool) {
	arch, distro, found := strings.Cut(repo, "-")
	spec, known := balenaArch[arch]
	if !found || !known || !slices.Contains(balenaDistros, distro) {
		return "", platform.Platform{}, false
	}
	return withTag(distro, tag), platform.MustParse(spec), true
}

// tagOf returns ref's tag, "" when it has none.
func tagOf(ref string) string {
	if i := strings.LastIndexByte(ref, ':'); i > strings.LastIndexByte(ref, '/') {
		return ref[i+1:]
	}
	return ""
}

func withTag(name, tag string) string {
	if tag == "" {
		return name
	}
	return name + ":" + tag
}
