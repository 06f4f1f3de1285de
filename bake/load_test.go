package bake

import (
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

const projectYAML = `variables:
  REGISTRY: {default: "localhost:5000"}
  NS: {default: "${REGISTRY}/team", description: "where images go"}
  VERSION: "1.2"
groups:
  default: [web, all-tools]
  all-tools: [tools]
rewrites:
  "multiarch/alpine:aarch64-edge": {image: "alpine:edge", platform: aarch64}
  "arm64v8/debian": {image: "debian", platform: linux/arm64}
  "arm32v7/": {image: "${REGISTRY}/library/", platform: armhf}
targets:
  web:
    context: web
    dockerfile: Dockerfile
    dockerfile-per-platform:
      linux/arm64: arm64v8/Dockerfile
      armhf: {dockerfile: Dockerfile, context: arm32v7}
    platforms: [linux/amd64, linux/arm64, linux/arm/v7]
    tags: ["${NS}/web:latest", "${NS}/web:${VERSION}"]
    arch-tags: ["${NS}/web:{arch}", "${NS}/web:{arch}-{date}"]
    arch-spelling: debian
    args: {VERSION: "${VERSION}", LITERAL: "$$HOME"}
    labels: {team: web}
    target: runtime
    cache-from: ["type=registry,ref=c/web"]
    cache-to: ["type=registry,ref=c/web,mode=max"]
    outputs: ["type=oci,dest=web.tar"]
    push: true
    preprocess:
      template: Dockerfile.in
      command: [cpp, -P, -D, "ARCH_{ARCH}"]
    depends-on: [tools]
  tools: {}
`

func TestLoadPolyarchYAML(t *testing.T) {
	dir := writeTree(t, map[string]string{"polyarch.yaml": projectYAML})
	p := load(t, dir, map[string]string{"VERSION": "2.0"})
	if p.Discovered || len(p.Files) != 1 || p.Dir != dir {
		t.Fatalf("project %+v", p)
	}
	w := p.Targets["web"]
	push := true
	want := &Target{Name: "web", Dir: dir, Context: "web", Dockerfile: "Dockerfile",
		DockerfilePerPlatform: map[string]PlatformFile{"linux/arm64": {Dockerfile: "arm64v8/Dockerfile"}, "armhf": {Dockerfile: "Dockerfile", Context: "arm32v7"}},
		Platforms:             []string{"linux/amd64", "linux/arm64", "linux/arm/v7"},
		Tags:                  []string{"localhost:5000/team/web:latest", "localhost:5000/team/web:2.0"},
		ArchTags:              []string{"localhost:5000/team/web:{arch}", "localhost:5000/team/web:{arch}-{date}"},
		ArchSpelling:          "debian", Args: map[string]string{"VERSION": "2.0", "LITERAL": "$HOME"}, Labels: map[string]string{"team": "web"},
		Target: "runtime", CacheFrom: []string{"type=registry,ref=c/web"}, CacheTo: []string{"type=registry,ref=c/web,mode=max"},
		Outputs: []string{"type=oci,dest=web.tar"}, Push: &push,
		Preprocess: &Preprocess{Template: "Dockerfile.in", Command: []string{"cpp", "-P", "-D", "ARCH_{ARCH}"}},
		DependsOn:  []string{"tools"}}
	if !reflect.DeepEqual(w, want) {
		t.Errorf("web =\n%+v\nwant\n%+v", w, want)
	}
	wantRules := []Rewrite{
		{From: "multiarch/alpine:aarch64-edge", Image: "alpine:edge", Platform: "linux/arm64"},
		{From: "arm64v8/debian", Image: "debian", Platform: "linux/arm64"},
		{From: "arm32v7/", Image: "localhost:5000/library/", Platform: "linux/arm/v7"},
	}
	if !reflect.DeepEqual(p.Rewrites, wantRules) {
		t.Errorf("rewrites = %+v", p.Rewrites)
	}
	sel, err := p.Select(nil)
	if err != nil || !slices.Equal(sel, []string{"web", "tools"}) {
		t.Errorf("default selection %v, %v", sel, err)
	}
	if sel, _ := p.Select([]string{"all-tools", "tools", "web"}); !slices.Equal(sel, []string{"tools", "web"}) {
		t.Errorf("selection %v", sel)
	}
}

func TestLoadErrors(t *testing.T) {
	for name, c := range map[string]struct{ yaml, want string }{
		"unknown target key":   {"targets:\n  a:\n    contxt: .\n", `polyarch.yaml:3: target a: unknown key "contxt"`},
		"unknown top key":      {"target:\n  a: {}\n", `unknown key "target"`},
		"undefined variable":   {"targets:\n  a:\n    tags: [\"${NOPE}/a\"]\n", "${NOPE}: no such variable"},
		"variable cycle":       {"variables:\n  A: {default: \"${B}\"}\n  B: {default: \"${A}\"}\ntargets:\n  a:\n    tags: [\"${A}\"]\n", "refers to itself"},
		"unclosed":             {"targets:\n  a:\n    tags: [\"${A\"]\n", "without a closing }"},
		"bad rewrite":          {"rewrites:\n  \"x\": {platform: linux/arm64}\n", `rewrite "x": image: is empty`},
		"bad rewrite platform": {"rewrites:\n  \"x\": {image: y, platform: linux/arm99}\n", "arm99"},
		"not a mapping":        {"- a\n", "want a mapping"},
		"bad preprocess key":   {"targets:\n  a:\n    preprocess: {templ: x}\n", `preprocess: unknown key "templ"`},
		"alias":                {"x: &a 1\ntargets:\n  a:\n    context: *a\n", "aliases"},
	} {
		t.Run(name, func(t *testing.T) {
			dir := writeTree(t, map[string]string{"polyarch.yaml": c.yaml})
			_, err := Load(dir, nil, env(nil))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want %q", err, c.want)
			}
		})
	}
}

