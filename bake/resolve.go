package bake

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/polyarch/polyarch/build/dockerfile"
	"github.com/polyarch/polyarch/image"
	"github.com/polyarch/polyarch/platform"
)

// Options configure Resolve.
type Options struct {
	// Getenv reads SOURCE_DATE_EPOCH, which sets {date}. Default: os.Getenv.
	Getenv func(string) string
	// Now is the time {date} shows without SOURCE_DATE_EPOCH. Default: time.Now().
	Now time.Time
	// Push pushes every target (--push), as if each said push: true.
	Push bool
}

// Resolved is a target ready to build: each platform's Dockerfile read,
// preprocessed and rewritten, with the images it uses.
type Resolved struct {
	Name      string            `json:"name"`
	Platforms []string          `json:"platforms"`
	Tags      []string          `json:"tags,omitempty"`
	Args      map[string]string `json:"args,omitempty"`
	Labels    map[string]string `json:"labels,omitempty"`
	Target    string            `json:"target,omitempty"`
	CacheFrom []string          `json:"cache-from,omitempty"`
	CacheTo   []string          `json:"cache-to,omitempty"`
	Outputs   []string          `json:"outputs,omitempty"`
	Push      bool              `json:"push,omitempty"`
	// DependsOn are the targets this one builds after: its depends-on and
	// the targets whose images its Dockerfiles use (set by NewGraph).
	DependsOn []string `json:"depends-on,omitempty"`
	// Builds are the platforms' builds, in platform order.
	Builds []*Build `json:"builds"`
	// Inputs are the directories and files whose change rebuilds the target.
	Inputs []string `json:"-"`

	explicit []string // depends-on as written
}

// Build is one platform of a target.
type Build struct {
	Platform     string `json:"platform"`
	Context      string `json:"context"`
	Dockerfile   string `json:"dockerfile"`
	Preprocessed bool   `json:"preprocessed,omitempty"`
	// Rewrites describe the FROM lines the rewrite rules changed.
	Rewrites []string `json:"rewrites,omitempty"`
	// Images are the images FROM, COPY --from and RUN --mount from= name,
	// normalised (index.docker.io/library/busybox:latest).
	Images []string `json:"images,omitempty"`
	// Needs are the targets of the run that produce some of Images (set by
	// NewGraph): this platform is built from their results.
	Needs []string `json:"needs,omitempty"`
	// ArchTags are the target's arch-tags for this platform.
	ArchTags []string `json:"arch-tags,omitempty"`
	// Unsupported is the preprocessor's #error when it refused the platform.
	Unsupported string `json:"unsupported,omitempty"`
	// Source is the Dockerfile to build.
	Source []byte `json:"-"`
}

// Resolve prepares the named targets of p, in the order given.
func Resolve(ctx context.Context, p *Project, names []string, o Options) ([]*Resolved, error) {
	if o.Getenv == nil {
		o.Getenv = os.Getenv
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	date := o.Now.UTC().Format("20060102")
	if s := o.Getenv("SOURCE_DATE_EPOCH"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("SOURCE_DATE_EPOCH=%q: want seconds since 1970", s)
		}
		date = time.Unix(n, 0).UTC().Format("20060102")
	}
	rw, err := newRewriter(p.Rewrites)
	if err != nil {
		return nil, err
	}
	var out []*Resolved
	for _, n := range names {
		t, ok := p.Targets[n]
		if !ok {
			return nil, fmt.Errorf("no target %q", n)
		}
		r, err := (&resolver{p: p, t: t, rw: rw, date: date}).resolve(ctx, o.Push)
		if err != nil {
			return nil, fmt.Errorf("target %s: %w", n, err)
		}
		out = append(out, r)
	}
	return out, nil
}

// resolver resolves one target.
type resolver struct {
	p      *Project
	t      *Target
	rw     *rewriter
	date   string
	ctxDir string
}

