package dockerfile

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerfile/shell"

	"github.com/polyarch/polyarch/platform"
)

// graph holds the evaluation of one Build: the FROM lines for its target
// platform, each stage's effective instructions and its dependencies.
type graph struct {
	d      *document
	lex    *shell.Lex
	target platform.Platform
	genv   *envList // the global scope of this target platform
	heads  []head
	images map[int]ImageConfig
	cmds   map[int][]*rawCmd // ONBUILD triggers of the base, then the stage's own
	deps   map[int][]int
}

// head is a stage's FROM evaluated for one target platform.
type head struct {
	base     Base
	platform *platform.Platform // the --platform value, nil when absent
}

// build evaluates the Dockerfile for one target platform. images holds
// the configs of base images known so far, by stage index (nil at first).
func (d *document) build(target platform.Platform, images map[int]ImageConfig) (*Build, error) {
	g := &graph{
		d: d, lex: shell.NewLex(d.escape), target: target, images: images,
		cmds: map[int][]*rawCmd{}, deps: map[int][]int{},
	}
	genv, gargs, err := d.globals(g.lex, target)
	if err != nil {
		return nil, err
	}
	g.genv = genv
	for _, st := range d.stages {
		h, err := g.evalFrom(st)
		if err != nil {
			return nil, err
		}
		g.heads = append(g.heads, h)
	}
	needed, err := g.reachable()
	if err != nil {
		return nil, err
	}
	b := &Build{Platform: target, GlobalArgs: gargs, doc: d, images: maps.Clone(images)}
	done := map[int]*Stage{}
	for _, i := range needed {
		s, err := g.instantiate(i, done)
		if err != nil {
			return nil, err
		}
		done[i] = s
		b.Stages = append(b.Stages, s)
	}
	return b, nil
}

// evalFrom expands a stage's FROM with the global args: its base and
// its --platform.
func (g *graph) evalFrom(st *rawStage) (head, error) {
	errf := func(format string, a ...any) error {
		return &Error{File: g.d.file, Line: st.line, Err: fmt.Errorf(format, a...)}
	}
	ref, err := expandWord(g.lex, st.baseName, g.genv)
	if err != nil {
		return head{}, errf("FROM %s: %w", st.baseName, err)
	}
	if ref == "" {
		return head{}, errf("FROM %s: %w: the image name expands to an empty string (give the ARG a default or pass --build-arg)",
			st.baseName, ErrEmptyBase)
	}
	h := head{base: Base{Kind: BaseImage, Image: ref, Stage: -1}}
	for _, prev := range g.d.stages[:st.index] {
		if prev.name != "" && strings.EqualFold(prev.name, ref) {
			h.base = Base{Kind: BaseStage, Stage: prev.index}
		}
	}
	if h.base.Kind == BaseImage && ref == "scratch" {
		h.base = Base{Kind: BaseScratch, Stage: -1}
	}
	if h.base.Kind == BaseImage {
		if _, err := name.ParseReference(ref); err != nil {
			return head{}, errf("FROM %s: invalid image reference %q: %v", st.baseName, ref, err)
		}
	}
	if st.platformExpr == "" {
		return h, nil
	}
	v, err := expandWord(g.lex, st.platformExpr, g.genv)
	if err != nil {
		return head{}, errf("FROM --platform=%s: %w", st.platformExpr, err)
	}
	if v == "" {
		return head{}, errf("%w %s: it expands to an empty string", ErrInvalidPlatform, st.platformExpr)
	}
	p, err := platform.Parse(v)
	if err != nil {
		return head{}, errf("%w %s (%q): %w", ErrInvalidPlatform, st.platformExpr, v, err)
	}
	h.platform = &p
	return h, nil
}

// reachable returns the indexes of the stages the target needs, sorted,
// checking on the way that each only uses earlier stages.
func (g *graph) reachable() ([]int, error) {
	seen := map[int]bool{}
	stack := []int{g.d.target}
	for len(stack) > 0 {
		i := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[i] {
			continue
		}
		seen[i] = true
		deps, err := g.stageDeps(i)
		if err != nil {
			return nil, err
		}
		stack = append(stack, deps...)
	}
	return slices.Sorted(maps.Keys(seen)), nil
}

// stageDeps computes (and records) the stages stage i uses.
func (g *graph) stageDeps(i int) ([]int, error) {
	cmds, err := g.effective(i)
	if err != nil {
		return nil, err
	}
	set := map[int]bool{}
	if b := g.heads[i].base; b.Kind == BaseStage {
		set[b.Stage] = true
	}
	for _, rc := range cmds {
		refs, err := fromRefs(rc)
		if err != nil {
			return nil, errorAt(g.d.file, rc.line, err)
		}
		for _, ref := range refs {
			o, err := g.origin(ref.value, ref.what, i, rc.line)
			if err != nil {
				return nil, err
			}
			if o.Kind == OriginStage {
				set[o.Stage] = true
			}
		}
	}
	g.deps[i] = slices.Sorted(maps.Keys(set))
	return g.deps[i], nil
}

