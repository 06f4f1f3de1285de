package dockerfile

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/polyarch/polyarch/platform"
)

func parseOK(t *testing.T, src string, opts ...Option) *Plan {
	t.Helper()
	plan, err := Parse(context.Background(), []byte(src), opts...)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return plan
}

func TestDefaults(t *testing.T) {
	plan := parseOK(t, "FROM scratch\n")
	if plan.File != "Dockerfile" || plan.Escape != `\` || !platform.Equal(plan.BuildPlatform, platform.Host()) {
		t.Errorf("defaults: file %q escape %q build %v", plan.File, plan.Escape, plan.BuildPlatform)
	}
	if len(plan.Builds) != 1 || !platform.Equal(plan.Builds[0].Platform, platform.Host()) {
		t.Errorf("default target platform: %+v", plan.Builds)
	}
	_, err := Parse(context.Background(), []byte("FROM $X\n"), WithFile("app.Dockerfile"))
	if err == nil || !strings.HasPrefix(err.Error(), "app.Dockerfile:1: ") {
		t.Errorf("WithFile: error %v", err)
	}
}

func TestPlatformsDeduplicatedInOrder(t *testing.T) {
	plan := parseOK(t, "FROM scratch\n", WithPlatforms(
		platform.MustParse("linux/s390x"), platform.Platform{OS: "linux", Architecture: "arm"},
		platform.MustParse("linux/arm/v7"), platform.MustParse("linux/amd64")))
	var got []string
	for _, b := range plan.Builds {
		got = append(got, platform.Format(b.Platform))
	}
	if want := []string{"linux/s390x", "linux/arm/v7", "linux/amd64"}; !slices.Equal(got, want) {
		t.Errorf("builds %q, want %q", got, want)
	}
}

func TestUnusedBuildArgs(t *testing.T) {
	src := "ARG GLOBAL\nFROM alpine AS a\nARG USED\nFROM alpine AS unreached\nARG ONLY_UNREACHED\nFROM a\n"
	plan := parseOK(t, src, WithBuildArgs(map[string]string{
		"GLOBAL": "1", "USED": "1", "ONLY_UNREACHED": "1", "TYPO": "1", "TARGETARCH": "x",
		"https_proxy": "p", "BUILDKIT_INLINE_CACHE": "1",
	}))
	if want := []string{"ONLY_UNREACHED", "TYPO"}; !slices.Equal(plan.UnusedBuildArgs, want) {
		t.Errorf("unused %q, want %q", plan.UnusedBuildArgs, want)
	}
	if want := []KeyValue{{"https_proxy", "p"}}; !slices.Equal(plan.ProxyArgs, want) {
		t.Errorf("proxy args %v, want %v", plan.ProxyArgs, want)
	}
}

func TestCanceledContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Parse(ctx, []byte("FROM scratch\n")); !errors.Is(err, context.Canceled) {
		t.Errorf("err %v, want context.Canceled", err)
	}
}

func TestStageNamesAndPlatforms(t *testing.T) {
	src := `FROM alpine AS Builder
FROM --platform=$BUILDPLATFORM builder AS cross
FROM --platform=linux/riscv64 scratch AS rv
FROM --platform=$BUILDPLATFORM alpine AS tools
FROM cross
COPY --from=BUILDER /a /a
COPY --from=rv /b /b
RUN --mount=from=tools,target=/t true
COPY --from=0 /c /c
`
	b := parseOK(t, src, WithPlatforms(platform.MustParse("linux/arm64")),
		WithBuildPlatform(platform.MustParse("linux/amd64"))).Builds[0]
	want := map[int]string{0: "linux/arm64", 1: "linux/arm64", 2: "linux/riscv64", 3: "linux/amd64", 4: "linux/arm64"}
	for _, s := range b.Stages {
		if got := platform.Format(s.Platform); got != want[s.Index] {
			t.Errorf("stage %d (%s) runs on %s, want %s", s.Index, s.DisplayName(), got, want[s.Index])
		}
	}
	if len(b.Stages) != 5 {
		t.Fatalf("%d stages, want 5", len(b.Stages))
	}
	if b.Stage(0).Name != "builder" || b.Stage(4).DisplayName() != "stage-4" || b.Target().Index != 4 {
		t.Errorf("names: %q %q target %d", b.Stage(0).Name, b.Stage(4).DisplayName(), b.Target().Index)
	}
	if got := b.Target().DependsOn; !slices.Equal(got, []int{0, 1, 2, 3}) {
		t.Errorf("DependsOn %v, want [0 1 2 3]", got)
	}
	if b.Stage(1).Base.Kind != BaseStage || b.Stage(1).Base.Stage != 0 {
		t.Errorf("FROM builder: base %+v", b.Stage(1).Base)
	}
	if b.Stage(7) != nil {
		t.Error("Stage(7) should be nil")
	}
}

func TestUnreachedStagesAreNotChecked(t *testing.T) {
	// BuildKit only rejects a later-stage COPY --from in stages it builds.
	src := "FROM alpine AS a\nCOPY --from=b /x /x\nFROM alpine AS b\nRUN true\n"
	b := parseOK(t, src).Builds[0]
	if len(b.Stages) != 1 || b.Target().Name != "b" {
		t.Errorf("stages %+v", b.Stages)
	}
}

func TestFromLaterStageNameIsAnImage(t *testing.T) {
	b := parseOK(t, "FROM later\nFROM alpine AS later\nCOPY --from=0 / /\n").Builds[0]
	if base := b.Stage(0).Base; base.Kind != BaseImage || base.Image != "later" {
		t.Errorf("base %+v, want the image \"later\"", base)
	}
}

func TestJSONForms(t *testing.T) {
	plan := parseOK(t, "FROM scratch\nCOPY a b\n", WithBuildPlatform(platform.MustParse("linux/amd64")),
		WithPlatforms(platform.MustParse("linux/amd64")))
	indented, err := plan.JSON()
	if err != nil {
		t.Fatal(err)
	}
	compact, err := json.Marshal(plan)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, indented); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), compact) {
		t.Errorf("MarshalJSON and JSON differ:\n%s\n%s", buf.Bytes(), compact)
	}
	for _, key := range []string{`"line":2`, `"kind":"COPY"`, `"args":["a","b"]`, `"base":{"scratch":true}`} {
		if !bytes.Contains(compact, []byte(key)) {
			t.Errorf("JSON lacks %s: %s", key, compact)
		}
	}
}

func TestSyntaxDirective(t *testing.T) {
	for _, tt := range []struct {
		syntax string
		warn   bool
	}{
		{"docker/dockerfile:1", false},
		{"docker/dockerfile:1.7", false},
		{"docker.io/docker/dockerfile:1", false},
		{"docker/dockerfile", false},
		{"docker/dockerfile:1-labs", false},
		{"docker/dockerfile:1.4@sha256:9ba7531bd80fb0a858632727cf7a112fbfd19b17e94c4e84ced81e24ef1a0dbc", false},
		{"docker/dockerfile:0.9", true},
		{"example.com/frontend", true},
	} {
		plan := parseOK(t, "# syntax="+tt.syntax+"\nFROM scratch\n")
		if plan.Syntax != tt.syntax || (len(plan.Warnings) > 0) != tt.warn {
			t.Errorf("syntax %q: recorded %q, warnings %v", tt.syntax, plan.Syntax, plan.Warnings)
		}
	}
}

func TestFingerprint(t *testing.T) {
	src := `FROM --platform=$BUILDPLATFORM golang:1.22 AS tools
RUN go install example.com/tool@latest
FROM --platform=$BUILDPLATFORM golang:1.22 AS cross
ARG TARGETARCH
RUN GOARCH=$TARGETARCH go build
FROM alpine
COPY --from=tools /go/bin/tool /tool
COPY --from=cross /out /out
`
	plan := parseOK(t, src, WithBuildPlatform(platform.MustParse("linux/amd64")), WithPlatforms(
		platform.MustParse("linux/amd64"), platform.MustParse("linux/arm64"), platform.MustParse("linux/s390x")))
	fp := func(b, stage int) string { return plan.Builds[b].Stage(stage).Fingerprint }
	if fp(0, 0) == "" || fp(0, 0) != fp(1, 0) || fp(1, 0) != fp(2, 0) {
		t.Errorf("the tools stage should be shared: %s %s %s", fp(0, 0), fp(1, 0), fp(2, 0))
	}
	if fp(0, 1) == fp(1, 1) {
		t.Error("the cross stage depends on TARGETARCH but has one fingerprint")
	}
	if fp(0, 2) == fp(1, 2) || fp(0, 2) == fp(0, 0) {
		t.Error("per-platform stages share a fingerprint")
	}
	again := parseOK(t, src, WithBuildPlatform(platform.MustParse("linux/amd64")), WithPlatforms(platform.MustParse("linux/arm64")))
	if again.Builds[0].Stage(2).Fingerprint != fp(1, 2) {
		t.Error("fingerprints are not deterministic")
	}
}
