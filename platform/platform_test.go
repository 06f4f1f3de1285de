package platform

import (
	"errors"
	"reflect"
	"runtime"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct{ in, want string }{
		{"linux/arm64", "linux/arm64"},
		{"linux/arm/v7", "linux/arm/v7"},
		{"linux/arm/7", "linux/arm/v7"},
		{"linux/arm", "linux/arm/v7"},
		{"arm", "linux/arm/v7"},
		{"arm/v6", "linux/arm/v6"},
		{"arm64", "linux/arm64"},
		{"linux/arm64/v8", "linux/arm64"},
		{"linux/arm64/8", "linux/arm64"},
		{"arm64/v8", "linux/arm64"},
		{"linux/amd64", "linux/amd64"},
		{"linux/amd64/v1", "linux/amd64"},
		{"amd64/v1", "linux/amd64"},
		{"linux/amd64/v3", "linux/amd64/v3"},
		{"linux/amd64/2", "linux/amd64/v2"},
		{"x86_64/v4", "linux/amd64/v4"},
		{"linux/aarch64", "linux/arm64"},
		{"linux/aarch64/v8", "linux/arm64"},
		{"linux/armhf", "linux/arm/v7"},
		{"linux/armhf/v7", "linux/arm/v7"},
		{"linux/armel", "linux/arm/v5"}, // containerd alone says arm/v6
		{"linux/arm64v8", "linux/arm64"},
		{"linux/arm64v8/v8", "linux/arm64"},
		{"linux/x86_64", "linux/amd64"},
		{"linux/arm32v7", "linux/arm/v7"},
		{"linux/arm32v6", "linux/arm/v6"},
		{"linux/i386", "linux/386"},
		{"  Linux/ARM/V6  ", "linux/arm/v6"},
		{"AARCH64", "linux/arm64"},
		{"mips64", "linux/mips64"},
		{"mips64el", "linux/mips64le"},
		{"linux/loongarch64", "linux/loong64"},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.in, err)
			continue
		}
		if Format(got) != tt.want || !reflect.DeepEqual(got, MustParse(tt.want)) {
			t.Errorf("Parse(%q) = %+v, want %s", tt.in, got, tt.want)
		}
	}
}

func TestParseLinuxAloneIsHost(t *testing.T) {
	got, err := Parse("linux")
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS == "linux" && !Equal(got, Host()) {
		t.Errorf("Parse(linux) = %s, want host %s", Format(got), Format(Host()))
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		in      string
		is      error
		message string // substring
	}{
		{"", ErrInvalidPlatform, "empty"},
		{"   ", ErrInvalidPlatform, "empty"},
		{"arm46", ErrUnknownPlatform, `unknown platform "arm46": did you mean "arm64"?`},
		{"linux/arm46", ErrUnknownPlatform, `did you mean "linux/arm64"?`},
		{"aarhc64", ErrUnknownPlatform, `did you mean "aarch64"?`},
		{"sparc64", ErrUnknownPlatform, "known: linux/amd64, linux/arm64"},
		{"linux/zzzzzz", ErrUnknownPlatform, "aliases such as aarch64"},
		{"linux/arm64/v9", ErrUnknownPlatform, `arm64 has no variant "v9"`},
		{"linux/arm/v8", ErrUnknownPlatform, "linux/arm/v7, linux/arm/v6, linux/arm/v5"},
		{"linux/386/v7", ErrUnknownPlatform, "386 has no variant"},
		{"linux/amd64/v5", ErrUnknownPlatform, "linux/amd64/v4"},
		{"windows/amd64", ErrUnsupportedOS, `os "windows"`},
		{"windows", ErrUnsupportedOS, "linux images only"},
		{"darwin/arm64", ErrUnsupportedOS, "linux images only"},
		{"macos/arm64", ErrUnsupportedOS, `os "darwin"`},
		{"freebsd/amd64", ErrUnsupportedOS, "linux images only"},
		{"linux//arm64", ErrInvalidPlatform, "invalid"},
		{"linux/arm64/", ErrInvalidPlatform, "invalid"},
		{"/arm64", ErrInvalidPlatform, "invalid"},
		{"linux/arm/v7/x", ErrInvalidPlatform, "cannot parse"},
		{"arm64/v8/x", ErrInvalidPlatform, "cannot parse"},
		{"linux/arm 64", ErrInvalidPlatform, "invalid"},
		{"linux/*", ErrInvalidPlatform, "wildcards"},
		{"linux(5.4)/arm64", ErrInvalidPlatform, "os version"},
		{"linux/armhf/v6", ErrInvalidPlatform, `"armhf" already means variant v7`},
		{"arm32v7/v5", ErrInvalidPlatform, "already means"},
	}
	for _, tt := range tests {
		p, err := Parse(tt.in)
		if err == nil {
			t.Errorf("Parse(%q) = %s, want error", tt.in, Format(p))
			continue
		}
		if !errors.Is(err, tt.is) || !strings.Contains(err.Error(), tt.message) {
			t.Errorf("Parse(%q) error = %v; want errors.Is %v and containing %q", tt.in, err, tt.is, tt.message)
		}
	}
}

