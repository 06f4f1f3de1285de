package platform

import (
	"reflect"
	"testing"
)

// aliasTables lists, per tool, every spelling Parse must accept and the
// canonical platform it means. Written out by hand so that the tables in
// spellings.go are checked, not just re-read.
var aliasTables = map[string]map[string]string{
	"uname": {
		"aarch64": "linux/arm64", "armv7l": "linux/arm/v7", "armv6l": "linux/arm/v6",
		"armv5tel": "linux/arm/v5", "armv5l": "linux/arm/v5", "armv5tejl": "linux/arm/v5",
		"armv8l": "linux/arm/v7", "x86_64": "linux/amd64", "i686": "linux/386", "i586": "linux/386",
		"i486": "linux/386", "i386": "linux/386", "ppc64le": "linux/ppc64le", "ppc64": "linux/ppc64",
		"s390x": "linux/s390x", "riscv64": "linux/riscv64", "mips64": "linux/mips64",
		"loongarch64": "linux/loong64", "mips": "linux/mips",
	},
	"debian": {
		"amd64": "linux/amd64", "arm64": "linux/arm64", "armhf": "linux/arm/v7", "armel": "linux/arm/v5",
		"i386": "linux/386", "ppc64el": "linux/ppc64le", "ppc64": "linux/ppc64", "s390x": "linux/s390x",
		"riscv64": "linux/riscv64", "mips64el": "linux/mips64le", "loong64": "linux/loong64",
		"mipsel": "linux/mipsle", "mips": "linux/mips",
	},
	"bashbrew": {
		"amd64": "linux/amd64", "arm32v5": "linux/arm/v5", "arm32v6": "linux/arm/v6",
		"arm32v7": "linux/arm/v7", "arm64v8": "linux/arm64", "i386": "linux/386",
		"ppc64le": "linux/ppc64le", "s390x": "linux/s390x", "riscv64": "linux/riscv64",
		"mips64le": "linux/mips64le",
	},
	"qemu": {
		"aarch64": "linux/arm64", "arm": "linux/arm/v7", "x86_64": "linux/amd64", "i386": "linux/386",
		"ppc64le": "linux/ppc64le", "ppc64": "linux/ppc64", "s390x": "linux/s390x",
		"riscv64": "linux/riscv64", "mips64el": "linux/mips64le", "mips64": "linux/mips64",
		"loongarch64": "linux/loong64", "mipsel": "linux/mipsle", "mips": "linux/mips",
	},
	"goarch": {
		"amd64": "linux/amd64", "arm64": "linux/arm64", "arm": "linux/arm/v7", "386": "linux/386",
		"ppc64le": "linux/ppc64le", "ppc64": "linux/ppc64", "s390x": "linux/s390x",
		"riscv64": "linux/riscv64", "mips64le": "linux/mips64le", "mips64": "linux/mips64",
		"loong64": "linux/loong64", "mipsle": "linux/mipsle", "mips": "linux/mips",
	},
	"other": {
		"x86-64": "linux/amd64", "x86": "linux/386", "armv7": "linux/arm/v7", "armv7hl": "linux/arm/v7",
		"armv6": "linux/arm/v6", "armv5": "linux/arm/v5",
	},
}

func TestParseAliases(t *testing.T) {
	for table, aliases := range aliasTables {
		for alias, want := range aliases {
			for _, in := range []string{alias, "linux/" + alias, " " + alias + " ", "LINUX/" + upper(alias)} {
				got, err := Parse(in)
				if err != nil {
					t.Errorf("%s: Parse(%q): %v", table, in, err)
					continue
				}
				if Format(got) != want {
					t.Errorf("%s: Parse(%q) = %s, want %s", table, in, Format(got), want)
				}
			}
		}
	}
}

func upper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'a' <= c && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}

// spellingCase is every spelling of one platform, in this order:
// TargetArch, TargetVariant, Uname, Debian, Bashbrew, QEMU, GOARCH, GOARM.
type spellingCase struct {
	platform string
	want     [8]string
}

