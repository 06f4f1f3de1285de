package dockerfile

import (
	"fmt"
	"maps"
	"strconv"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
)

// ParseTriggers parses ONBUILD triggers (an image config's OnBuild list)
// into instructions, without expanding them: words keep their variables,
// Line is 0 and OnBuild is set. A --from value is reported as a stage
// index when it is a number and as an image otherwise: stage names only
// mean something inside a Dockerfile. To run triggers in a stage with
// expansion and stage references, give them to Build.Resolve instead.
func ParseTriggers(triggers []string) ([]Instruction, error) {
	var out []Instruction
	for i, t := range triggers {
		in, err := parseTriggerInstruction(t)
		if err != nil {
			return nil, fmt.Errorf("ONBUILD trigger %d (%q): %w", i+1, t, err)
		}
		out = append(out, in)
	}
	return out, nil
}

func parseTriggerInstruction(t string) (Instruction, error) {
	rc, err := parseTrigger(t, 0)
	if err != nil {
		return Instruction{}, err
	}
	c, err := rc.command()
	if err != nil {
		return Instruction{}, err
	}
	// Expanding with the identity completes the parsing of RUN --mount
	// (BuildKit defers it to expansion) and changes no other word.
	if ex, ok := c.(instructions.SupportsSingleWordExpansion); ok {
		if err := ex.Expand(func(w string) (string, error) { return w, nil }); err != nil {
			return Instruction{}, err
		}
	}
	cv := &converter{lex: shell.NewLex(parser.DefaultEscapeToken), env: emptyEnv{}, unexpanded: true,
		origin: func(ref, what string) (Origin, error) {
			if n, err := strconv.Atoi(ref); err == nil {
				return Origin{Kind: OriginStage, Stage: n}, nil
			}
			return Origin{Kind: OriginImage, Image: ref, Stage: -1}, nil
		}}
	cmd, err := cv.convert(c, rc.node)
	if err != nil {
		return Instruction{}, err
	}
	in := Instruction{OnBuild: true, Command: cmd}
	if s, ok := c.(fmt.Stringer); ok {
		in.Source = s.String()
	}
	return in, nil
}

// Resolve evaluates the build again with what the executor learned about
// base images: images maps a stage index (of a stage whose Base is an
// image) to that image's config for the stage's platform. Variables
// then expand with the image's ENV, relative WORKDIRs resolve against its
// WorkingDir, and its ONBUILD triggers run first in the stage, as in
// BuildKit. Stages of b with an image base not in images keep Resolved
// false.
//
// Triggers may use more stages (ONBUILD COPY --from=<stage>), so the
// result can hold stages b did not: resolve their base images too and
// call Resolve again until Missing reports nothing. The receiver is not
// modified, and Resolve is safe for concurrent use.
func (b *Build) Resolve(images map[int]ImageConfig) (r *Build, err error) {
	defer func() {
		// Triggers come from images: untrusted input for the parsers.
		if p := recover(); p != nil {
			r, err = nil, &Error{File: b.doc.file, Err: fmt.Errorf("internal error while resolving: %v", p)}
		}
	}()
	all := maps.Clone(b.images)
	if all == nil {
		all = map[int]ImageConfig{}
	}
	maps.Copy(all, images)
	return b.doc.build(b.Platform, all)
}

// Missing lists the stages (by index) whose base is an image whose config
// Resolve was not given: the executor must resolve these base images and
// call Resolve before running the build.
func (b *Build) Missing() []int {
	var out []int
	for _, s := range b.Stages {
		if _, ok := b.images[s.Index]; s.Base.Kind == BaseImage && !ok {
			out = append(out, s.Index)
		}
	}
	return out
}
