package build

import (
	"context"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/polyarch/polyarch/build/dockerfile"
	"github.com/polyarch/polyarch/container"
	"github.com/polyarch/polyarch/platform"
	"github.com/polyarch/polyarch/store"
)

// stageResult is the state a stage has built so far: its layers (bottom
// first), its image config and history.
type stageResult struct {
	platform platform.Platform
	layers   []*layer
	cfg      v1.ConfigFile
	shell    []string
	// cmdSetInStage is set once this stage sets CMD (ENTRYPOINT then
	// keeps it).
	cmdSetInStage bool
	// key is the build-cache identity of the filesystem so far.
	key cacheKey
}

// lowers are the layer dirs uppermost first, as overlay wants them.
func (s *stageResult) lowers() []string {
	out := make([]string, len(s.layers))
	for i, l := range s.layers {
		out[len(s.layers)-1-i] = l.dir
	}
	return out
}

func (s *stageResult) clone() *stageResult {
	c := *s
	c.layers = append([]*layer(nil), s.layers...)
	c.cfg = *s.cfg.DeepCopy()
	c.shell = append([]string(nil), s.shell...)
	return &c
}

// defaultShell is the shell of shell-form instructions on Linux.
var defaultShell = []string{"/bin/sh", "-c"}

// base sets up the stage's starting state.
func (r *platformRun) base(ctx context.Context, s *dockerfile.Stage) (*stageResult, error) {
	switch s.Base.Kind {
	case dockerfile.BaseStage:
		prev := r.stage(s.Base.Stage)
		if prev == nil {
			return nil, fmt.Errorf("stage %d has not been built", s.Base.Stage)
		}
		c := prev.clone()
		c.cfg.Config.OnBuild = nil // its triggers already ran in this stage (Plan)
		return c, nil
	case dockerfile.BaseScratch:
		res := &stageResult{platform: s.Platform, shell: defaultShell, key: cacheKey("").chain("scratch")}
		res.cfg.Config.Env = []string{"PATH=" + defaultPath}
		setPlatform(&res.cfg, s.Platform)
		return res, nil
	}
	img, err := r.b.images.Get(ctx, s.Base.Image, s.Platform)
	if err != nil {
		return nil, fmt.Errorf("base image %s: %w", s.Base.Image, err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("base image %s: %w", s.Base.Image, err)
	}
	dirs, err := container.UnpackLayers(ctx, r.b.st, img)
	if err != nil {
		return nil, err
	}
	ls, err := knownLayers(r.b.st, img, cf)
	if err != nil {
		return nil, err
	}
	digest, err := img.Digest()
	if err != nil {
		return nil, err
	}
	res := &stageResult{platform: s.Platform, cfg: *cf.DeepCopy(), shell: defaultShell, key: cacheKey("").chain("image", digest.String())}
	origin, hasOrigin := name.Reference(nil), false
	if o, ok := r.b.images.(originer); ok {
		origin, hasOrigin = o.Origin(s.Base.Image)
	}
	for i, l := range ls {
		if hasOrigin { // a push to the same registry mounts the blob
			l = &remote.MountableLayer{Layer: l, Reference: origin}
		}
		res.layers = append(res.layers, &layer{Layer: l, dir: dirs[len(ls)-1-i]})
	}
	if len(res.cfg.Config.Shell) > 0 {
		res.shell = res.cfg.Config.Shell
	}
	res.cfg.Config.OnBuild = nil // triggers run in this stage, not inherited further (Docker)
	return res, nil
}

// defaultPath is BuildKit's PATH even FROM scratch.
const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

func setPlatform(cf *v1.ConfigFile, p platform.Platform) {
	cf.OS, cf.Architecture, cf.Variant = p.OS, p.Architecture, p.Variant
}

// runStage builds one stage instance.
func (r *platformRun) runStage(ctx context.Context, s *dockerfile.Stage) (*stageResult, error) {
	st, err := r.base(ctx, s)
	if err != nil {
		return nil, stageErr(r.plan, s, s.Line, err)
	}
	st.platform = s.Platform
	st.cmdSetInStage = false
	setPlatform(&st.cfg, s.Platform)
	n := len(s.Instructions)
	ev := r.event(StepStart, s, 0, n, nil)
	ev.Instruction = "FROM " + baseName(s)
	r.tr.send(ev)
	for i := range s.Instructions {
		in := &s.Instructions[i]
		if err := r.acquire(ctx); err != nil {
			return nil, err
		}
		r.tr.send(r.event(StepStart, s, i+1, n, in))
		err := r.step(ctx, s, st, in, i+1, n)
		r.release()
		if err != nil {
			return nil, stageErr(r.plan, s, in.Line, err)
		}
	}
	return st, nil
}

func baseName(s *dockerfile.Stage) string {
	switch s.Base.Kind {
	case dockerfile.BaseImage:
		return s.Base.Image
	case dockerfile.BaseStage:
		return fmt.Sprintf("stage %d", s.Base.Stage)
	}
	return "scratch"
}

// acquire takes one of the -j job slots for a step; release gives it back.
func (r *platformRun) acquire(ctx context.Context) error {
	select {
	case r.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (r *platformRun) release() { <-r.sem }

// knownLayers are img's layers as store blobs whose digest and diffID come
// from the manifest and config: nothing has to be decompressed and hashed
// again to build on them (ggcr would, for a 48 MB base layer, every build).
func knownLayers(st *store.Store, img v1.Image, cf *v1.ConfigFile) ([]v1.Layer, error) {
	m, err := img.Manifest()
	if err != nil {
		return nil, err
	}
	if len(m.Layers) != len(cf.RootFS.DiffIDs) {
		return img.Layers()
	}
	out := make([]v1.Layer, len(m.Layers))
	for i, d := range m.Layers {
		if !st.HasBlob(d.Digest) {
			return img.Layers()
		}
		out[i] = &storeLayer{st: st, digest: d.Digest, diffID: cf.RootFS.DiffIDs[i], size: d.Size, mt: d.MediaType}
	}
	return out, nil
}