func TestParseList(t *testing.T) {
	tests := []struct {
		in, want string // want: canonical, comma-joined; "" means error
	}{
		{"linux/amd64,linux/arm64", "linux/amd64,linux/arm64"},
		{"arm64, amd64 ,armhf", "linux/arm64,linux/amd64,linux/arm/v7"},
		{"linux/arm64,aarch64,arm64v8,linux/arm64/v8", "linux/arm64"},
		{"armhf,arm32v6,arm,linux/arm/v6", "linux/arm/v7,linux/arm/v6"},
		{"s390x", "linux/s390x"},
		{"", ""},
		{"linux/amd64,", ""},
		{",linux/amd64", ""},
		{"amd64,,arm64", ""},
		{"amd64, ,arm64", ""},
		{"amd64,arm46", ""},
		{"amd64,windows/amd64", ""},
	}
	for _, tt := range tests {
		got, err := ParseList(tt.in)
		if tt.want == "" {
			if err == nil {
				t.Errorf("ParseList(%q) = %v, want error", tt.in, got)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseList(%q): %v", tt.in, err)
			continue
		}
		names := make([]string, len(got))
		for i, p := range got {
			names[i] = Format(p)
		}
		if s := strings.Join(names, ","); s != tt.want {
			t.Errorf("ParseList(%q) = %s, want %s", tt.in, s, tt.want)
		}
	}
}

func TestParseListErrorNamesEntry(t *testing.T) {
	_, err := ParseList("amd64,arm46")
	if !errors.Is(err, ErrUnknownPlatform) || !strings.Contains(err.Error(), "entry 2") {
		t.Errorf("error = %v, want ErrUnknownPlatform naming entry 2", err)
	}
	_, err = ParseList("amd64,,arm64")
	if !errors.Is(err, ErrInvalidPlatform) || !strings.Contains(err.Error(), "entry 2") {
		t.Errorf("error = %v, want ErrInvalidPlatform naming entry 2", err)
	}
}

func TestNormalize(t *testing.T) {
	tests := []struct{ in, want Platform }{
		{Platform{Architecture: "arm64"}, Platform{OS: "linux", Architecture: "arm64"}},
		{Platform{OS: "Linux", Architecture: "ARM64", Variant: "V8"}, Platform{OS: "linux", Architecture: "arm64"}},
		{Platform{OS: "linux", Architecture: "arm"}, Platform{OS: "linux", Architecture: "arm", Variant: "v7"}},
		{Platform{OS: "linux", Architecture: "arm", Variant: "6"}, Platform{OS: "linux", Architecture: "arm", Variant: "v6"}},
		{Platform{OS: "linux", Architecture: "amd64", Variant: "v1"}, Platform{OS: "linux", Architecture: "amd64"}},
		{Platform{OS: "linux", Architecture: "amd64", Variant: "1"}, Platform{OS: "linux", Architecture: "amd64"}},
		{Platform{OS: "linux", Architecture: "amd64", Variant: "3"}, Platform{OS: "linux", Architecture: "amd64", Variant: "v3"}},
		{Platform{OS: "linux", Architecture: "aarch64"}, Platform{OS: "linux", Architecture: "arm64"}},
		{Platform{OS: "linux", Architecture: "armel"}, Platform{OS: "linux", Architecture: "arm", Variant: "v5"}},
		{Platform{OS: "linux", Architecture: "arm32v6", Variant: "v7"}, Platform{OS: "linux", Architecture: "arm", Variant: "v6"}},
		{Platform{OS: "linux", Architecture: "x86_64", Variant: "v2"}, Platform{OS: "linux", Architecture: "amd64", Variant: "v2"}},
		{Platform{OS: "windows", Architecture: "amd64", OSVersion: "10.0.17763"},
			Platform{OS: "windows", Architecture: "amd64", OSVersion: "10.0.17763"}},
		{Platform{OS: "linux", Architecture: "sparc64", Variant: "x"}, Platform{OS: "linux", Architecture: "sparc64", Variant: "x"}},
		{Platform{OS: "linux", Architecture: "arm64", Variant: "v9"}, Platform{OS: "linux", Architecture: "arm64", Variant: "v9"}},
	}
	for _, tt := range tests {
		got := Normalize(tt.in)
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Normalize(%+v) = %+v, want %+v", tt.in, got, tt.want)
		}
		if again := Normalize(got); !reflect.DeepEqual(again, got) {
			t.Errorf("Normalize not idempotent on %+v: %+v", got, again)
		}
	}
}