func (rs *resolver) resolve(ctx context.Context, push bool) (*Resolved, error) {
	t := rs.t
	rs.ctxDir = absJoin(t.Dir, cmp.Or(t.Context, "."))
	if st, err := os.Stat(rs.ctxDir); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("context %s is not a directory", rs.ctxDir)
	}
	for _, d := range t.DependsOn {
		if _, ok := rs.p.Targets[d]; !ok {
			return nil, fmt.Errorf("depends-on %q: no such target", d)
		}
	}
	if _, err := ArchName(platform.MustParse("linux/amd64"), t.ArchSpelling); err != nil {
		return nil, err
	}
	r := &Resolved{Name: t.Name, Tags: t.Tags, Args: t.Args, Labels: t.Labels, Target: t.Target, CacheFrom: t.CacheFrom,
		CacheTo: t.CacheTo, Outputs: t.Outputs, Push: push || t.Push != nil && *t.Push, explicit: t.DependsOn,
		Inputs: []string{rs.ctxDir}}
	for _, tag := range t.Tags {
		if _, err := image.ParseReference(tag); err != nil {
			return nil, fmt.Errorf("tags: %w", err)
		}
	}
	if r.Push && len(t.Tags) == 0 && len(t.ArchTags) == 0 {
		return nil, errors.New("push needs a name: give the target tags (or arch-tags)")
	}
	per, generic, err := rs.files()
	if err != nil {
		return nil, err
	}
	if r.Platforms, err = rs.platforms(per, generic != "" || t.Preprocess != nil); err != nil {
		return nil, err
	}
	for _, plat := range r.Platforms {
		b, err := rs.platformBuild(ctx, platform.MustParse(plat), per, generic)
		if err != nil {
			return nil, err
		}
		r.Builds = append(r.Builds, b)
		r.Inputs = append(r.Inputs, b.Context, b.Dockerfile)
	}
	slices.Sort(r.Inputs)
	r.Inputs = slices.Compact(r.Inputs)
	return r, nil
}

// files returns the per-platform Dockerfiles (given or detected) and the
// Dockerfile for the other platforms ("" when there is none).
func (rs *resolver) files() (map[string]PlatformFile, string, error) {
	t := rs.t
	per := map[string]PlatformFile{}
	for k, pf := range t.DockerfilePerPlatform {
		p, err := platform.Parse(k)
		if err != nil {
			return nil, "", fmt.Errorf("dockerfile-per-platform: %w", err)
		}
		pf.Context = absJoin(rs.ctxDir, pf.Context)
		pf.Dockerfile = absJoin(pf.Context, cmp.Or(pf.Dockerfile, "Dockerfile"))
		per[platform.Format(p)] = pf
	}
	plain := filepath.Join(rs.ctxDir, "Dockerfile")
	switch {
	case t.Preprocess != nil:
		return per, "", nil
	case t.Dockerfile != "":
		return per, absJoin(rs.ctxDir, t.Dockerfile), nil
	case len(per) > 0:
		if !isFile(plain) {
			plain = ""
		}
		return per, plain, nil
	}
	l, err := scanDir(rs.ctxDir)
	if err != nil {
		return nil, "", err
	}
	if len(l.perArch) == 0 && l.plain == "" {
		return nil, "", fmt.Errorf("no Dockerfile in %s (nor Dockerfile.<arch> files, nor <arch>/Dockerfile folders)", rs.ctxDir)
	}
	return l.perArch, l.plain, nil
}

// platforms is the target's platform list, canonical; without one, the
// platforms of the per-platform Dockerfiles (plus the host's when a
// Dockerfile for the others exists), in platform.Known order.
func (rs *resolver) platforms(per map[string]PlatformFile, haveGeneric bool) ([]string, error) {
	var out []string
	if len(rs.t.Platforms) > 0 {
		ps, err := platform.ParseList(strings.Join(rs.t.Platforms, ","))
		if err != nil {
			return nil, fmt.Errorf("platforms: %w", err)
		}
		for _, p := range ps {
			out = append(out, platform.Format(p))
		}
		return out, nil
	}
	out = slices.Collect(maps.Keys(per))
	if host := platform.Format(platform.Host()); (haveGeneric || len(out) == 0) && !slices.Contains(out, host) {
		out = append(out, host)
	}
	knownOrder(out)
	return out, nil
}

