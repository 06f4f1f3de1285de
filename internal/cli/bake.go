package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"runtime"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/spf13/cobra"

	"github.com/polyarch/polyarch/bake"
	"github.com/polyarch/polyarch/build"
	"github.com/polyarch/polyarch/image"
	"github.com/polyarch/polyarch/platform"
	"github.com/polyarch/polyarch/publish"
	"github.com/polyarch/polyarch/store"
)

type bakeFlags struct {
	files, sets            []string
	print, push, keepGoing bool
	changedSince, progress string
	jobs                   int
}

func newBakeCmd(e *env) *cobra.Command {
	var f bakeFlags
	cmd := &cobra.Command{
		Use:   "bake [flags] [TARGET|GROUP...]",
		Short: "Build the images of a repository: polyarch.yaml, docker-bake.json, compose, or every Dockerfile found",
		Long: `bake builds many images in one run, each for all its platforms, in
dependency order: a target whose FROM or COPY --from names an image another
target tags builds after it, from its result in the local store. Targets
that do not depend on each other build at once (within -j).

Targets come from polyarch.yaml, docker-bake.json and compose files in this
directory (or --file); without any, from every Dockerfile in the tree: one
target per directory, where Dockerfile.<arch> files and <arch>/Dockerfile
folders (any arch spelling: arm64v8, aarch64, armhf, i386, …) make ONE
multi-arch image. No TARGET builds the group "default", else every target.

Each platform's Dockerfile is built for its platform; the results become one
index under tags, and arch-tags ({arch}, {date}) name the platform images.
Legacy base images are rewritten by the project's rewrites. At the end a
table shows every target × platform: ok, failed or skipped.`,
		RunE: func(cmd *cobra.Command, args []string) error { return runBake(cmd, e, f, args) },
	}
	fl := cmd.Flags()
	fl.StringArrayVarP(&f.files, "file", "f", nil, "project file (repeatable; default: the polyarch.yaml, docker-bake.json and compose files here)")
	fl.StringArrayVar(&f.sets, "set", nil, "override a target attribute: TARGET.KEY=VALUE; TARGET may be a glob (*.platform=linux/amd64,linux/arm64)")
	fl.BoolVar(&f.print, "print", false, "print the resolved plan as JSON and build nothing")
	fl.BoolVar(&f.push, "push", false, "push every target to its tags and arch-tags")
	fl.StringVar(&f.changedSince, "changed-since", "", "build only the targets whose context or Dockerfiles changed since this git ref, and their dependents")
	fl.IntVarP(&f.jobs, "jobs", "j", 0, "builds run at once, and steps at once within each (default: CPU count)")
	fl.BoolVar(&f.keepGoing, "keep-going", false, "build the other targets and platforms when one fails")
	fl.StringVar(&f.progress, "progress", "auto", "progress output: auto, plain, tty, json or quiet (also BUILDKIT_PROGRESS); lines are prefixed with the target")
	return cmd
}

func runBake(cmd *cobra.Command, e *env, f bakeFlags, args []string) error {
	ctx := cmd.Context()
	p, err := bake.Load(".", f.files, e.getenv)
	if err != nil {
		return err
	}
	if err := p.ApplySet(f.sets); err != nil {
		return err
	}
	names, err := p.Select(args)
	if err != nil {
		return err
	}
	rs, err := bake.Resolve(ctx, p, names, bake.Options{Getenv: e.getenv, Push: f.push})
	if err != nil {
		return err
	}
	g, err := bake.NewGraph(rs)
	if err != nil {
		return err
	}
	run := g.Order()
	if f.changedSince != "" {
		changed, err := bake.Changed(ctx, p, rs, f.changedSince)
		if err != nil {
			return err
		}
		run = g.WithDependents(changed)
	}
	if f.print {
		return printBakePlan(e.stdout, g, run)
	}
	if len(run) == 0 {
		fmt.Fprintf(e.stderr, "nothing to build: no target changed since %s\n", f.changedSince)
		return nil
	}
	b, err := newBaker(cmd, e, f, g, run)
	if err != nil {
		return err
	}
	return b.bake(ctx)
}

