package platform

// spelling is one canonical linux platform and the names other tools give it.
// An empty field means the tool has no name for the platform.
type spelling struct {
	arch, variant string // canonical OCI architecture and variant; os is always linux
	goarm         string // GOARM for arch "arm"
	uname         string // what `uname -m` prints inside such a container
	debian        string // dpkg --print-architecture
	bashbrew      string // docker-library architecture (arm64v8, arm32v7, ...)
	qemu          string // qemu-user cpu name, as in qemu-<cpu> and the binfmt entry
	aliases       []string
}

// spellings lists every platform polyarch knows, in the order Known reports them.
// Parse resolves a bare name by first matching arch (GOARCH, which is also
// BuildKit's TARGETARCH) over all rows, then every other column row by row, so
// an ambiguous name resolves to the first row that spells it:
//   - "arm" (GOARCH; also qemu's one cpu for v5, v6 and v7) is linux/arm/v7.
//   - "mips64" is GOARCH mips64 (big endian), although `uname -m` prints
//     "mips64" on mips64le too; likewise "mips" is big-endian linux/mips.
//
// Debian has no arm/v6 architecture: armel is the ARMv5TE baseline (it runs on
// v6 CPUs) and armhf needs ARMv7. Raspbian's and Alpine's "armhf" mean ARMv6,
// but polyarch follows Debian and Docker: armhf is arm/v7.
// containerd/platforms itself maps armel to arm/v6; polyarch maps it to arm/v5,
// which is what Debian's armel packages are built for.
//
// Never mutated.
var spellings = [...]spelling{
	{arch: "amd64", uname: "x86_64", debian: "amd64", bashbrew: "amd64", qemu: "x86_64",
		aliases: []string{"x86-64"}},
	{arch: "arm64", uname: "aarch64", debian: "arm64", bashbrew: "arm64v8", qemu: "aarch64"},
	{arch: "arm", variant: "v7", goarm: "7", uname: "armv7l", debian: "armhf", bashbrew: "arm32v7", qemu: "arm",
		// armv7: Alpine; armv7hl: Fedora; armv8l: uname of 32-bit userland on an ARMv8 kernel.
		aliases: []string{"armv7", "armv7hl", "armv8l"}},
	{arch: "arm", variant: "v6", goarm: "6", uname: "armv6l", bashbrew: "arm32v6", qemu: "arm",
		aliases: []string{"armv6"}},
	{arch: "arm", variant: "v5", goarm: "5", uname: "armv5tel", debian: "armel", bashbrew: "arm32v5", qemu: "arm",
		aliases: []string{"armv5l", "armv5tejl", "armv5"}},
	{arch: "386", uname: "i686", debian: "i386", bashbrew: "i386", qemu: "i386",
		aliases: []string{"i486", "i586", "x86"}},
	{arch: "ppc64le", uname: "ppc64le", debian: "ppc64el", bashbrew: "ppc64le", qemu: "ppc64le"},
	{arch: "ppc64", uname: "ppc64", debian: "ppc64", qemu: "ppc64"},
	{arch: "s390x", uname: "s390x", debian: "s390x", bashbrew: "s390x", qemu: "s390x"},
	{arch: "riscv64", uname: "riscv64", debian: "riscv64", bashbrew: "riscv64", qemu: "riscv64"},
	{arch: "mips64le", uname: "mips64", debian: "mips64el", bashbrew: "mips64le", qemu: "mips64el"},
	{arch: "mips64", uname: "mips64", qemu: "mips64"},
	{arch: "loong64", uname: "loongarch64", debian: "loong64", qemu: "loongarch64"},
	{arch: "mipsle", uname: "mips", debian: "mipsel", qemu: "mipsel"},
	{arch: "mips", uname: "mips", debian: "mips", qemu: "mips"},
}

// amd64Levels are the x86-64 microarchitecture levels Parse keeps as variants
// (https://github.com/opencontainers/image-spec/blob/main/image-index.md).
// They share every spelling with plain amd64 and are not listed by Known.
var amd64Levels = [...]string{"v2", "v3", "v4"}

// names returns every spelling of s, canonical arch first.
func (s spelling) names() []string {
	return append([]string{s.arch, s.uname, s.debian, s.bashbrew, s.qemu}, s.aliases...)
}