func TestFormat(t *testing.T) {
	tests := []struct {
		in   Platform
		want string
	}{
		{Platform{OS: "linux", Architecture: "arm", Variant: "v7"}, "linux/arm/v7"},
		{Platform{OS: "linux", Architecture: "arm"}, "linux/arm/v7"},
		{Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}, "linux/arm64"},
		{Platform{OS: "linux", Architecture: "amd64"}, "linux/amd64"},
		{Platform{OS: "linux", Architecture: "amd64", Variant: "v3"}, "linux/amd64/v3"},
		{Platform{Architecture: "aarch64"}, "linux/arm64"},
		{Platform{OS: "linux", Architecture: "386", OSFeatures: []string{"x"}}, "linux/386"},
	}
	for _, tt := range tests {
		if got := Format(tt.in); got != tt.want {
			t.Errorf("Format(%+v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestEqualAndMatches(t *testing.T) {
	tests := []struct {
		want, have Platform
		match      bool
	}{
		{MustParse("linux/arm64"), Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}, true},
		{MustParse("linux/arm64"), Platform{OS: "linux", Architecture: "arm64"}, true},
		{MustParse("linux/arm/v7"), Platform{OS: "linux", Architecture: "arm"}, true},
		{MustParse("linux/arm/v6"), Platform{OS: "linux", Architecture: "arm"}, false},
		{MustParse("linux/arm/v7"), Platform{OS: "linux", Architecture: "arm", Variant: "v6"}, false},
		{MustParse("linux/amd64"), Platform{OS: "linux", Architecture: "amd64", Variant: "v1"}, true},
		{MustParse("linux/amd64"), Platform{OS: "linux", Architecture: "amd64", Variant: "v3"}, false},
		{MustParse("linux/amd64/v3"), Platform{OS: "linux", Architecture: "amd64"}, false},
		{MustParse("linux/amd64"), Platform{OS: "windows", Architecture: "amd64"}, false},
		{MustParse("linux/amd64"), Platform{OS: "linux", Architecture: "arm64"}, false},
		{MustParse("linux/mips64le"), Platform{OS: "linux", Architecture: "mips64"}, false},
		{MustParse("linux/arm64"), Platform{OS: "linux", Architecture: "arm64", OSFeatures: []string{"f"}}, true},
		{MustParse("linux/386"), Platform{Architecture: "i386"}, true},
	}
	for _, tt := range tests {
		if got := Matches(tt.want, tt.have); got != tt.match {
			t.Errorf("Matches(%+v, %+v) = %v, want %v", tt.want, tt.have, got, tt.match)
		}
		if got := Equal(tt.have, tt.want); got != tt.match {
			t.Errorf("Equal(%+v, %+v) = %v, want %v", tt.have, tt.want, got, tt.match)
		}
	}
}

func TestHost(t *testing.T) {
	h := Host()
	if h.OS != runtime.GOOS || h.Architecture != runtime.GOARCH {
		t.Errorf("Host() = %+v, want %s/%s", h, runtime.GOOS, runtime.GOARCH)
	}
	if !reflect.DeepEqual(Normalize(h), h) {
		t.Errorf("Host() = %+v is not normalised", h)
	}
	if runtime.GOOS == "linux" {
		if _, err := Parse(Format(h)); err != nil {
			t.Errorf("Parse(Format(Host())): %v", err)
		}
	}
}

func TestMustParsePanics(t *testing.T) {
	defer func() {
		if r := recover(); r == nil || !strings.Contains(r.(string), "arm46") {
			t.Errorf("MustParse(arm46) recovered %v, want a panic naming the input", r)
		}
	}()
	MustParse("arm46")
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"linux/arm64", "arm", "linux/arm/v7", "armhf", "x86_64/v3", "arm46",
		"windows/amd64", "linux(1)/arm64", "linux/arm64/v8/x", " Linux/ARM32V7 ", "", "linux", "/", "*"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := Parse(s)
		_ = Suggest(s)
		if err != nil {
			return
		}
		again, err := Parse(Format(p))
		if err != nil || !reflect.DeepEqual(again, p) {
			t.Fatalf("Parse(%q) = %+v; Parse(Format) = %+v, %v", s, p, again, err)
		}
		if !reflect.DeepEqual(Normalize(p), p) {
			t.Fatalf("Parse(%q) = %+v is not normalised", s, p)
		}
		if TargetArch(p) == "" {
			t.Fatalf("Parse(%q) = %+v has no TARGETARCH", s, p)
		}
	})
}