// platformBuild reads (or preprocesses) and rewrites one platform's Dockerfile.
func (rs *resolver) platformBuild(ctx context.Context, p platform.Platform, per map[string]PlatformFile, generic string) (*Build, error) {
	t := rs.t
	key := platform.Format(p)
	b := &Build{Platform: key, Context: rs.ctxDir, Dockerfile: generic}
	arch, archErr := ArchName(p, t.ArchSpelling)
	for _, at := range t.ArchTags {
		if archErr != nil {
			return nil, fmt.Errorf("arch-tags: %w", archErr)
		}
		tag := placeholders(at, arch, rs.date)
		if _, err := image.ParseReference(tag); err != nil {
			return nil, fmt.Errorf("arch-tags: %w", err)
		}
		b.ArchTags = append(b.ArchTags, tag)
	}
	var err error
	switch pf, ok := per[key]; {
	case ok:
		b.Context, b.Dockerfile = pf.Context, pf.Dockerfile
		b.Source, err = os.ReadFile(pf.Dockerfile)
	case t.Preprocess != nil:
		if archErr != nil {
			return nil, fmt.Errorf("preprocess: %w", archErr)
		}
		b.Dockerfile, b.Preprocessed = absJoin(rs.ctxDir, t.Preprocess.Template), true
		b.Source, err = preprocess(ctx, rs.ctxDir, t.Preprocess, p, arch, rs.date)
		var ue *UnsupportedError
		if errors.As(err, &ue) {
			b.Unsupported = ue.Message
			return b, nil
		}
	case generic != "":
		b.Source, err = os.ReadFile(generic)
	default:
		return nil, fmt.Errorf("no Dockerfile for %s in %s (per-platform Dockerfiles: %s)", key, rs.ctxDir, strings.Join(slices.Sorted(maps.Keys(per)), ", "))
	}
	if err != nil {
		return nil, err
	}
	name := rs.display(b.Dockerfile)
	if b.Source, b.Rewrites, err = rs.rw.rewriteFROMs(ctx, b.Source, name, p, t.Args, t.Target); err != nil {
		return nil, err
	}
	b.Images, err = imagesOf(ctx, b.Source, name, p, t.Args, t.Target)
	return b, err
}

// display is a path relative to the project directory, for messages.
func (rs *resolver) display(path string) string {
	if rel, err := filepath.Rel(rs.p.Dir, path); err == nil && !strings.HasPrefix(rel, "..") {
		return rel
	}
	return path
}

// imagesOf lists the images a Dockerfile uses for one platform, normalised.
func imagesOf(ctx context.Context, src []byte, file string, p platform.Platform, args map[string]string, target string) ([]string, error) {
	plan, err := dockerfile.Parse(ctx, src, dockerfile.WithFile(file), dockerfile.WithPlatforms(p),
		dockerfile.WithBuildArgs(args), dockerfile.WithTarget(target))
	if err != nil {
		return nil, err
	}
	var out []string
	add := func(o dockerfile.Origin) {
		if o.Kind == dockerfile.OriginImage {
			out = append(out, normalName(o.Image))
		}
	}
	for _, st := range plan.Builds[0].Stages {
		if st.Base.Kind == dockerfile.BaseImage {
			out = append(out, normalName(st.Base.Image))
		}
		for _, in := range st.Instructions {
			switch c := in.Command.(type) {
			case *dockerfile.Copy:
				add(c.From)
			case *dockerfile.Run:
				for _, m := range c.Mounts {
					add(m.From)
				}
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// normalName is ref as the store and registries name it.
func normalName(ref string) string {
	r, err := image.ParseReference(ref)
	if err != nil {
		return ref
	}
	return r.Name()
}

func absJoin(dir, p string) string {
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	return filepath.Join(dir, p)
}

func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}
