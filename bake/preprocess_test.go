package bake

import (
	"context"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/polyarch/polyarch/internal/testenv"
)

const cppTemplate = `ARG BASE=busybox
FROM $BASE
#if defined(ARCH_S390X)
#error "s390x is not supported by this image"
#endif
#ifdef ARCH_ARM64V8
RUN echo "an arm64 line"
#else
RUN echo "another arch"
#endif
RUN echo built for ARCH
`

// TestPreprocessCpp: Debian's cpp turns one template into each platform's
// Dockerfile; its #error for s390x marks that platform unsupported.
func TestPreprocessCpp(t *testing.T) {
	if _, err := exec.LookPath("cpp"); err != nil {
		testenv.Skip(t, "cpp is not installed (Debian package cpp; scripts/install-deps.sh installs it)")
	}
	dir := writeTree(t, map[string]string{
		"polyarch.yaml": `targets:
  app:
    context: app
    platforms: [linux/amd64, linux/arm64, linux/s390x]
    arch-tags: ["r/app:{arch}"]
    preprocess:
      template: Dockerfile.in
      command: [cpp, -P, -traditional, -D, "ARCH_{ARCH}", -D, "ARCH={arch}"]
  by-path:
    context: app
    platforms: [linux/arm/v7]
    arch-spelling: debian
    preprocess:
      template: Dockerfile.in
      command: [sed, "s/ARCH$/{arch}/", "{template}"]
`,
		"app/Dockerfile.in": cppTemplate,
	})
	rs := resolveAll(t, load(t, dir, nil))
	app := byName(t, rs, "app")
	amd, arm, s390 := app.Builds[0], app.Builds[1], app.Builds[2]
	if !arm.Preprocessed || !strings.Contains(string(arm.Source), `RUN echo "an arm64 line"`) || !strings.Contains(string(arm.Source), "RUN echo built for arm64v8") {
		t.Errorf("arm64 Dockerfile:\n%s", arm.Source)
	}
	if !strings.Contains(string(amd.Source), `RUN echo "another arch"`) || !strings.Contains(string(amd.Source), "built for amd64") {
		t.Errorf("amd64 Dockerfile:\n%s", amd.Source)
	}
	if s390.Unsupported != `#error "s390x is not supported by this image"` || s390.Source != nil {
		t.Errorf("s390x: unsupported %q", s390.Unsupported)
	}
	if !slices.Equal(arm.Images, []string{"index.docker.io/library/busybox:latest"}) {
		t.Errorf("images %v", arm.Images)
	}
	// {template} passes the path instead of stdin; debian spelling.
	bp := byName(t, rs, "by-path").Builds[0]
	if !strings.Contains(string(bp.Source), "RUN echo built for armhf") {
		t.Errorf("by-path:\n%s", bp.Source)
	}
}

func TestPreprocessErrors(t *testing.T) {
	dir := writeTree(t, map[string]string{"Dockerfile.in": "FROM scratch\n"})
	p := mustParse("linux/arm64")
	for _, c := range []struct {
		pp   Preprocess
		want string
	}{
		{Preprocess{Template: "Dockerfile.in"}, "command is empty"},
		{Preprocess{Command: []string{"cat"}}, "template is empty"},
		{Preprocess{Template: "Dockerfile.in", Command: []string{"sh", "-c", "echo broken >&2; exit 3"}}, "exit status 3\nbroken"},
		{Preprocess{Template: "Dockerfile.in", Command: []string{"true"}}, "printed nothing"},
		{Preprocess{Template: "missing.in", Command: []string{"cat"}}, "missing.in"},
	} {
		_, err := preprocess(context.Background(), dir, &c.pp, p, "arm64v8", "20240101")
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: err = %v, want %q", c.pp, err, c.want)
		}
	}
	_, err := preprocess(context.Background(), dir, &Preprocess{Template: "Dockerfile.in", Command: []string{"sh", "-c", "echo 'x:1:2: error: #error no {arch} here' >&2; exit 1"}}, p, "arm64v8", "")
	if ue, ok := err.(*UnsupportedError); !ok || ue.Message != "#error no arm64v8 here" || ue.Platform != "linux/arm64" {
		t.Errorf("#error: %v", err)
	}
}
