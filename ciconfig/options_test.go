package ciconfig

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/polyarch/polyarch/platform"
)

func TestInspect(t *testing.T) {
	for _, tc := range goldenCases() {
		for _, f := range tc.generate(t) {
			if !bytes.Contains(f.Content, []byte("# "+Marker+"\n")) {
				t.Errorf("%s: %s has no marker line", tc.name, f.Path)
			}
			if got := Inspect(f.Content); got != Pristine {
				t.Errorf("%s: %s: Inspect = %v, want Pristine", tc.name, f.Path, got)
			}
			crlf := bytes.ReplaceAll(f.Content, []byte("\n"), []byte("\r\n"))
			if got := Inspect(crlf); got != Pristine {
				t.Errorf("%s: %s with CRLF: Inspect = %v, want Pristine", tc.name, f.Path, got)
			}
			edited := append(append([]byte{}, f.Content...), "# mine\n"...)
			if got := Inspect(edited); got != Edited {
				t.Errorf("%s: %s edited: Inspect = %v, want Edited", tc.name, f.Path, got)
			}
			marker := bytes.Replace(f.Content, []byte("edit freely"), []byte("edit freely!"), 1)
			if got := Inspect(marker); got != Edited {
				t.Errorf("%s: %s with its marker edited: Inspect = %v, want Edited", tc.name, f.Path, got)
			}
		}
	}
	for _, s := range []string{"", "name: ci\non: push\n", "# " + Marker + "\n"} {
		if got := Inspect([]byte(s)); got != Foreign {
			t.Errorf("Inspect(%q) = %v, want Foreign", s, got)
		}
	}
	if got := Inspect([]byte(hashPrefix + "00\nbody\n")); got != Edited {
		t.Errorf("a wrong hash: %v, want Edited", got)
	}
}

func TestParseProvider(t *testing.T) {
	for in, want := range map[string]Provider{"github": GitHub, "GitHub-Actions": GitHub, "gitlab-ci": GitLab,
		" travis ": Travis, "docker-hub": DockerHub, "dockerhub": DockerHub} {
		if got, err := ParseProvider(in); err != nil || got != want {
			t.Errorf("ParseProvider(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	_, err := ParseProvider("jenkins")
	if err == nil || !strings.Contains(err.Error(), "github, gitlab, travis, dockerhub") {
		t.Errorf("ParseProvider(jenkins): %v", err)
	}
}

func TestGenerateRejects(t *testing.T) {
	plat := func(s string) []platform.Platform {
		ps, err := platform.ParseList(s)
		if err != nil {
			t.Fatal(err)
		}
		return ps
	}
	cases := []struct {
		name string
		p    Provider
		o    Options
		want string // in the error
	}{
		{"travis fan-out", Travis, Options{Image: "acme/app", FanOut: true}, "--fan-out is not supported"},
		{"dockerhub fan-out", DockerHub, Options{FanOut: true}, "--fan-out is not supported"},
		{"native-arm alone", GitHub, Options{NativeARM: true}, "--native-arm needs --fan-out"},
		{"travis native-arm", Travis, Options{Image: "acme/app", NativeARM: true}, "--native-arm needs --fan-out"},
		{"travis without image", Travis, Options{}, "--image is required"},
		{"dockerhub image", DockerHub, Options{Image: "acme/app"}, "DOCKER_REPO"},
		{"dockerhub context", DockerHub, Options{Context: "app"}, "Build context"},
		{"tagged image", GitHub, Options{Image: "acme/app:1.0"}, "without a tag"},
		{"digest image", GitHub, Options{Image: "acme/app@sha256:00"}, "without a tag"},
		{"scheme", GitHub, Options{Image: "https://ghcr.io/acme/app"}, "without a scheme"},
		{"capitals", GitLab, Options{Image: "docker.io/Acme/app"}, "not an image repository"},
		{"windows", GitHub, Options{Platforms: []platform.Platform{{OS: "windows", Architecture: "amd64"}}}, "linux platforms only"},
		{"twice", GitHub, Options{Platforms: append(plat("linux/arm64"), plat("aarch64")...)}, "listed twice"},
		{"absolute context", GitHub, Options{Context: "/src"}, "relative to the repository root"},
		{"escaping Dockerfile", GitHub, Options{Dockerfile: "../Dockerfile"}, "relative to the repository root"},
		{"quoted Dockerfile", GitHub, Options{Dockerfile: "a b/Dockerfile"}, "relative to the repository root"},
		{"branch", GitHub, Options{Branches: []string{"main; rm -rf /"}}, "branch"},
		{"version", GitHub, Options{PolyarchVersion: "$(id)"}, "polyarch version"},
		{"provider", Provider("jenkins"), Options{}, "unknown CI provider"},
	}
	for _, tc := range cases {
		_, err := Generate(tc.p, tc.o)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want one containing %q", tc.name, err, tc.want)
		}
	}
	if _, err := Generate(Travis, Options{Image: "acme/app", FanOut: true}); !errors.Is(err, ErrUnsupported) {
		t.Errorf("travis fan-out: %v is not ErrUnsupported", err)
	}
}

func TestDefaults(t *testing.T) {
	files, err := Generate(GitHub, Options{Context: "app"})
	if err != nil {
		t.Fatal(err)
	}
	wf := string(files[0].Content)
	for _, want := range []string{
		"IMAGE: ghcr.io/${{ github.repository }}", "REGISTRY: ghcr.io", "packages: write",
		"PLATFORMS: " + DefaultPlatforms, "DOCKERFILE: app/Dockerfile", "CONTEXT: app",
		"POLYARCH_VERSION: latest", "secrets.GITHUB_TOKEN", "tr '[:upper:]' '[:lower:]'",
	} {
		if !strings.Contains(wf, want) {
			t.Errorf("default workflow lacks %q", want)
		}
	}
	files, err = Generate(GitLab, Options{Image: "registry.gitlab.com/acme/app"})
	if err != nil {
		t.Fatal(err)
	}
	if ci := string(files[0].Content); !strings.Contains(ci, "REGISTRY: $CI_REGISTRY") || !strings.Contains(ci, "$CI_REGISTRY_PASSWORD") {
		t.Errorf("registry.gitlab.com image without CI_REGISTRY credentials:\n%s", ci)
	}
}

func TestEmulated(t *testing.T) {
	cases := []struct {
		runner runnerArch
		p      string
		want   bool
	}{
		{x86, "linux/amd64", false}, {x86, "linux/amd64/v3", false}, {x86, "linux/386", false},
		{x86, "linux/arm64", true}, {x86, "linux/arm/v7", true}, {x86, "linux/riscv64", true},
		{arm, "linux/arm64", false}, {arm, "linux/arm/v7", true}, {arm, "linux/arm/v6", true},
	}
	for _, tc := range cases {
		if got := emulated(tc.runner, platform.MustParse(tc.p)); got != tc.want {
			t.Errorf("emulated(%s, %s) = %v, want %v", tc.runner, tc.p, got, tc.want)
		}
	}
}