// printBakePlan prints the targets of the run and their build order.
func printBakePlan(w io.Writer, g *bake.Graph, run []string) error {
	plan := struct {
		Order  []string                  `json:"order"`
		Target map[string]*bake.Resolved `json:"target"`
	}{Order: run, Target: map[string]*bake.Resolved{}}
	for _, n := range run {
		plan.Target[n] = g.Target(n)
	}
	b, err := json.MarshalIndent(plan, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

// baker runs the builds of one bake and keeps the outcome of every
// target × platform.
type baker struct {
	cmd      *cobra.Command
	e        *env
	f        bakeFlags
	g        *bake.Graph
	run      []string
	st       *store.Store
	client   *image.Client
	sem      chan struct{} // one slot per build running
	progress string
	prefix   bool // several builds: prefix their output with the target

	mu    sync.Mutex // guards rows and built
	out   sync.Mutex // serialises the prefixed lines of the builds
	rows  map[string]map[string]string
	built map[string]map[string]bool
}

func newBaker(cmd *cobra.Command, e *env, f bakeFlags, g *bake.Graph, run []string) (*baker, error) {
	st, err := e.openStore(cmd)
	if err != nil {
		return nil, err
	}
	c, err := e.imageClient(cmd.Context(), nil)
	if err != nil {
		return nil, err
	}
	jobs := f.jobs
	if jobs <= 0 {
		jobs = runtime.NumCPU()
	}
	b := &baker{cmd: cmd, e: e, f: f, g: g, run: run, st: st, client: c, sem: make(chan struct{}, jobs),
		progress: f.progress, rows: map[string]map[string]string{}, built: map[string]map[string]bool{}}
	builds := 0
	for _, n := range run {
		builds += len(groupBuilds(buildable(g.Target(n).Builds)))
	}
	if builds > 1 {
		b.prefix = true
		mode := f.progress
		if mode == "auto" || mode == "" {
			mode = e.getenv("BUILDKIT_PROGRESS")
		}
		if mode == "tty" || mode == "auto" || mode == "" {
			mode = "plain" // a live view per build would overwrite the others'
		}
		b.progress = mode
	}
	if _, err := e.newProgress(b.progress); err != nil {
		return nil, err
	}
	return b, nil
}

// bake builds the run and prints the summary table.
func (b *baker) bake(ctx context.Context) error {
	errs := b.g.Run(ctx, b.run, b.f.keepGoing, b.target)
	b.summary(errs)
	var failed []string
	for _, n := range b.run {
		if errs[n] != nil {
			failed = append(failed, n)
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("%d of %d targets did not build: %s", len(failed), len(b.run), strings.Join(failed, ", "))
	}
	return nil
}

// buildable are the builds the preprocessor did not refuse.
func buildable(bs []*bake.Build) []*bake.Build {
	return slices.DeleteFunc(slices.Clone(bs), func(pb *bake.Build) bool { return pb.Unsupported != "" })
}

// groupBuilds puts platforms with the same context and Dockerfile into one
// multi-platform build; each other platform is a build of its own. It
// returns indexes into bs, in order.
func groupBuilds(bs []*bake.Build) [][]int {
	var groups [][]int
next:
	for i, pb := range bs {
		for k, g := range groups {
			first := bs[g[0]]
			if first.Context == pb.Context && first.Dockerfile == pb.Dockerfile && bytes.Equal(first.Source, pb.Source) {
				groups[k] = append(g, i)
				continue next
			}
		}
		groups = append(groups, []int{i})
	}
	return groups
}

// target builds one target: its platforms, then one index under its tags
// and the platform images under its arch-tags.
func (b *baker) target(ctx context.Context, name string) error {
	r := b.g.Target(name)
	var todo []*bake.Build
	for _, pb := range r.Builds {
		switch dep := b.missingNeed(pb); {
		case pb.Unsupported != "":
			b.record(name, pb.Platform, "skipped (unsupported: "+pb.Unsupported+")", false)
		case dep != "":
			b.record(name, pb.Platform, fmt.Sprintf("skipped (%s built no %s)", dep, pb.Platform), false)
		default:
			todo = append(todo, pb)
		}
	}
	if len(todo) == 0 {
		return nil
	}
	images, err := b.buildAll(ctx, r, todo)
	if err != nil {
		return err
	}
	return b.publish(ctx, r, todo, images)
}

// missingNeed names a target of the run this platform is built from that
// did not build the platform, or "".
func (b *baker) missingNeed(pb *bake.Build) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, n := range pb.Needs {
		if slices.Contains(b.run, n) && !b.built[n][pb.Platform] {
			return n
		}
	}
	return ""
}

// buildAll runs the target's builds (within -j) and returns each
// platform's image. One failing platform fails the target; without
// --keep-going it also stops the others.
func (b *baker) buildAll(ctx context.Context, r *bake.Resolved, todo []*bake.Build) ([]v1.Image, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	images := make([]v1.Image, len(todo))
	var wg sync.WaitGroup
	var mu sync.Mutex
	failed := 0
	for _, job := range groupBuilds(todo) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := b.buildJob(ctx, r, todo, job)
			mu.Lock()
			defer mu.Unlock()
			for k, i := range job {
				img, perr := platformImage(res, err, k)
				if perr == nil {
					images[i] = img
					continue
				}
				failed++
				b.fail(r.Name, todo[i].Platform, perr)
				if !b.f.keepGoing {
					cancel()
				}
			}
		}()
	}
	wg.Wait()
	if failed > 0 {
		for i, img := range images {
			if img != nil {
				b.record(r.Name, todo[i].Platform, "built, not tagged (another platform failed)", false)
			}
		}
		return nil, fmt.Errorf("%d of %d platforms failed", failed, len(todo))
	}
	return images, nil
}

