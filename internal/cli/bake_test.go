package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"

	"github.com/polyarch/polyarch/bake"
	"github.com/polyarch/polyarch/build"
)

// bakeProject writes a project: base (Dockerfile.<arch> files), app built
// FROM base's tag, and a lone image.
func bakeProject(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"polyarch.yaml": `variables:
  REG: {default: "localhost:5000"}
targets:
  base:
    context: base
    tags: ["${REG}/base:latest"]
    arch-tags: ["${REG}/base:{arch}"]
  app:
    context: app
    platforms: [linux/amd64, linux/arm64]
    tags: ["${REG}/app:1"]
    args: {BASE: "${REG}/base"}
  lone:
    context: lone
`,
		"base/Dockerfile.amd64":   "FROM busybox\n",
		"base/Dockerfile.aarch64": "FROM arm64v8/busybox\n",
		"app/Dockerfile":          "ARG BASE\nFROM $BASE\n",
		"lone/Dockerfile":         "FROM scratch\n",
	}
	for p, c := range files {
		os.MkdirAll(filepath.Join(dir, filepath.Dir(p)), 0o755)
		if err := os.WriteFile(filepath.Join(dir, p), []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, "polyarch.yaml")
}

func TestBakePrint(t *testing.T) {
	file := bakeProject(t)
	out, _, err := runCLI(t, "bake", "--print", "-f", file, "--set", "lone.platform=linux/s390x,linux/riscv64", "--set", "*.args.X=1")
	if err != nil {
		t.Fatal(err)
	}
	var plan struct {
		Order  []string
		Target map[string]bake.Resolved
	}
	if err := json.Unmarshal([]byte(out), &plan); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !slices.Equal(plan.Order, []string{"base", "lone", "app"}) {
		t.Errorf("order %v", plan.Order)
	}
	app := plan.Target["app"]
	if !slices.Equal(app.DependsOn, []string{"base"}) || app.Args["X"] != "1" || len(app.Builds) != 2 || !slices.Equal(app.Builds[1].Needs, []string{"base"}) {
		t.Errorf("app %+v", app)
	}
	base := plan.Target["base"]
	if !slices.Equal(base.Platforms, []string{"linux/amd64", "linux/arm64"}) || base.Builds[1].ArchTags[0] != "localhost:5000/base:arm64v8" ||
		!strings.HasSuffix(base.Builds[1].Dockerfile, "base/Dockerfile.aarch64") {
		t.Errorf("base %+v", base)
	}
	if lone := plan.Target["lone"]; !slices.Equal(lone.Platforms, []string{"linux/s390x", "linux/riscv64"}) {
		t.Errorf("lone platforms %v", lone.Platforms)
	}
	// Selecting a target builds only it; a group name that does not exist is an error.
	out, _, err = runCLI(t, "bake", "--print", "-f", file, "app")
	if err != nil || !strings.Contains(out, `"order": [`+"\n"+`    "app"`+"\n  ]") {
		t.Errorf("app alone: %v\n%s", err, out)
	}
	if _, _, err := runCLI(t, "bake", "--print", "-f", file, "nope"); err == nil || !strings.Contains(err.Error(), `no target or group "nope"`) {
		t.Errorf("unknown target: %v", err)
	}
	if _, _, err := runCLI(t, "bake", "--print", "-f", file, "--push", "lone"); err == nil || !strings.Contains(err.Error(), "target lone: push needs a name") {
		t.Errorf("--push without tags: %v", err)
	}
	if _, _, err := runCLI(t, "bake", "-f", file, "--progress", "fancy", "lone", "app"); err == nil || !strings.Contains(err.Error(), `--progress "fancy"`) {
		t.Errorf("bad --progress: %v", err)
	}
}

func TestGroupBuilds(t *testing.T) {
	same := []byte("FROM scratch\n")
	bs := []*bake.Build{
		{Platform: "linux/amd64", Context: "c", Dockerfile: "D", Source: same},
		{Platform: "linux/arm64", Context: "c/arm64v8", Dockerfile: "c/arm64v8/D", Source: same},
		{Platform: "linux/s390x", Context: "c", Dockerfile: "D", Source: same},
		{Platform: "linux/arm/v7", Context: "c", Dockerfile: "D", Source: []byte("FROM --platform=linux/arm/v7 x\n")},
	}
	if got := groupBuilds(bs); len(got) != 3 || !slices.Equal(got[0], []int{0, 2}) || !slices.Equal(got[1], []int{1}) || !slices.Equal(got[2], []int{3}) {
		t.Errorf("groups %v", got)
	}
	bs[1].Unsupported = "#error"
	if got := buildable(bs); len(got) != 3 || bs[1].Unsupported == "" {
		t.Errorf("buildable %v", got)
	}
}

func TestPlatformImage(t *testing.T) {
	img, _ := random.Image(16, 1)
	boom := errors.New("boom")
	partial := &build.PartialError{Failed: 1, Total: 2, First: boom}
	res := &build.Result{Images: []v1.Image{img, nil}, Errors: []error{nil, boom}}
	for _, c := range []struct {
		res  *build.Result
		err  error
		k    int
		want error
	}{
		{res, partial, 0, nil},
		{res, partial, 1, boom},
		{&build.Result{Images: []v1.Image{img}}, nil, 0, nil},
		{nil, boom, 0, boom},
		{&build.Result{Images: []v1.Image{img}}, boom, 0, boom},
	} {
		got, err := platformImage(c.res, c.err, c.k)
		if !errors.Is(err, c.want) || (err == nil) != (got != nil) {
			t.Errorf("platformImage(%v, %d) = %v, %v; want %v", c.err, c.k, got, err, c.want)
		}
	}
	if _, err := platformImage(&build.Result{}, nil, 0); err == nil {
		t.Error("no image, no error")
	}
}

// TestLineWriter: concurrent builds' lines keep whole, with their target.
func TestLineWriter(t *testing.T) {
	var out bytes.Buffer
	var mu sync.Mutex
	plain := &lineWriter{mu: &mu, w: &out, target: "web"}
	js := &lineWriter{mu: &mu, w: &out, target: "db", json: true}
	plain.Write([]byte("[linux/arm64 stage-0 1/2] RUN x\n[linux/arm64"))
	js.Write([]byte(`{"kind":"start"}` + "\n" + "warning: not json\n{}\n"))
	plain.Write([]byte(" stage-0 2/2] DONE\npartial"))
	plain.flush()
	want := `web | [linux/arm64 stage-0 1/2] RUN x
{"target":"db","kind":"start"}
db | warning: not json
db | {}
web | [linux/arm64 stage-0 2/2] DONE
web | partial
`
	if out.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", out.String(), want)
	}
}
