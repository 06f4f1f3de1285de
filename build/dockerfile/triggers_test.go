package dockerfile

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/polyarch/polyarch/platform"
)

func TestParseTriggers(t *testing.T) {
	got, err := ParseTriggers([]string{
		"ARG APP=${NAME:-app}",
		"COPY --from=builder --chown=$U . /src/$APP",
		"COPY --from=2 /x /x",
		"RUN --mount=type=cache,target=$CACHE make",
		"EXPOSE $PORT",
		"RUN <<EOF\necho hi\nEOF",
	})
	if err != nil {
		t.Fatal(err)
	}
	var kinds []Kind
	for _, in := range got {
		if !in.OnBuild || in.Line != 0 {
			t.Errorf("%s: OnBuild %v line %d, want true and 0", in.Source, in.OnBuild, in.Line)
		}
		kinds = append(kinds, in.Kind())
	}
	if want := []Kind{KindArg, KindCopy, KindCopy, KindRun, KindExpose, KindRun}; !slices.Equal(kinds, want) {
		t.Fatalf("kinds %v, want %v", kinds, want)
	}
	if a := got[0].Command.(*ArgCmd).Args[0]; a.String() != "APP=${NAME:-app}" {
		t.Errorf("ARG = %s, want the default unexpanded", a)
	}
	c := got[1].Command.(*Copy)
	if c.From.Kind != OriginImage || c.From.Image != "builder" || c.Dest != "/src/$APP" || c.Chown != "$U" {
		t.Errorf("COPY = %+v", c)
	}
	if c := got[2].Command.(*Copy); c.From.Kind != OriginStage || c.From.Stage != 2 {
		t.Errorf("COPY --from=2 = %+v", c.From)
	}
	if m := got[3].Command.(*Run).Mounts[0]; m.Type != MountCache || m.Target != "$CACHE" {
		t.Errorf("mount = %+v", m)
	}
	if p := got[4].Command.(*Expose).Ports; !slices.Equal(p, []string{"$PORT"}) {
		t.Errorf("EXPOSE = %q", p)
	}
	if h := got[5].Command.(*Run).Heredocs; len(h) != 1 || h[0].Data != "echo hi\n" {
		t.Errorf("heredocs = %+v", h)
	}
}

func TestParseTriggersErrors(t *testing.T) {
	for _, tr := range []string{"ONBUILD RUN x", "FROM alpine", "MAINTAINER me", "RUN a\nRUN b", "BOGUS x", "COPY a"} {
		if _, err := ParseTriggers([]string{tr}); err == nil {
			t.Errorf("ParseTriggers(%q) succeeded, want an error", tr)
		}
	}
}

const resolveSrc = `FROM scratch AS extra
COPY x /x
FROM golang:1.22 AS build
WORKDIR src
ENV GOFLAGS=-mod=vendor CACHE=$GOPATH/cache
RUN go build
FROM build AS final
WORKDIR ../out
`

func parseForResolve(t *testing.T, src string) *Build {
	t.Helper()
	plan, err := Parse(context.Background(), []byte(src),
		WithPlatforms(platform.MustParse("linux/arm64")), WithBuildPlatform(platform.MustParse("linux/amd64")))
	if err != nil {
		t.Fatal(err)
	}
	return plan.Builds[0]
}