// platformImage is the k-th platform's image of a build, or its error.
func platformImage(res *build.Result, err error, k int) (v1.Image, error) {
	var pe *build.PartialError
	if err != nil && !errors.As(err, &pe) {
		return nil, err
	}
	if res == nil || k >= len(res.Images) {
		return nil, cmpErr(err, errors.New("the build returned no image"))
	}
	if k < len(res.Errors) && res.Errors[k] != nil {
		return nil, res.Errors[k]
	}
	if res.Images[k] == nil {
		return nil, cmpErr(err, errors.New("the build returned no image"))
	}
	return res.Images[k], nil
}

func cmpErr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// buildJob runs one build (one or several platforms of one Dockerfile)
// through polyarch build's path.
func (b *baker) buildJob(ctx context.Context, r *bake.Resolved, todo []*bake.Build, job []int) (*build.Result, error) {
	select {
	case b.sem <- struct{}{}:
		defer func() { <-b.sem }()
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	first := todo[job[0]]
	var plats []string
	for _, i := range job {
		plats = append(plats, todo[i].Platform)
	}
	f := buildFlags{file: first.Dockerfile, dockerfileSrc: first.Source, platforms: strings.Join(plats, ","),
		target: r.Target, buildArgs: pairs(r.Args), labels: pairs(r.Labels), cacheFrom: r.CacheFrom, cacheTo: r.CacheTo,
		network: "host", progress: b.progress, jobs: b.f.jobs, keepGoing: b.f.keepGoing, snapshotter: "auto"}
	e := b.e
	if b.prefix {
		w := &lineWriter{mu: &b.out, w: b.e.stderr, target: r.Name, json: b.progress == "json"}
		defer w.flush()
		ce := *b.e
		ce.stderr = w
		e = &ce
	}
	_, res, err := e.buildPlan(ctx, b.cmd, f, first.Context)
	return res, err
}

// publish stores the target's index (or single image), tags and pushes it,
// writes its outputs, and tags (and pushes) each platform image under its
// arch-tags.
func (b *baker) publish(ctx context.Context, r *bake.Resolved, todo []*bake.Build, images []v1.Image) error {
	res := &build.Result{Images: images}
	for _, pb := range todo {
		res.Platforms = append(res.Platforms, platform.MustParse(pb.Platform))
	}
	desc, err := b.e.publishBuild(ctx, b.st, res, buildFlags{tags: r.Tags, outputs: r.Outputs, push: r.Push})
	for i, pb := range todo {
		for _, tag := range pb.ArchTags {
			if err == nil {
				err = b.archTag(ctx, tag, images[i], r.Push)
			}
		}
	}
	if err != nil {
		for _, pb := range todo {
			b.fail(r.Name, pb.Platform, err)
		}
		return err
	}
	for _, pb := range todo {
		b.record(r.Name, pb.Platform, "ok", true)
	}
	fmt.Fprintf(b.e.stdout, "%s %s\n", r.Name, desc.Digest)
	return nil
}

// archTag names one platform image in the store, and in its registry with push.
func (b *baker) archTag(ctx context.Context, tag string, img v1.Image, push bool) error {
	ref, err := b.client.ParseReference(tag)
	if err != nil {
		return err
	}
	desc, err := resultDescriptor(publish.Result{Image: img})
	if err != nil {
		return err
	}
	if err := b.st.Tag(ctx, ref.Name(), desc); err != nil {
		return err
	}
	if !push {
		return nil
	}
	if err := b.client.Push(ctx, tag, img); err != nil {
		return err
	}
	fmt.Fprintf(b.e.stderr, "pushed %s\n", tag)
	return nil
}

func (b *baker) record(target, plat, outcome string, ok bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.rows[target] == nil {
		b.rows[target], b.built[target] = map[string]string{}, map[string]bool{}
	}
	b.rows[target][plat] = outcome
	b.built[target][plat] = ok
}

// fail records a failed platform and prints the whole error.
func (b *baker) fail(target, plat string, err error) {
	outcome := "failed: " + errorLine(err)
	if errors.Is(err, context.Canceled) {
		outcome = "cancelled (another build failed)"
	} else {
		fmt.Fprintf(b.e.stderr, "polyarch: %s %s: %v\n", target, plat, err)
	}
	b.record(target, plat, outcome, false)
}

// errorLine is the first line of an error, shortened for the summary table.
func errorLine(err error) string {
	s, _, _ := strings.Cut(err.Error(), "\n")
	if len(s) > 100 {
		s = s[:100] + "…"
	}
	return s
}

// summary prints the table of every target × platform of the run.
func (b *baker) summary(errs map[string]error) {
	tw := tabwriter.NewWriter(b.e.stderr, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TARGET\tPLATFORM\tRESULT")
	for _, n := range b.run {
		for _, pb := range b.g.Target(n).Builds {
			outcome := b.rows[n][pb.Platform]
			var de *bake.DependencyError
			switch err := errs[n]; {
			case outcome != "":
			case errors.As(err, &de):
				outcome = fmt.Sprintf("skipped (%s failed)", de.Dependency)
			case errors.Is(err, bake.ErrNotStarted):
				outcome = "not built (another target failed)"
			case err != nil:
				outcome = "failed: " + errorLine(err)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\n", n, pb.Platform, outcome)
		}
	}
	tw.Flush()
}

// pairs renders a map as sorted KEY=VALUE strings.
func pairs(m map[string]string) []string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, k+"="+m[k])
	}
	return out
}

// lineWriter writes each complete line with the target in front ("web | …"),
// or, for JSON progress lines, with a "target" field, one write per line.
type lineWriter struct {
	mu     *sync.Mutex
	w      io.Writer
	target string
	json   bool
	buf    []byte
}

func (l *lineWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf = append(l.buf, p...)
	for {
		i := bytes.IndexByte(l.buf, '\n')
		if i < 0 {
			return len(p), nil
		}
		l.emit(l.buf[:i+1])
		l.buf = l.buf[i+1:]
	}
}

func (l *lineWriter) emit(line []byte) {
	var out []byte
	if l.json && len(line) > 2 && line[0] == '{' && line[1] != '}' {
		name, _ := json.Marshal(l.target)
		out = append(append(append([]byte(`{"target":`), name...), ','), line[1:]...)
	} else {
		out = append([]byte(l.target+" | "), line...)
	}
	l.w.Write(out)
}

// flush writes a last line that has no newline.
func (l *lineWriter) flush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.buf) > 0 {
		l.emit(append(l.buf, '\n'))
		l.buf = nil
	}
}
