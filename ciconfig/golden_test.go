package ciconfig

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/polyarch/polyarch/platform"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// goldenCase is one Generate call rendered to testdata/<name>.golden.
type goldenCase struct {
	name      string
	provider  Provider
	opts      Options
	platforms string // comma-separated; "" is the default list
}

// goldenCases covers every provider × {fan-out, one job} × native-arm that
// the provider supports, plus the credential variants.
func goldenCases() []goldenCase {
	hub := "docker.io/acme/app"
	return []goldenCase{
		{name: "github-single", provider: GitHub, opts: Options{Image: hub}},
		{name: "github-single-ghcr", provider: GitHub},
		{name: "github-fanout", provider: GitHub, opts: Options{Image: hub, FanOut: true}},
		{name: "github-fanout-native-arm", provider: GitHub, opts: Options{Image: hub, FanOut: true, NativeARM: true}},
		{name: "github-fanout-native-arm-ghcr", provider: GitHub, platforms: "linux/amd64,linux/386,linux/arm64,linux/arm/v6,linux/riscv64",
			opts: Options{FanOut: true, NativeARM: true, Image: "ghcr.io/acme/app", Context: "app", Branches: []string{"main", "release/1.x"}}},
		{name: "github-single-amd64-only", provider: GitHub, platforms: "linux/amd64", opts: Options{Image: "quay.io/acme/app", Dockerfile: "build/Dockerfile.prod"}},
		{name: "gitlab-single", provider: GitLab},
		{name: "gitlab-single-dockerio", provider: GitLab, opts: Options{Image: hub}},
		{name: "gitlab-fanout", provider: GitLab, opts: Options{FanOut: true}},
		{name: "gitlab-fanout-native-arm", provider: GitLab, opts: Options{FanOut: true, NativeARM: true, Image: hub, Branches: []string{"master"}}},
		{name: "travis-single", provider: Travis, opts: Options{Image: hub}},
		{name: "dockerhub", provider: DockerHub},
		{name: "dockerhub-subdir", provider: DockerHub, platforms: "linux/arm64,linux/s390x,linux/ppc64le", opts: Options{Dockerfile: "docker/Dockerfile.alpine", PolyarchVersion: "v0.3.0"}},
	}
}

func (tc goldenCase) generate(t *testing.T) []File {
	t.Helper()
	opts := tc.opts
	if tc.platforms != "" {
		ps, err := platform.ParseList(tc.platforms)
		if err != nil {
			t.Fatal(err)
		}
		opts.Platforms = ps
	}
	files, err := Generate(tc.provider, opts)
	if err != nil {
		t.Fatalf("Generate(%s): %v", tc.provider, err)
	}
	return files
}

// archive lays files out as one text: a "-- path (mode) --" line before each.
func archive(files []File) []byte {
	var b bytes.Buffer
	for _, f := range files {
		fmt.Fprintf(&b, "-- %s (%04o) --\n", f.Path, f.Mode)
		b.Write(f.Content)
	}
	return b.Bytes()
}

func TestGolden(t *testing.T) {
	for _, tc := range goldenCases() {
		t.Run(tc.name, func(t *testing.T) {
			got := archive(tc.generate(t))
			golden := filepath.Join("testdata", tc.name+".golden")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./ciconfig -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from the generated text (go test ./ciconfig -update rewrites it):\n%s", golden, firstDiff(want, got))
			}
		})
	}
}

// firstDiff shows the first line where want and got part.
func firstDiff(want, got []byte) string {
	w, g := strings.Split(string(want), "\n"), strings.Split(string(got), "\n")
	for i := 0; i < len(w) || i < len(g); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			return fmt.Sprintf("line %d:\n  want %q\n  got  %q", i+1, wl, gl)
		}
	}
	return "(same lines)"
}

func TestGenerateIsDeterministic(t *testing.T) {
	for _, tc := range goldenCases() {
		a, b := archive(tc.generate(t)), archive(tc.generate(t))
		if !bytes.Equal(a, b) {
			t.Errorf("%s: two runs differ", tc.name)
		}
	}
}
