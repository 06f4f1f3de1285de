package bake

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/polyarch/polyarch/platform"
)

// Spellings are the values of arch-spelling, the first being the default.
var Spellings = []string{"bashbrew", "debian", "oci", "uname", "qemu"}

// ArchName spells p's architecture for {arch}: bashbrew (arm64v8,
// arm32v7, amd64, i386), debian (arm64, armhf, amd64, i386), oci (TARGETARCH
// and TARGETVARIANT: arm64, armv7, amd64, 386), uname (aarch64, armv7l,
// x86_64, i686) or qemu (aarch64, arm, x86_64, i386). "" means bashbrew.
func ArchName(p platform.Platform, spelling string) (string, error) {
	var s string
	switch spelling {
	case "", "bashbrew":
		s = platform.Bashbrew(p)
	case "debian":
		s = platform.Debian(p)
	case "oci":
		s = platform.TargetArch(p) + platform.TargetVariant(p)
	case "uname":
		s = platform.Uname(p)
	case "qemu":
		s = platform.QEMU(p)
	default:
		return "", fmt.Errorf("arch-spelling %q: use one of %s", spelling, strings.Join(Spellings, ", "))
	}
	if s == "" {
		return "", fmt.Errorf("%s has no %s name: choose another arch-spelling (%s)", platform.Format(p), cmp.Or(spelling, "bashbrew"), strings.Join(Spellings, ", "))
	}
	return s, nil
}

// placeholders replaces {arch}, {ARCH} (upper case) and {date} (YYYYMMDD).
func placeholders(s, arch, date string) string {
	return strings.NewReplacer("{arch}", arch, "{ARCH}", strings.ToUpper(arch), "{date}", date).Replace(s)
}

// archOf reads a file or directory name as an architecture in any
// spelling (arm64v8, aarch64, armhf, arm32v7, i386, x86_64, ppc64el, …).
func archOf(s string) (platform.Platform, bool) {
	if s == "" || strings.ContainsAny(s, "/,. ") || strings.EqualFold(s, "linux") {
		return platform.Platform{}, false
	}
	p, err := platform.Parse(s)
	return p, err == nil
}

// knownOrder sorts canonical platform strings in platform.Known's order.
func knownOrder(plats []string) {
	rank := func(s string) int {
		for i, k := range platform.Known() {
			if platform.Format(k) == s {
				return i
			}
		}
		return len(platform.Known())
	}
	slices.SortStableFunc(plats, func(a, b string) int { return rank(a) - rank(b) })
}
