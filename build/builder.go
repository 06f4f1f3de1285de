package build

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"golang.org/x/sync/errgroup"

	"github.com/polyarch/polyarch/binfmt"
	"github.com/polyarch/polyarch/build/dockerfile"
	"github.com/polyarch/polyarch/platform"
	"github.com/polyarch/polyarch/store"
)

// ImageSource resolves base images and COPY --from images into the store
// (the CLI passes the image package's client).
type ImageSource interface {
	// Get returns ref's image for the platform, from the store or pulled.
	Get(ctx context.Context, ref string, p platform.Platform) (v1.Image, error)
}

// originer is an ImageSource that knows the registry repository of a
// base image, so pushes can mount its layers across repositories.
type originer interface {
	Origin(ref string) (name.Reference, bool)
}

// Builder runs Plans.
type Builder struct {
	st     *store.Store
	cache  cache
	images ImageSource
	self   string
	o      options
}

type options struct {
	jobs    int
	finder  binfmt.Finder
	events  func(Event)
	epoch   *time.Time
	network string
	labels  map[string]string
	noCache bool
	// keepGoing builds the other platforms when one fails.
	keepGoing  bool
	runTimeout time.Duration
	cacheFrom  []CacheRef
	// noCacheStages are stages built without the cache (--no-cache-filter).
	noCacheStages map[string]bool
	cacheTo       []CacheRef
	// snapshotter is "overlay" (default) or "copy" (no overlayfs).
	snapshotter string
	// annotations gives each platform's manifest annotations.
	annotations func(platform.Platform) map[string]string
}

// Option configures a Builder.
type Option func(*options)

// WithJobs bounds how many steps run at once (default: the CPU count; 1 =
// strictly one step at a time).
func WithJobs(n int) Option { return func(o *options) { o.jobs = n } }

// WithFinder sets how emulators are found (default: Debian's libexec dir).
func WithFinder(f binfmt.Finder) Option { return func(o *options) { o.finder = f } }

// WithEvents receives the build's progress events, concurrently from every
// platform (default: dropped).
func WithEvents(f func(Event)) Option { return func(o *options) { o.events = f } }

// WithSourceDateEpoch makes created times and new files' mtimes no later
// than t (default: now, mtimes kept).
func WithSourceDateEpoch(t time.Time) Option { return func(o *options) { o.epoch = &t } }

// WithLabels adds labels to every platform's image config (default none).
func WithLabels(l map[string]string) Option { return func(o *options) { o.labels = l } }

// WithNetwork is the default network of RUN steps: "host" (default) or
// "none".
func WithNetwork(n string) Option { return func(o *options) { o.network = n } }

// WithNoCache builds every step again (the results still refresh the
// cache) (default false).
func WithNoCache(on bool) Option { return func(o *options) { o.noCache = on } }

// WithSnapshotter chooses how RUN steps see and record the filesystem:
// "overlay" (default: an overlay whose upper dir is the layer) or "copy"
// (the layers copied into a plain dir, then a full-walk diff), for hosts
// where overlayfs cannot be mounted in a user namespace.
func WithSnapshotter(name string) Option { return func(o *options) { o.snapshotter = name } }

// WithManifestAnnotations sets the annotations of each platform's image
// manifest (default none).
func WithManifestAnnotations(f func(platform.Platform) map[string]string) Option {
	return func(o *options) { o.annotations = f }
}

// WithNoCacheFilter builds the named stages without the cache (default
// none).
func WithNoCacheFilter(stages ...string) Option {
	return func(o *options) {
		if o.noCacheStages == nil {
			o.noCacheStages = map[string]bool{}
		}
		for _, s := range stages {
			o.noCacheStages[strings.ToLower(s)] = true
		}
	}
}

// WithKeepGoing builds the other platforms when one fails; Build then
// returns a Result with Errors set and a *PartialError (default false: the
// first failure cancels everything).
func WithKeepGoing(on bool) Option { return func(o *options) { o.keepGoing = on } }

// WithRunTimeout stops a RUN step that runs longer than d (default 0: no
// limit), so a hung emulated step fails instead of hanging CI.
func WithRunTimeout(d time.Duration) Option { return func(o *options) { o.runTimeout = d } }

// WithCacheFrom imports build caches (--cache-from); steps found there are
// not run again (default none).
func WithCacheFrom(refs ...CacheRef) Option {
	return func(o *options) { o.cacheFrom = append(o.cacheFrom, refs...) }
}

// WithCacheTo exports each platform's cache after a successful build
// (--cache-to) (default none).
func WithCacheTo(refs ...CacheRef) Option {
	return func(o *options) { o.cacheTo = append(o.cacheTo, refs...) }
}

// New returns a Builder writing into st. self is the polyarch binary (for
// sandboxes).
func New(st *store.Store, images ImageSource, self string, opts ...Option) *Builder {
	o := options{jobs: runtime.NumCPU(), network: "host"}
	for _, f := range opts {
		f(&o)
	}
	if o.jobs < 1 {
		o.jobs = 1
	}
	return &Builder{st: st, images: images, self: self, o: o, cache: cache{st: st}}
}

// Result is a finished build: one image per target platform, in order.
type Result struct {
	Platforms []platform.Platform
	Images    []v1.Image // nil for a platform that failed (with WithKeepGoing)
	Errors    []error    // per platform, with WithKeepGoing
	Summaries []Summary
}

// PartialError is returned with WithKeepGoing when some platforms failed.
type PartialError struct {
	Failed, Total int
	First         error
}