// effective returns stage i's instructions: the ONBUILD triggers of its
// base stage (or of its base image, when its config is known), then its own.
func (g *graph) effective(i int) ([]*rawCmd, error) {
	if cmds, ok := g.cmds[i]; ok {
		return cmds, nil
	}
	st := g.d.stages[i]
	var triggers []string
	switch b := g.heads[i].base; b.Kind {
	case BaseStage:
		for _, rc := range g.d.stages[b.Stage].cmds {
			c, err := rc.command()
			if err != nil {
				return nil, errorAt(g.d.file, rc.line, err)
			}
			if ob, ok := c.(*instructions.OnbuildCommand); ok {
				triggers = append(triggers, ob.Expression)
			}
		}
	case BaseImage:
		triggers = g.images[i].OnBuild
	}
	var cmds []*rawCmd
	for _, t := range triggers {
		rc, err := parseTrigger(t, st.line)
		if err != nil {
			return nil, errorAt(g.d.file, st.line, fmt.Errorf("ONBUILD trigger %q of the base: %w", t, err))
		}
		cmds = append(cmds, rc)
	}
	cmds = append(cmds, st.cmds...)
	g.cmds[i] = cmds
	return cmds, nil
}

// fromRef is an unexpanded COPY --from or RUN --mount from= value.
type fromRef struct{ what, value string }

func fromRefs(rc *rawCmd) ([]fromRef, error) {
	c, err := rc.command()
	if err != nil {
		return nil, err
	}
	var refs []fromRef
	switch c := c.(type) {
	case *instructions.CopyCommand:
		if c.From != "" {
			refs = append(refs, fromRef{"COPY --from", c.From})
		}
	case *instructions.RunCommand:
		for _, m := range instructions.GetMounts(c) {
			if m.From != "" {
				refs = append(refs, fromRef{"RUN --mount from", m.From})
			}
		}
	}
	return refs, nil
}

// origin resolves a --from value used by stage cur: a stage index, a stage
// name (case-insensitive) or else an image reference.
func (g *graph) origin(ref, what string, cur, line int) (Origin, error) {
	errf := func(format string, a ...any) error {
		return &Error{File: g.d.file, Line: line, Err: fmt.Errorf("%s=%s: "+format, append([]any{what, ref}, a...)...)}
	}
	if res, _, err := g.lex.ProcessWord(ref, emptyEnv{}); err != nil || res != ref {
		return Origin{}, errf("variables are not supported here; define a stage with FROM (which sees global ARGs) and use its name")
	}
	idx := -1
	if n, err := strconv.Atoi(ref); err == nil {
		if n < 0 || n >= len(g.d.stages) {
			return Origin{}, errf("no stage has index %d (the Dockerfile has %d stages, from 0)", n, len(g.d.stages))
		}
		idx = n
	} else {
		for _, s := range g.d.stages {
			if s.name != "" && strings.EqualFold(s.name, ref) {
				idx = s.index
			}
		}
	}
	switch {
	case idx < 0:
		return Origin{Kind: OriginImage, Image: ref, Stage: -1, Platform: platform.Format(g.target)}, nil
	case idx == cur:
		return Origin{}, errf("%w: a stage cannot use itself", ErrStageOrder)
	case idx > cur:
		return Origin{}, errf("%w: stage %s is defined later (line %d); move it before the stage that uses it",
			ErrStageOrder, g.d.stages[idx].displayName(), g.d.stages[idx].line)
	}
	return Origin{Kind: OriginStage, Stage: idx}, nil
}

func (s *rawStage) displayName() string {
	if s.name != "" {
		return strconv.Quote(s.name)
	}
	return strconv.Itoa(s.index)
}

// parseTrigger parses an ONBUILD trigger as one instruction. As in
// BuildKit it uses the default escape token and gets the line of the FROM
// that inherits it.
func parseTrigger(expr string, line int) (*rawCmd, error) {
	res, err := parser.Parse(strings.NewReader(expr))
	if err != nil {
		return nil, err
	}
	if len(res.AST.Children) != 1 {
		return nil, fmt.Errorf("an ONBUILD trigger must be a single instruction")
	}
	n := res.AST.Children[0]
	n.StartLine, n.EndLine = line, line
	rc := &rawCmd{node: n, line: line, endLine: line, onbuild: true}
	c, err := rc.command()
	if err != nil {
		return nil, err
	}
	switch c.(type) {
	case *instructions.OnbuildCommand:
		return nil, fmt.Errorf("ONBUILD ONBUILD is not allowed")
	case *instructions.MaintainerCommand:
		return nil, fmt.Errorf("MAINTAINER is not allowed as an ONBUILD trigger")
	}
	if err := checkCommand(c); err != nil {
		return nil, err
	}
	return rc, nil
}
