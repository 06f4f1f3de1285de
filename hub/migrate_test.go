package hub

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rhysd/actionlint"
	"gopkg.in/yaml.v3"

	"github.com/polyarch/polyarch/ciconfig"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// migrateCases are the fixture repositories in testdata/migrate.
var migrateCases = []string{"perarch", "suffix", "archarg", "modern", "clean"}

// golden compares got with testdata/<name>, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./hub -run %s -update)", err, t.Name())
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test ./hub -update rewrites it):\n%s", name, got)
	}
}

func inspect(t *testing.T, name string) *Project {
	t.Helper()
	p, err := Inspect(filepath.Join("testdata", "migrate", name), MigrateOptions{})
	if err != nil {
		t.Fatalf("Inspect(%s): %v", name, err)
	}
	return p
}

// TestMigrateGolden renders each fixture repository's polyarch.yaml and
// its GitHub workflow; -update rewrites them.
func TestMigrateGolden(t *testing.T) {
	for _, name := range migrateCases {
		t.Run(name, func(t *testing.T) {
			p := inspect(t, name)
			golden(t, "migrate/"+name+".yaml.golden", p.YAML())
			files, err := p.CI(ciconfig.GitHub, CIOptions{})
			if err != nil {
				t.Fatal(err)
			}
			golden(t, "migrate/"+name+".github.golden", files[0].Content)
		})
	}
	p := inspect(t, "perarch")
	for _, prov := range []ciconfig.Provider{ciconfig.GitLab, ciconfig.Travis} {
		files, err := p.CI(prov, CIOptions{Branches: []string{"master"}, PolyarchVersion: "v0.4.0"})
		if err != nil {
			t.Fatal(err)
		}
		golden(t, "migrate/perarch."+string(prov)+".golden", files[0].Content)
	}
}

// projectFile is polyarch.yaml's format as the bake package reads it.
type projectFile struct {
	Variables map[string]struct{ Default string }
	Groups    map[string][]string
	Rewrites  map[string]struct{ Image, Platform string }
	Targets   map[string]struct {
		Context               string
		Dockerfile            string
		DockerfilePerPlatform map[string]yaml.Node `yaml:"dockerfile-per-platform"`
		Platforms             []string
		Tags                  []string
		ArchTags              []string `yaml:"arch-tags"`
		ArchSpelling          string   `yaml:"arch-spelling"`
		Args                  map[string]string
	}
}

// TestMigrateYAMLReadsBack parses every generated polyarch.yaml strictly
// (no unknown keys) and checks what the layouts must give.
func TestMigrateYAMLReadsBack(t *testing.T) {
	read := func(name string) projectFile {
		var pf projectFile
		dec := yaml.NewDecoder(bytes.NewReader(inspect(t, name).YAML()))
		dec.KnownFields(true)
		if err := dec.Decode(&pf); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return pf
	}
	pa := read("perarch")
	ng := pa.Targets["nginx"]
	arm64, arm := ng.DockerfilePerPlatform["linux/arm64"], ng.DockerfilePerPlatform["linux/arm/v7"]
	if ng.Context != "nginx" || ng.Dockerfile != "Dockerfile" || arm64.Value != "arm64v8/Dockerfile" || arm.Value != "arm32v7/Dockerfile" ||
		strings.Join(ng.Platforms, ",") != "linux/amd64,linux/arm64,linux/arm/v7" || ng.ArchSpelling != "bashbrew" {
		t.Errorf("perarch nginx: %+v", ng)
	}
	if pa.Variables["REGISTRY"].Default != "docker.io/acme" || strings.Join(pa.Groups["default"], ",") != "nginx,web" {
		t.Errorf("perarch: variables %v groups %v", pa.Variables, pa.Groups)
	}
	if r := pa.Rewrites["arm64v8/nginx:1.15-alpine"]; r.Image != "nginx:1.15-alpine" || r.Platform != "linux/arm64" {
		t.Errorf("perarch rewrite: %+v", r)
	}
	su := read("suffix")
	if r := su.Rewrites["multiarch/alpine:aarch64-edge"]; r.Image != "alpine:edge" || r.Platform != "linux/arm64" {
		t.Errorf("suffix rewrite: %+v", r)
	}
	if app := su.Targets["app"]; app.DockerfilePerPlatform["linux/arm/v7"].Value != "Dockerfile.armhf" || len(app.Platforms) != 4 {
		t.Errorf("suffix app: %+v", app)
	}
	aa := read("archarg")
	if tg := aa.Targets["archarg"]; strings.Join(tg.Platforms, ",") != "linux/amd64,linux/arm64,linux/arm/v7" || tg.Context != "." {
		t.Errorf("archarg: %+v", tg)
	}
	if len(aa.Rewrites) != 3 {
		t.Errorf("archarg rewrites: %v", aa.Rewrites)
	}
	var folder struct{ Dockerfile, Context string }
	if n := read("clean").Targets["tool"].DockerfilePerPlatform["linux/arm/v7"]; n.Decode(&folder) != nil || folder.Dockerfile != "Dockerfile" || folder.Context != "arm32v7" {
		t.Errorf("clean tool arm/v7: %+v", folder)
	}
}