func TestResolveUsesImageConfig(t *testing.T) {
	b := parseForResolve(t, resolveSrc)
	if got := b.Missing(); !slices.Equal(got, []int{1}) {
		t.Fatalf("Missing() = %v, want [1]", got)
	}
	if b.Stage(0) != nil {
		t.Fatal("stage extra is not needed before the triggers are known")
	}
	if wd := b.Stage(1).Instructions[0].Command.(*Workdir); wd.Dir != "" {
		t.Errorf("unresolved WORKDIR dir = %q, want empty", wd.Dir)
	}
	r, err := b.Resolve(map[int]ImageConfig{1: {
		Env:        []string{"PATH=/go/bin:/usr/bin", "GOPATH=/go"},
		WorkingDir: "/go",
		OnBuild:    []string{"COPY --from=extra /x /x", "ENV FROM_TRIGGER=$GOPATH"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Missing()) != 0 {
		t.Errorf("Missing() after Resolve = %v", r.Missing())
	}
	s := r.Stage(1)
	if !s.Resolved || !r.Target().Resolved {
		t.Error("stages not marked resolved")
	}
	if !slices.Equal(s.DependsOn, []int{0}) || r.Stage(0) == nil {
		t.Errorf("the trigger's COPY --from=extra did not add stage 0: deps %v", s.DependsOn)
	}
	var got []string
	for _, in := range s.Instructions {
		args, _ := in.Command.render()
		got = append(got, string(in.Kind())+" "+strings.Join(args, " "))
	}
	want := []string{
		"COPY /x /x", "ENV FROM_TRIGGER=/go", "WORKDIR src",
		"ENV GOFLAGS=-mod=vendor CACHE=/go/cache", "RUN go build",
	}
	if !slices.Equal(got, want) {
		t.Errorf("instructions:\n got %q\nwant %q", got, want)
	}
	if !s.Instructions[0].OnBuild || s.Instructions[0].Line != 3 {
		t.Errorf("trigger: OnBuild %v line %d, want true and the FROM line 3", s.Instructions[0].OnBuild, s.Instructions[0].Line)
	}
	if wd := s.Instructions[2].Command.(*Workdir); wd.Dir != "/go/src" {
		t.Errorf("WORKDIR dir = %q, want /go/src", wd.Dir)
	}
	if wd := r.Target().Final.Workdir; wd != "/go/out" {
		t.Errorf("final workdir of the child = %q, want /go/out", wd)
	}
	if env := s.Final.Config; !slices.Contains(env, "PATH=/go/bin:/usr/bin") || slices.Contains(env, "PATH="+defaultPath) {
		t.Errorf("config env %q should keep the image PATH", env)
	}
	if b.Stage(1).Resolved || len(b.Stage(1).Instructions) != 3 {
		t.Error("Resolve modified its receiver")
	}
}

func TestResolveAccumulatesAndIsConcurrent(t *testing.T) {
	b := parseForResolve(t, resolveSrc)
	r1, err := b.Resolve(map[int]ImageConfig{1: {Env: []string{"GOPATH=/go"}}})
	if err != nil {
		t.Fatal(err)
	}
	r2, err := r1.Resolve(nil)
	if err != nil {
		t.Fatal(err)
	}
	if !r2.Stage(1).Resolved {
		t.Error("a second Resolve forgot the first one's images")
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if _, err := b.Resolve(map[int]ImageConfig{1: {}}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
}

func TestResolveTriggerErrors(t *testing.T) {
	b := parseForResolve(t, resolveSrc)
	for _, trig := range []string{"ONBUILD RUN x", "COPY --from=final / /", "FROM x"} {
		_, err := b.Resolve(map[int]ImageConfig{1: {OnBuild: []string{trig}}})
		var de *Error
		if !errors.As(err, &de) || de.Line != 3 {
			t.Errorf("trigger %q: err %v, want an *Error on line 3", trig, err)
		}
	}
}

func TestOnbuildOfParentStage(t *testing.T) {
	src := "FROM alpine AS p\nONBUILD ARG X=1\nONBUILD COPY --from=0 /a /a\nFROM p AS c\nRUN echo\n"
	b := parseForResolve(t, src)
	c := b.Target()
	if len(c.Instructions) != 3 || !c.Instructions[0].OnBuild || c.Instructions[0].Line != 4 {
		t.Fatalf("child instructions %+v, want 2 triggers on line 4 then RUN", c.Instructions)
	}
	if got := c.Instructions[2].Env; !slices.Contains(got, "X=1") {
		t.Errorf("RUN env %q lacks the trigger's ARG", got)
	}
	if p := b.Stage(0); len(p.Instructions) != 2 || p.Instructions[0].OnBuild {
		t.Errorf("the parent must not run its own ONBUILD: %+v", p.Instructions)
	}
}