// resolve maps a lower-case name from any table to a canonical architecture
// and variant. A GOARCH name resolves to itself with no variant, so that a
// variant given next to it (or containerd's arm default) still applies.
func resolve(name string) (arch, variant string, ok bool) {
	if name == "" {
		return "", "", false
	}
	for _, s := range spellings {
		if s.arch == name {
			return s.arch, "", true
		}
	}
	for _, s := range spellings {
		for _, n := range s.names()[1:] {
			if n == name {
				return s.arch, s.variant, true
			}
		}
	}
	return "", "", false
}

// lookup finds the row of a normalised platform.
func lookup(p Platform) (spelling, bool) {
	if p.OS != "linux" {
		return spelling{}, false
	}
	for _, s := range spellings {
		if s.arch == p.Architecture && s.variant == p.Variant {
			return s, true
		}
	}
	if p.Architecture == "amd64" {
		for _, level := range amd64Levels {
			if p.Variant == level {
				return spellings[0], true
			}
		}
	}
	return spelling{}, false
}

// variantsOf lists the variants polyarch accepts for a canonical arch, for
// error messages. ok is false when the arch is unknown.
func variantsOf(arch string) (variants []string, ok bool) {
	for _, s := range spellings {
		if s.arch == arch {
			variants, ok = append(variants, s.variant), true
		}
	}
	if arch == "amd64" {
		variants = append(variants, amd64Levels[:]...)
	}
	return variants, ok
}

// row normalises p and returns its spellings; ok is false for platforms
// polyarch does not know (every spelling is then "").
func row(p Platform) (spelling, bool) {
	return lookup(Normalize(p))
}

// TargetArch returns BuildKit's TARGETARCH (the GOARCH name): "arm64", "arm",
// "amd64", "386", ... or "" for an unknown platform.
func TargetArch(p Platform) string {
	if _, ok := row(p); !ok {
		return ""
	}
	return Normalize(p).Architecture
}

// TargetVariant returns BuildKit's TARGETVARIANT: "v7" for linux/arm/v7,
// "v3" for linux/amd64/v3, "" for linux/arm64 and other variant-less platforms.
func TargetVariant(p Platform) string {
	if _, ok := row(p); !ok {
		return ""
	}
	return Normalize(p).Variant
}

// Uname returns what `uname -m` prints on p: aarch64, armv7l, x86_64, i686, ...
// Both mips64 and mips64le print "mips64" (and mips/mipsle print "mips"), so
// Parse cannot tell them apart and reads "mips64" as big-endian linux/mips64.
func Uname(p Platform) string {
	s, _ := row(p)
	return s.uname
}

// Debian returns the dpkg architecture of p: arm64, armhf (arm/v7), armel
// (arm/v5), amd64, i386, ppc64el, ... It returns "" for linux/arm/v6, which no
// Debian architecture targets exactly (armel is the ARMv5TE baseline), and for
// linux/mips64, which Debian never shipped.
func Debian(p Platform) string {
	s, _ := row(p)
	return s.debian
}

// Bashbrew returns the docker-library (official images) architecture: amd64,
// arm32v5, arm32v6, arm32v7, arm64v8, i386, ppc64le, s390x, riscv64, mips64le;
// "" for platforms docker-library does not build.
func Bashbrew(p Platform) string {
	s, _ := row(p)
	return s.bashbrew
}

// QEMU returns the qemu-user cpu name that emulates p (qemu-<cpu>, binfmt
// entry qemu-<cpu>): aarch64, arm (for v5, v6 and v7 alike), x86_64, i386,
// ppc64le, mips64el, loongarch64, ...
func QEMU(p Platform) string {
	s, _ := row(p)
	return s.qemu
}

// GoArch returns GOARCH and, for arm, GOARM: ("arm", "7"), ("arm64", ""),
// ("amd64", ""), ... or ("", "") for an unknown platform. GOAMD64 levels are
// not reported: an amd64/v3 platform returns ("amd64", "").
func GoArch(p Platform) (goarch, goarm string) {
	s, ok := row(p)
	if !ok {
		return "", ""
	}
	return s.arch, s.goarm
}