// TestMigrateFindings checks that the legacy habits are reported where
// they are.
func TestMigrateFindings(t *testing.T) {
	want := map[string][]string{
		"perarch": {
			"nginx/arm32v7/Dockerfile:1: FROM i386/nginx:1.15-alpine is a linux/386 image, but this Dockerfile builds linux/arm/v7",
			"nginx/arm64v8/Dockerfile:2: COPY qemu-aarch64-static: not needed",
			"nginx/arm64v8/Dockerfile: copies nginx.conf from nginx and arm.conf from nginx/arm64v8",
			"nginx/hooks/pre_build:3: registers QEMU with a privileged container",
			"nginx/hooks/pre_build:4: downloads a static QEMU",
		},
		"suffix":  {"app/Dockerfile.armhf:2: resin's cross-build-start", "app/Dockerfile.i386:1: FROM multiarch/alpine:x86_64-v3.8 is a linux/amd64 image"},
		"archarg": {".travis.yml:8: registers QEMU", "Dockerfile:2: ARG ARCH chooses a per-arch base", "Dockerfile:4: COPY qemu-${QEMU_ARCH}-static"},
		"modern":  nil,
		"clean":   nil,
	}
	for name, wants := range want {
		var got []string
		for _, f := range inspect(t, name).Findings {
			got = append(got, f.String())
		}
		all := strings.Join(got, "\n")
		for _, w := range wants {
			if !strings.Contains(all, w) {
				t.Errorf("%s: no finding %q in:\n%s", name, w, all)
			}
		}
		if wants == nil && len(got) > 0 {
			t.Errorf("%s: unexpected findings:\n%s", name, all)
		}
	}
}

// TestMigrateCILints runs actionlint over the generated bake workflows and
// parses the GitLab and Travis files.
func TestMigrateCILints(t *testing.T) {
	for _, name := range migrateCases {
		p := inspect(t, name)
		for _, prov := range []ciconfig.Provider{ciconfig.GitHub, ciconfig.GitLab, ciconfig.Travis} {
			files, err := p.CI(prov, CIOptions{})
			if err != nil {
				t.Fatalf("%s %s: %v", name, prov, err)
			}
			for _, f := range files {
				var doc map[string]any
				if err := yaml.Unmarshal(f.Content, &doc); err != nil {
					t.Errorf("%s: %s: %v", name, f.Path, err)
				}
				if prov != ciconfig.GitHub {
					continue
				}
				var out bytes.Buffer
				l, err := actionlint.NewLinter(&out, &actionlint.LinterOptions{Oneline: true})
				if err != nil {
					t.Fatal(err)
				}
				errs, err := l.Lint(f.Path, f.Content, nil)
				if err != nil {
					t.Fatal(err)
				}
				for _, e := range errs {
					t.Errorf("%s: %s:%d:%d: %s [%s]", name, f.Path, e.Line, e.Column, e.Message, e.Kind)
				}
			}
		}
	}
	if _, err := inspect(t, "perarch").CI(ciconfig.DockerHub, CIOptions{}); err == nil {
		t.Error("CI for dockerhub: want an error")
	}
}

// TestLegacyBase is the table of legacy base images and what replaces them.
func TestLegacyBase(t *testing.T) {
	cases := []struct{ in, image, platform string }{
		{"arm64v8/debian", "debian", "linux/arm64"},
		{"arm64v8/debian:stretch-slim", "debian:stretch-slim", "linux/arm64"},
		{"docker.io/arm32v7/nginx:1.15", "nginx:1.15", "linux/arm/v7"},
		{"arm32v6/alpine:3.8", "alpine:3.8", "linux/arm/v6"},
		{"i386/ubuntu:18.04", "ubuntu:18.04", "linux/386"},
		{"ppc64le/python:3", "python:3", "linux/ppc64le"},
		{"s390x/busybox", "busybox", "linux/s390x"},
		{"multiarch/alpine:aarch64-edge", "alpine:edge", "linux/arm64"},
		{"multiarch/alpine:armhf-v3.8", "alpine:3.8", "linux/arm/v7"},
		{"multiarch/alpine:x86_64-latest-stable", "alpine:latest", "linux/amd64"},
		{"multiarch/debian-debootstrap:arm64-stretch", "debian:stretch", "linux/arm64"},
		{"multiarch/ubuntu-core:armhf-xenial", "ubuntu:xenial", "linux/arm/v7"},
		{"multiarch/ubuntu-debootstrap:ppc64el-bionic", "ubuntu:bionic", "linux/ppc64le"},
		{"resin/armv7hf-debian:stretch", "debian:stretch", "linux/arm/v7"},
		{"balenalib/aarch64-alpine:3.9", "alpine:3.9", "linux/arm64"},
		{"debian:stretch", "", ""},
		{"multiarch/qemu-user-static:register", "", ""},
		{"multiarch/alpine:latest", "", ""},
		{"acme/arm64v8", "", ""},
		{"arm64/debian", "", ""}, // not a docker-library namespace
		{"${ARCH}/debian", "", ""},
		{"resin/rpi-raspbian:stretch", "", ""},
		{"ghcr.io/arm64v8/debian", "", ""},
	}
	for _, c := range cases {
		img, p, ok := LegacyBase(c.in)
		got := ""
		if ok {
			got = img + " " + p.OS + "/" + p.Architecture
			if p.Variant != "" {
				got += "/" + p.Variant
			}
		}
		want := ""
		if c.image != "" {
			want = c.image + " " + c.platform
		}
		if got != want {
			t.Errorf("LegacyBase(%q) = %q, want %q", c.in, got, want)
		}
	}
}

func TestRepoComponent(t *testing.T) {
	for in, want := range map[string]string{"My App": "my-app", "nginx": "nginx", "__": "image", "Web.Site_2": "web.site_2", "-x-": "x"} {
		if got := RepoComponent(in); got != want {
			t.Errorf("RepoComponent(%q) = %q, want %q", in, got, want)
		}
	}
}