var spellingCases = []spellingCase{
	{"linux/amd64", [8]string{"amd64", "", "x86_64", "amd64", "amd64", "x86_64", "amd64", ""}},
	{"linux/amd64/v3", [8]string{"amd64", "v3", "x86_64", "amd64", "amd64", "x86_64", "amd64", ""}},
	{"linux/arm64", [8]string{"arm64", "", "aarch64", "arm64", "arm64v8", "aarch64", "arm64", ""}},
	{"linux/arm/v7", [8]string{"arm", "v7", "armv7l", "armhf", "arm32v7", "arm", "arm", "7"}},
	{"linux/arm/v6", [8]string{"arm", "v6", "armv6l", "", "arm32v6", "arm", "arm", "6"}},
	{"linux/arm/v5", [8]string{"arm", "v5", "armv5tel", "armel", "arm32v5", "arm", "arm", "5"}},
	{"linux/386", [8]string{"386", "", "i686", "i386", "i386", "i386", "386", ""}},
	{"linux/ppc64le", [8]string{"ppc64le", "", "ppc64le", "ppc64el", "ppc64le", "ppc64le", "ppc64le", ""}},
	{"linux/ppc64", [8]string{"ppc64", "", "ppc64", "ppc64", "", "ppc64", "ppc64", ""}},
	{"linux/s390x", [8]string{"s390x", "", "s390x", "s390x", "s390x", "s390x", "s390x", ""}},
	{"linux/riscv64", [8]string{"riscv64", "", "riscv64", "riscv64", "riscv64", "riscv64", "riscv64", ""}},
	{"linux/mips64le", [8]string{"mips64le", "", "mips64", "mips64el", "mips64le", "mips64el", "mips64le", ""}},
	{"linux/mips64", [8]string{"mips64", "", "mips64", "", "", "mips64", "mips64", ""}},
	{"linux/loong64", [8]string{"loong64", "", "loongarch64", "loong64", "", "loongarch64", "loong64", ""}},
	{"linux/mipsle", [8]string{"mipsle", "", "mips", "mipsel", "", "mipsel", "mipsle", ""}},
	{"linux/mips", [8]string{"mips", "", "mips", "mips", "", "mips", "mips", ""}},
	// Unknown platforms have no spellings.
	{"linux/sparc64", [8]string{}},
	{"windows/amd64", [8]string{}},
	{"linux/arm64/v9", [8]string{}},
}

func spellAll(p Platform) [8]string {
	goarch, goarm := GoArch(p)
	return [8]string{TargetArch(p), TargetVariant(p), Uname(p), Debian(p), Bashbrew(p), QEMU(p), goarch, goarm}
}

func TestSpellings(t *testing.T) {
	for _, tc := range spellingCases {
		p := platformFromString(tc.platform)
		if got := spellAll(p); got != tc.want {
			t.Errorf("%s: spellings = %q, want %q", tc.platform, got, tc.want)
		}
	}
}

// platformFromString splits "os/arch[/variant]" without Parse, so that
// unknown platforms can be tested too.
func platformFromString(s string) Platform {
	var parts [3]string
	for i, j := 0, 0; i < len(s) && j < 3; j++ {
		k := i
		for k < len(s) && s[k] != '/' {
			k++
		}
		parts[j], i = s[i:k], k+1
	}
	return Platform{OS: parts[0], Architecture: parts[1], Variant: parts[2]}
}

func TestSpellingsCoverKnown(t *testing.T) {
	covered := map[string]bool{}
	for _, tc := range spellingCases {
		covered[tc.platform] = true
	}
	for _, p := range Known() {
		if !covered[Format(p)] {
			t.Errorf("spellingCases misses %s", Format(p))
		}
	}
}

// ambiguous lists spellings that several platforms share; Parse resolves
// them to one documented platform, so they do not round-trip for the others.
var ambiguous = map[string]map[string]bool{
	"uname": {"linux/mips64le": true, "linux/mipsle": true}, // print "mips64" / "mips"
	"qemu":  {"linux/arm/v6": true, "linux/arm/v5": true},   // qemu-arm runs all arm
}

func TestRoundTrip(t *testing.T) {
	spell := map[string]func(Platform) string{
		"debian": Debian, "bashbrew": Bashbrew, "uname": Uname, "qemu": QEMU,
		"target": func(p Platform) string { return join(TargetArch(p), TargetVariant(p)) },
		"goarch": func(p Platform) string { a, v := GoArch(p); return join(a, prefixV(v)) },
		"format": Format,
	}
	for name, f := range spell {
		for _, p := range Known() {
			s := f(p)
			if s == "" || ambiguous[name][Format(p)] {
				continue
			}
			got, err := Parse(s)
			if err != nil || !reflect.DeepEqual(got, p) {
				t.Errorf("%s: Parse(%q) = %v, %v; want %s", name, s, got, err, Format(p))
			}
		}
	}
}

func join(arch, variant string) string {
	if variant == "" {
		return arch
	}
	return arch + "/" + variant
}

func prefixV(goarm string) string {
	if goarm == "" {
		return ""
	}
	return "v" + goarm
}

func TestKnownOrder(t *testing.T) {
	want := []string{"linux/amd64", "linux/arm64", "linux/arm/v7", "linux/arm/v6", "linux/arm/v5",
		"linux/386", "linux/ppc64le", "linux/ppc64", "linux/s390x", "linux/riscv64",
		"linux/mips64le", "linux/mips64", "linux/loong64"}
	known := Known()
	if len(known) < len(want) {
		t.Fatalf("Known() has %d platforms, want at least %d", len(known), len(want))
	}
	seen := map[string]bool{}
	for i, p := range known {
		f := Format(p)
		if i < len(want) && f != want[i] {
			t.Errorf("Known()[%d] = %s, want %s", i, f, want[i])
		}
		if seen[f] || !reflect.DeepEqual(Normalize(p), p) {
			t.Errorf("Known()[%d] = %s: duplicate or not canonical", i, f)
		}
		seen[f] = true
	}
	known[0].Architecture = "mutated"
	if Known()[0].Architecture != "amd64" {
		t.Error("Known() shares its slice between calls")
	}
}
