package bake

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// graphProject: app is built FROM base's tag (through an ARG), per platform;
// tools COPY --from base's arm64 arch-tag; docs depends-on tools explicitly;
// solo is independent.
const graphProject = `variables:
  REG: {default: "localhost:5000"}
targets:
  app:
    context: app
    platforms: [linux/amd64, linux/arm64]
    args: {BASE: "${REG}/base"}
    tags: ["${REG}/app:1"]
  base:
    context: base
    tags: ["${REG}/base:latest"]
    arch-tags: ["${REG}/base:{arch}"]
    platforms: [linux/amd64, linux/arm64]
  tools:
    context: tools
    platforms: [linux/arm64]
  docs:
    context: docs
    depends-on: [tools]
  solo:
    context: solo
`

func graphTree(t *testing.T, extra map[string]string) string {
	files := map[string]string{
		"polyarch.yaml":          graphProject,
		"app/Dockerfile.amd64":   "ARG BASE\nFROM ${BASE}\n",
		"app/Dockerfile.aarch64": "FROM busybox\n", // this platform does not use base
		"base/Dockerfile":        "FROM busybox\n",
		"tools/Dockerfile":       "FROM scratch\nCOPY --from=localhost:5000/base:arm64v8 /bin/sh /sh\n",
		"docs/Dockerfile":        "FROM scratch\n",
		"solo/Dockerfile":        "FROM scratch\n",
	}
	for k, v := range extra {
		files[k] = v
	}
	return writeTree(t, files)
}

func TestGraphOrder(t *testing.T) {
	dir := graphTree(t, nil)
	rs := resolveAll(t, load(t, dir, nil))
	g, err := NewGraph(rs)
	if err != nil {
		t.Fatal(err)
	}
	if order := g.Order(); !slices.Equal(order, []string{"base", "solo", "tools", "app", "docs"}) {
		t.Errorf("order %v", order)
	}
	app := byName(t, rs, "app")
	if !slices.Equal(app.DependsOn, []string{"base"}) || !slices.Equal(app.Builds[0].Needs, []string{"base"}) || app.Builds[1].Needs != nil {
		t.Errorf("app depends on %v; needs amd64 %v arm64 %v", app.DependsOn, app.Builds[0].Needs, app.Builds[1].Needs)
	}
	if tools := byName(t, rs, "tools"); !slices.Equal(tools.DependsOn, []string{"base"}) {
		t.Errorf("tools (COPY --from an arch-tag) depends on %v", tools.DependsOn)
	}
	if docs := byName(t, rs, "docs"); !slices.Equal(docs.DependsOn, []string{"tools"}) {
		t.Errorf("docs depends on %v", docs.DependsOn)
	}
	if got := g.WithDependents([]string{"base"}); !slices.Equal(got, []string{"base", "tools", "app", "docs"}) {
		t.Errorf("base with dependents: %v", got)
	}
	if got := g.WithDependents([]string{"solo"}); !slices.Equal(got, []string{"solo"}) {
		t.Errorf("solo with dependents: %v", got)
	}
	// Only a run's targets are ordered: app alone does not wait for base.
	rs = resolveAll(t, load(t, dir, nil), "app")
	g, err = NewGraph(rs)
	if err != nil || len(g.Deps("app")) != 0 || !slices.Equal(rs[0].Builds[0].Needs, nil) {
		t.Errorf("app alone: deps %v, %v", g.Deps("app"), err)
	}
}

func TestGraphCycleAndClash(t *testing.T) {
	dir := graphTree(t, map[string]string{"base/Dockerfile": "FROM localhost:5000/app:1\n"})
	_, err := NewGraph(resolveAll(t, load(t, dir, nil)))
	want := "dependency cycle: app → base → app (app uses localhost:5000/base:latest; base uses localhost:5000/app:1)"
	if err == nil || err.Error() != want {
		t.Errorf("cycle: %v\nwant %s", err, want)
	}
	dir = graphTree(t, map[string]string{"polyarch.yaml": "targets:\n  a: {context: solo, depends-on: [b]}\n  b: {context: solo, depends-on: [a]}\n"})
	if _, err := NewGraph(resolveAll(t, load(t, dir, nil))); err == nil || !strings.Contains(err.Error(), "a → b → a (a depends-on; b depends-on)") {
		t.Errorf("explicit cycle: %v", err)
	}
	dir = graphTree(t, map[string]string{"polyarch.yaml": "targets:\n  a: {context: solo, tags: [x/y]}\n  b: {context: solo, tags: [\"docker.io/x/y:latest\"]}\n"})
	if _, err := NewGraph(resolveAll(t, load(t, dir, nil))); err == nil || !strings.Contains(err.Error(), "targets a and b both tag docker.io/x/y:latest") {
		t.Errorf("clash: %v", err)
	}
}

// TestRunSchedules: dependencies finish before dependents start,
// independent targets run at once, and failures stop or skip as documented.
func TestRunSchedules(t *testing.T) {
	rs := resolveAll(t, load(t, graphTree(t, nil), nil))
	g, err := NewGraph(rs)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var events []string
	running, most := 0, 0
	fake := func(fail string) func(context.Context, string) error {
		return func(ctx context.Context, n string) error {
			mu.Lock()
			events = append(events, "start "+n)
			running++
			most = max(most, running)
			mu.Unlock()
			select {
			case <-time.After(20 * time.Millisecond):
			case <-ctx.Done():
			}
			mu.Lock()
			events = append(events, "end "+n)
			running--
			mu.Unlock()
			if n == fail {
				return errors.New("boom")
			}
			return ctx.Err()
		}
	}
	errs := g.Run(context.Background(), g.Order(), false, fake(""))
	for n, err := range errs {
		if err != nil {
			t.Errorf("%s: %v", n, err)
		}
	}
	before := func(a, b string) bool { return slices.Index(events, a) < slices.Index(events, b) }
	if !before("end base", "start app") || !before("end base", "start tools") || !before("end tools", "start docs") {
		t.Errorf("order broken: %v", events)
	}
	if most < 2 {
		t.Errorf("independent targets never ran at once: %v", events)
	}
	// keep-going: base fails, its dependents are skipped, solo still builds.
	events = nil
	errs = g.Run(context.Background(), g.Order(), true, fake("base"))
	var de *DependencyError
	if !errors.As(errs["app"], &de) || de.Dependency != "base" || errs["solo"] != nil || !errors.As(errs["docs"], &de) || de.Dependency != "tools" {
		t.Errorf("keep-going outcomes: %v", errs)
	}
	// without keep-going nothing starts after the failure.
	events = nil
	errs = g.Run(context.Background(), []string{"base", "app", "tools", "docs"}, false, fake("base"))
	if errs["base"] == nil || !errors.Is(errs["app"], ErrNotStarted) || !errors.Is(errs["docs"], ErrNotStarted) {
		t.Errorf("stop outcomes: %v", errs)
	}
	if slices.Contains(events, "start app") {
		t.Errorf("app started after base failed: %v", events)
	}
}