func (e *PartialError) Error() string {
	return fmt.Sprintf("%d of %d platforms failed; first: %v", e.Failed, e.Total, e.First)
}

func (e *PartialError) Unwrap() error { return e.First }

// Build runs plan with contextDir as the build context and returns each
// platform's image, written to the store. The first failing step cancels
// the other platforms.
func (b *Builder) Build(ctx context.Context, plan *dockerfile.Plan, bctx Context) (*Result, error) {
	n := len(plan.Builds)
	res := &Result{Platforms: make([]platform.Platform, n), Images: make([]v1.Image, n), Errors: make([]error, n)}
	g, gctx := errgroup.WithContext(ctx)
	if b.o.keepGoing {
		g = &errgroup.Group{}
		gctx = ctx
	}
	sem := make(chan struct{}, b.o.jobs)
	tr := newTracker(b.o.events)
	for i, bd := range plan.Builds {
		res.Platforms[i] = bd.Platform
		g.Go(func() error {
			r := &platformRun{b: b, plan: plan, build: bd, bctx: bctx, sem: sem, tr: tr}
			img, err := r.run(gctx)
			res.Images[i], res.Errors[i] = img, err
			if b.o.keepGoing {
				return nil
			}
			return err
		})
	}
	err := g.Wait()
	res.Summaries = tr.summaries(res.Platforms)
	if err != nil {
		return nil, err
	}
	return res, partial(res)
}

func partial(res *Result) error {
	pe := &PartialError{Total: len(res.Errors)}
	for _, err := range res.Errors {
		if err != nil {
			pe.Failed++
			if pe.First == nil {
				pe.First = err
			}
		}
	}
	if pe.Failed == 0 {
		return nil
	}
	return pe
}

// platformRun builds one target platform's graph.
type platformRun struct {
	b     *Builder
	plan  *dockerfile.Plan
	build *dockerfile.Build
	bctx  Context
	sem   chan struct{}
	tr    *tracker
	// remote holds the imported caches; exp what --cache-to will write.
	remote *remoteCache
	exp    exported
	// stages holds each finished stage's state by Dockerfile index.
	mu     sync.Mutex
	stages map[int]*stageResult
	done   map[int]chan struct{}
}

func (r *platformRun) run(ctx context.Context) (v1.Image, error) {
	if err := r.resolveBases(ctx); err != nil {
		return nil, err
	}
	if err := r.importCaches(ctx); err != nil {
		return nil, err
	}
	r.stages = map[int]*stageResult{}
	r.done = map[int]chan struct{}{}
	for _, s := range r.build.Stages {
		r.done[s.Index] = make(chan struct{})
	}
	results := make([]*stageResult, len(r.build.Stages))
	g, gctx := errgroup.WithContext(ctx)
	for i, s := range r.build.Stages {
		g.Go(func() error {
			for _, dep := range s.DependsOn {
				select {
				case <-r.done[dep]:
				case <-gctx.Done():
					return gctx.Err()
				}
			}
			res, err := r.runStage(gctx, s)
			if err != nil {
				return err
			}
			results[i] = res
			r.finish(s.Index, res)
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	img, err := r.image(ctx, results[len(results)-1])
	if err != nil {
		return nil, err
	}
	return img, r.exportCaches(ctx)
}

// finish records a stage's result and wakes the stages that wait for it.
func (r *platformRun) finish(index int, res *stageResult) {
	r.mu.Lock()
	r.stages[index] = res
	r.mu.Unlock()
	close(r.done[index])
}

// stage returns a finished stage's result.
func (r *platformRun) stage(index int) *stageResult {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stages[index]
}

// resolveBases gives the Plan the configs of base images it needs for
// expansion (ENV, WORKDIR) and ONBUILD triggers.
// Resolving can add stages (an ONBUILD COPY --from), so it repeats until
// nothing is missing.
func (r *platformRun) resolveBases(ctx context.Context) error {
	cfgs := map[int]dockerfile.ImageConfig{}
	for {
		missing := r.build.Missing()
		if len(missing) == 0 {
			return nil
		}
		if err := r.baseConfigs(ctx, missing, cfgs); err != nil {
			return err
		}
		nb, err := r.build.Resolve(cfgs)
		if err != nil {
			return err
		}
		r.build = nb
	}
}

func (r *platformRun) baseConfigs(ctx context.Context, missing []int, cfgs map[int]dockerfile.ImageConfig) error {
	for _, idx := range missing {
		if _, done := cfgs[idx]; done {
			return fmt.Errorf("stage %d: base image config given but still missing", idx)
		}
		s := r.build.Stage(idx)
		img, err := r.b.images.Get(ctx, s.Base.Image, s.Platform)
		if err != nil {
			return stageErr(r.plan, s, s.Line, fmt.Errorf("resolving base image %s for %s: %w", s.Base.Image, platform.Format(s.Platform), err))
		}
		cf, err := img.ConfigFile()
		if err != nil {
			return fmt.Errorf("reading config of %s: %w", s.Base.Image, err)
		}
		cfgs[idx] = dockerfile.ImageConfig{Env: cf.Config.Env, WorkingDir: cf.Config.WorkingDir, OnBuild: cf.Config.OnBuild}
	}
	return nil
}

// stageErr names the Dockerfile line of a failure.
func stageErr(plan *dockerfile.Plan, s *dockerfile.Stage, line int, err error) error {
	return fmt.Errorf("%s:%d: [%s %s] %w", plan.File, line, platform.Format(s.Platform), s.DisplayName(), err)
}