func TestVariables(t *testing.T) {
	v := newVars(map[string]string{"REG": "localhost:5000", "IMG": "${REG}/app", "EMPTY": ""}, env(map[string]string{"REG": "10.0.0.1:5000"}))
	for in, want := range map[string]string{
		"${IMG}:1":          "10.0.0.1:5000/app:1",
		"${MISSING:-x}":     "x",
		"${EMPTY:-dflt}":    "dflt",
		"${EMPTY-dflt}":     "",
		"${MISSING-${REG}}": "10.0.0.1:5000",
		"$$REG ${REG}":      "$REG 10.0.0.1:5000",
		"$REG stays":        "$REG stays",
		"no vars":           "no vars",
		"trailing $":        "trailing $",
	} {
		got, err := v.expand(in)
		if err != nil || got != want {
			t.Errorf("expand(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := v.expand("${1X}"); err == nil {
		t.Error("${1X} accepted")
	}
	lenient := newVars(nil, env(map[string]string{"HOME": "/root"}))
	lenient.lenient = true
	if got, err := lenient.expand("${HOME}:${UNSET}"); err != nil || got != "/root:" {
		t.Errorf("compose expansion = %q, %v", got, err)
	}
}

const bakeJSON = `{
  "variable": {"TAG": {"default": "dev"}, "REG": {"default": "r.example"}},
  "group": {"default": {"targets": ["app"]}},
  "target": {
    "common": {"args": {"BASE": "alpine", "FROM_ENV": null}, "platforms": ["linux/amd64", "linux/arm64"]},
    "app": {
      "inherits": ["common"],
      "context": "app",
      "dockerfile": "Dockerfile.app",
      "tags": ["${REG}/app:${TAG}"],
      "args": {"EXTRA": "1"},
      "labels": {"a": "b"},
      "target": "final",
      "cache-from": ["type=local,src=/c"],
      "output": ["type=registry"],
      "pull": true
    }
  }
}`

func TestLoadBakeJSON(t *testing.T) {
	dir := writeTree(t, map[string]string{"docker-bake.json": bakeJSON})
	p := load(t, dir, map[string]string{"TAG": "v3", "FROM_ENV": "e"})
	a := p.Targets["app"]
	want := &Target{Name: "app", Dir: dir, Context: "app", Dockerfile: "Dockerfile.app", Platforms: []string{"linux/amd64", "linux/arm64"},
		Tags: []string{"r.example/app:v3"}, Args: map[string]string{"BASE": "alpine", "FROM_ENV": "e", "EXTRA": "1"},
		Labels: map[string]string{"a": "b"}, Target: "final", CacheFrom: []string{"type=local,src=/c"}, Outputs: []string{"type=registry"}}
	if !reflect.DeepEqual(a, want) {
		t.Errorf("app =\n%+v\nwant\n%+v", a, want)
	}
	if sel, _ := p.Select(nil); !slices.Equal(sel, []string{"app"}) {
		t.Errorf("default group: %v", sel)
	}
	for name, c := range map[string]struct{ json, want string }{
		"inline":       {`{"target": {"a": {"dockerfile-inline": "FROM x"}}}`, "an inline Dockerfile is not supported"},
		"contexts":     {`{"target": {"a": {"contexts": {"x": "y"}}}}`, "target a: named contexts"},
		"inherits":     {`{"target": {"a": {"inherits": ["b"]}}}`, `inherits from "b", which is not defined`},
		"inherits cyc": {`{"target": {"a": {"inherits": ["b"]}, "b": {"inherits": ["a"]}}}`, "inherits cycle"},
	} {
		dir := writeTree(t, map[string]string{"docker-bake.json": c.json})
		if _, err := Load(dir, nil, env(nil)); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want %q", name, err, c.want)
		}
	}
}

const composeYAML = `services:
  db:
    image: postgres:16
  web:
    image: ${REG:-localhost:5000}/web:${TAG}
    build:
      context: ./web
      dockerfile: Containerfile
      args: [A=1, FROM_ENV, NOT_SET]
      labels: {x: "y"}
      target: prod
      platforms: [linux/amd64, linux/arm64]
      tags: [extra/web:1]
      cache_from: ["type=registry,ref=c"]
      cache_to: [type=inline]
  worker:
    build: ./worker
`

func TestLoadCompose(t *testing.T) {
	dir := writeTree(t, map[string]string{"compose.yaml": composeYAML})
	p := load(t, dir, map[string]string{"TAG": "7", "FROM_ENV": "env"})
	if _, ok := p.Targets["db"]; ok {
		t.Error("a service without build: became a target")
	}
	want := &Target{Name: "web", Dir: dir, Context: "./web", Dockerfile: "Containerfile", Args: map[string]string{"A": "1", "FROM_ENV": "env"},
		Labels: map[string]string{"x": "y"}, Target: "prod", Platforms: []string{"linux/amd64", "linux/arm64"},
		Tags: []string{"localhost:5000/web:7", "extra/web:1"}, CacheFrom: []string{"type=registry,ref=c"}, CacheTo: []string{"type=inline"}}
	if w := p.Targets["web"]; !reflect.DeepEqual(w, want) {
		t.Errorf("web =\n%+v\nwant\n%+v", w, want)
	}
	if w := p.Targets["worker"]; w == nil || w.Context != "./worker" {
		t.Errorf("worker = %+v", w)
	}
}

// TestLoadMergesDefaultFiles: compose, docker-bake.json and polyarch.yaml in
// one directory are all read; polyarch.yaml's fields win.
func TestLoadMergesDefaultFiles(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"compose.yaml":     "services:\n  web:\n    image: c/web\n    build: {context: web, args: {A: compose, B: compose}}\n",
		"docker-bake.json": `{"target": {"web": {"args": {"B": "bake"}, "platforms": ["linux/amd64"]}, "other": {}}}`,
		"polyarch.yaml":    "targets:\n  web:\n    platforms: [linux/arm64]\n    arch-tags: [\"c/web:{arch}\"]\n",
	})
	p := load(t, dir, nil)
	if len(p.Files) != 3 {
		t.Fatalf("files %v", p.Files)
	}
	w := p.Targets["web"]
	if w.Context != "web" || !slices.Equal(w.Tags, []string{"c/web"}) || !slices.Equal(w.Platforms, []string{"linux/arm64"}) ||
		!reflect.DeepEqual(w.Args, map[string]string{"A": "compose", "B": "bake"}) || len(w.ArchTags) != 1 {
		t.Errorf("merged web = %+v", w)
	}
	if _, ok := p.Targets["other"]; !ok {
		t.Error("docker-bake.json's other target is missing")
	}
	// --file reads only that file; its directory is the project's.
	p2, err := Load(t.TempDir(), []string{filepath.Join(dir, "docker-bake.json")}, env(nil))
	if err != nil || len(p2.Targets) != 2 || p2.Dir != dir {
		t.Fatalf("--file: %+v %v", p2, err)
	}
}
