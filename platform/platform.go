package platform

import (
	"errors"
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/containerd/platforms"
	specs "github.com/opencontainers/image-spec/specs-go/v1"
)

// Platform is the OCI platform. It is an alias so that values from
// image-spec, containerd and go-containerregistry (via conversion) pass
// through unchanged.
type Platform = specs.Platform

// Errors returned by Parse and ParseList, for callers that branch with errors.Is.
var (
	// ErrInvalidPlatform reports a malformed specifier ("linux//arm64", "").
	ErrInvalidPlatform = errors.New("invalid platform")
	// ErrUnknownPlatform reports a well-formed specifier whose architecture or
	// variant polyarch does not know ("arm46", "linux/arm64/v9").
	ErrUnknownPlatform = errors.New("unknown platform")
	// ErrUnsupportedOS reports a platform for another OS ("windows/amd64").
	ErrUnsupportedOS = errors.New("polyarch builds linux images only")
)

// Parse reads a platform in any spelling and returns its canonical form.
//
// It accepts containerd specifiers ("linux/arm64", "linux/arm/v7", "arm64",
// "arm64/v8"), every name of the spelling tables on its own or after "linux/"
// ("aarch64", "armhf", "arm32v7", "x86_64", "linux/arm64v8"), any case and
// surrounding spaces. "linux" alone means the host's architecture, as in
// containerd. A bare "mips64" is GOARCH mips64 (big endian) even though
// `uname -m` prints "mips64" on mips64le too.
//
// Specifiers for another OS parse but fail with ErrUnsupportedOS; unknown
// architectures fail with ErrUnknownPlatform and a suggestion.
func Parse(s string) (Platform, error) {
	trimmed := strings.TrimSpace(s)
	spec := strings.ToLower(trimmed)
	if spec == "" {
		return Platform{}, fmt.Errorf("%w: empty string (want e.g. linux/arm64)", ErrInvalidPlatform)
	}
	if spec == "linux" {
		h := Host()
		h.OS = "linux"
		return validate(trimmed, h)
	}
	rewritten, err := rewrite(spec)
	if err != nil {
		return Platform{}, fmt.Errorf("parsing platform %q: %w", trimmed, err)
	}
	p, err := platforms.Parse(rewritten)
	if err != nil {
		if !strings.Contains(spec, "/") {
			return Platform{}, unknown(trimmed)
		}
		return Platform{}, fmt.Errorf("%w %q: %w", ErrInvalidPlatform, trimmed, err)
	}
	return validate(trimmed, Normalize(p))
}

// rewrite replaces an alias in the architecture position of a lower-case
// specifier by the canonical architecture (and the variant the alias implies)
// and adds the implicit "linux/" to arch-first forms such as "arm64/v8", so
// that containerd sees only names it normalises the way polyarch wants.
// containerd's own aliases differ in one place: it reads armel as arm/v6.
func rewrite(spec string) (string, error) {
	parts := strings.Split(spec, "/")
	if _, _, ok := resolve(parts[0]); ok {
		parts = append([]string{"linux"}, parts...)
	}
	if len(parts) < 2 {
		return spec, nil // an OS alone, or a name containerd will reject
	}
	arch, variant, ok := resolve(parts[1])
	if !ok {
		return spec, nil // validate reports the unknown architecture
	}
	alias := parts[1]
	parts[1] = arch
	switch {
	case variant == "":
	case len(parts) == 2:
		parts = append(parts, variant)
	case strings.TrimPrefix(parts[2], "v") != strings.TrimPrefix(variant, "v"):
		return "", fmt.Errorf("%w: %q already means variant %s, not %q", ErrInvalidPlatform, alias, variant, parts[2])
	}
	return strings.Join(parts, "/"), nil
}

// validate checks that a normalised platform is one polyarch can build.
func validate(spec string, p Platform) (Platform, error) {
	if p.OS != "linux" {
		return Platform{}, fmt.Errorf("platform %q has os %q: %w", spec, p.OS, ErrUnsupportedOS)
	}
	if p.OSVersion != "" {
		return Platform{}, fmt.Errorf("%w %q: an os version is not meaningful for linux", ErrInvalidPlatform, spec)
	}
	if _, ok := lookup(p); ok {
		return p, nil
	}
	if variants, ok := variantsOf(p.Architecture); ok {
		return Platform{}, fmt.Errorf("%w %q: %s has no variant %q (known: %s)",
			ErrUnknownPlatform, spec, p.Architecture, p.Variant, formatVariants(p.Architecture, variants))
	}
	return Platform{}, unknown(spec)
}

// formatVariants renders each variant of arch as a platform string.
func formatVariants(arch string, variants []string) string {
	out := make([]string, len(variants))
	for i, v := range variants {
		out[i] = Format(Platform{OS: "linux", Architecture: arch, Variant: v})
	}
	return strings.Join(out, ", ")
}

// MustParse is Parse for tests and tables; it panics on error.
func MustParse(s string) Platform {
	p, err := Parse(s)
	if err != nil {
		panic(fmt.Sprintf("platform.MustParse(%q): %v", s, err))
	}
	return p
}

// ParseList parses a comma-separated list ("linux/amd64, arm64,armhf").
// Duplicates (after normalisation) are dropped, keeping the first-seen order;
// an empty entry is an error.
func ParseList(s string) ([]Platform, error) {
	entries := strings.Split(s, ",")
	out := make([]Platform, 0, len(entries))
	seen := make(map[string]bool, len(entries))
	for i, entry := range entries {
		if strings.TrimSpace(entry) == "" {
			return nil, fmt.Errorf("%w: entry %d of platform list %q is empty", ErrInvalidPlatform, i+1, s)
		}
		p, err := Parse(entry)
		if err != nil {
			return nil, fmt.Errorf("platform list entry %d: %w", i+1, err)
		}
		if key := Format(p); !seen[key] {
			seen[key] = true
			out = append(out, p)
		}
	}
	return out, nil
}

// Format returns the canonical specifier of p: "linux/arm/v7", "linux/arm64",
// "linux/amd64/v3". It normalises first and omits OSVersion and OSFeatures.
func Format(p Platform) string {
	return platforms.Format(Normalize(p))
}

// Normalize returns the canonical form of p: os lower-case and "linux" when
// empty; any alias architecture replaced by its canonical name (an alias that
// implies a variant, such as armhf, sets it); arm64 "v8" dropped; arm without
// variant becomes v7; amd64 "v1" dropped. Other fields are kept. Variants
// polyarch does not know (arm64/v9) are kept as they are: Parse rejects them.
func Normalize(p Platform) Platform {
	p.OS = strings.ToLower(p.OS)
	if p.OS == "" {
		p.OS = "linux"
	}
	p.Architecture, p.Variant = strings.ToLower(p.Architecture), strings.ToLower(p.Variant)
	if arch, variant, ok := resolve(p.Architecture); ok {
		p.Architecture = arch
		if variant != "" {
			p.Variant = variant
		}
	}
	// containerd handles arm ("" and "7" -> v7, "6" -> v6) and arm64 ("8",
	// "v8" -> ""), and amd64 "v1" but not "1" or "3".
	p = platforms.Normalize(p)
	if p.Architecture == "amd64" && isDigits(p.Variant) {
		p.Variant = "v" + p.Variant
	}
	if p.Architecture == "amd64" && p.Variant == "v1" {
		p.Variant = ""
	}
	return p
}

func isDigits(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}

// Equal reports whether a and b are the same platform after normalisation.
// It compares OS, Architecture and Variant only.
func Equal(a, b Platform) bool {
	a, b = Normalize(a), Normalize(b)
	return a.OS == b.OS && a.Architecture == b.Architecture && a.Variant == b.Variant
}

// Matches reports whether an image index entry for have serves a request for
// want. Index entries spell the same platform several ways: arm64 with or
// without variant "v8", arm without a variant (meaning v7), amd64 with "v1";
// all of those match after normalisation. No fallback to older variants is
// made: want arm/v7 does not match have arm/v6.
func Matches(want, have Platform) bool {
	return Equal(want, have)
}

// Host returns the running machine's platform, normalised. On arm the
// variant comes from the GOARM this binary was built with (default 7).
func Host() Platform {
	p := Platform{OS: runtime.GOOS, Architecture: runtime.GOARCH}
	if p.Architecture == "arm" {
		p.Variant = "v" + buildGOARM()
	}
	return Normalize(p)
}

// buildGOARM reads GOARM ("7", "6,softfloat") from the build settings.
func buildGOARM() string {
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			if s.Key == "GOARM" && s.Value != "" {
				return s.Value[:1]
			}
		}
	}
	return "7"
}

// Known returns every canonical platform polyarch knows, in a stable order:
// linux/amd64, linux/arm64, linux/arm/v7, linux/arm/v6, linux/arm/v5,
// linux/386, linux/ppc64le, linux/ppc64, linux/s390x, linux/riscv64,
// linux/mips64le, linux/mips64, linux/loong64, linux/mipsle, linux/mips.
// Parse also accepts the amd64 levels linux/amd64/v2, v3 and v4, which are
// not listed. The slice is new on every call.
func Known() []Platform {
	out := make([]Platform, len(spellings))
	for i, s := range spellings {
		out[i] = Platform{OS: "linux", Architecture: s.arch, Variant: s.variant}
	}
	return out
}
