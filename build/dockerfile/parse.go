package dockerfile

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"

	"github.com/polyarch/polyarch/platform"
)

// document is a parsed Dockerfile with the options that do not depend on
// the target platform. It is immutable once loaded: every Build reads it,
// possibly concurrently (Build.Resolve).
type document struct {
	file          string
	escape        rune
	meta          []*rawCmd // ARG instructions before the first FROM
	stages        []*rawStage
	buildArgs     map[string]string
	buildPlatform platform.Platform
	target        int    // index of the stage to build
	targetName    string // TARGETSTAGE
}

// rawStage is a stage as written.
type rawStage struct {
	index        int
	name         string // lower case, "" when unnamed
	baseName     string // unexpanded
	platformExpr string // unexpanded --platform, "" when absent
	line         int
	cmds         []*rawCmd
}

// rawCmd is one instruction's AST node. Commands are parsed again from the
// node for every stage instance, because expansion mutates them.
type rawCmd struct {
	node          *parser.Node
	line, endLine int
	onbuild       bool
}

// command parses the node into a fresh BuildKit command.
func (rc *rawCmd) command() (instructions.Command, error) {
	return instructions.ParseCommand(rc.node)
}

// Parse turns a Dockerfile into a Plan: one Build per target platform.
// Errors are *Error values carrying the Dockerfile line.
func Parse(ctx context.Context, src []byte, opts ...Option) (plan *Plan, err error) {
	o := newOptions(opts)
	defer func() {
		// The parsers are third-party code fed untrusted input: a panic in
		// them must not take the build tool down.
		if r := recover(); r != nil {
			plan, err = nil, &Error{File: o.file, Err: fmt.Errorf("internal error while parsing: %v", r)}
		}
	}()
	doc, plan, err := load(src, o)
	if err != nil {
		return nil, err
	}
	for _, p := range o.platforms {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		b, err := doc.build(p, nil)
		if err != nil {
			return nil, err
		}
		plan.Builds = append(plan.Builds, b)
	}
	plan.ProxyArgs = proxyArgs(o.buildArgs)
	plan.UnusedBuildArgs = doc.unusedArgs(plan.Builds)
	slices.SortStableFunc(plan.Warnings, func(a, b Warning) int { return a.Line - b.Line })
	return plan, nil
}

// load parses the directives and the instructions.
func load(src []byte, o options) (*document, *Plan, error) {
	plan := &Plan{File: o.file, Target: o.target, BuildPlatform: *o.buildPlatform}
	if len(bytes.TrimSpace(src)) == 0 {
		return nil, nil, &Error{File: o.file, Err: fmt.Errorf("%w: the Dockerfile is empty", ErrNoStage)}
	}
	if syntax, cmdline, loc, ok := parser.DetectSyntax(src); ok {
		plan.Syntax = cmdline
		if !builtinSyntax(syntax) {
			plan.Warnings = append(plan.Warnings, Warning{Line: rangeLine(loc), Message: fmt.Sprintf(
				"syntax %q is ignored: polyarch uses its built-in frontend (docker/dockerfile:1)", syntax)})
		}
	}
	res, err := parser.Parse(bytes.NewReader(src))
	if err != nil {
		if strings.Contains(err.Error(), "file with no instructions") {
			return nil, nil, &Error{File: o.file, Err: fmt.Errorf("%w: the Dockerfile has no instructions", ErrNoStage)}
		}
		return nil, nil, errorAt(o.file, 0, err)
	}
	plan.Escape = string(res.EscapeToken)
	for _, w := range res.Warnings {
		line := 0
		if w.Location != nil {
			line = w.Location.Start.Line
		}
		plan.Warnings = append(plan.Warnings, Warning{Line: line, Message: w.Short})
	}
	doc := &document{
		file:          o.file,
		escape:        res.EscapeToken,
		buildArgs:     o.buildArgs,
		buildPlatform: *o.buildPlatform,
	}
	if err := doc.addNodes(res.AST.Children); err != nil {
		return nil, nil, err
	}
	if err := doc.setTarget(o.target); err != nil {
		return nil, nil, err
	}
	return doc, plan, nil
}

// addNodes sorts the top-level nodes into global ARGs and stages,
// validating each instruction on the way.
func (d *document) addNodes(nodes []*parser.Node) error {
	for _, n := range nodes {
		v, err := instructions.ParseInstruction(n)
		if err != nil {
			return errorAt(d.file, n.StartLine, err)
		}
		switch c := v.(type) {
		case *instructions.Stage:
			if err := d.addStage(c, n); err != nil {
				return err
			}
		case instructions.Command:
			if err := checkCommand(c); err != nil {
				return errorAt(d.file, n.StartLine, err)
			}
			rc := &rawCmd{node: n, line: n.StartLine, endLine: n.EndLine}
			if len(d.stages) > 0 {
				st := d.stages[len(d.stages)-1]
				st.cmds = append(st.cmds, rc)
			} else if _, ok := c.(*instructions.ArgCommand); ok {
				d.meta = append(d.meta, rc)
			} else {
				return &Error{File: d.file, Line: n.StartLine, Err: fmt.Errorf(
					"%w: %s before the first FROM (only ARG may come before FROM)", ErrNoStage, strings.ToUpper(c.Name()))}
			}
		}
	}
	if len(d.stages) == 0 {
		return &Error{File: d.file, Err: fmt.Errorf("%w: no FROM instruction (a Dockerfile needs at least one stage)", ErrNoStage)}
	}
	return nil
}

func (d *document) addStage(c *instructions.Stage, n *parser.Node) error {
	if c.Name != "" {
		for _, s := range d.stages {
			if s.name == c.Name {
				return &Error{File: d.file, Line: n.StartLine, Err: fmt.Errorf(
					"stage name %q is already used by the stage on line %d; stage names must be unique", c.Name, s.line)}
			}
		}
	}
	d.stages = append(d.stages, &rawStage{
		index:        len(d.stages),
		name:         c.Name,
		baseName:     c.BaseName,
		platformExpr: c.Platform,
		line:         n.StartLine,
	})
	return nil
}

// checkCommand rejects what parses but polyarch cannot do.
func checkCommand(c instructions.Command) error {
	if r, ok := c.(*instructions.RunCommand); ok && slices.Contains(r.FlagsUsed, "device") {
		return fmt.Errorf("%w: RUN --device (CDI devices)", ErrUnsupported)
	}
	return nil
}

// setTarget finds the --target stage; "" means the last one.
func (d *document) setTarget(name string) error {
	if name == "" {
		d.target = len(d.stages) - 1
		d.targetName = d.stages[d.target].name
		if d.targetName == "" {
			d.targetName = "default"
		}
		return nil
	}
	var names []string
	for _, s := range d.stages {
		if strings.EqualFold(s.name, name) {
			d.target, d.targetName = s.index, s.name
			return nil
		}
		if s.name != "" {
			names = append(names, s.name)
		}
	}
	if len(names) == 0 {
		return &Error{File: d.file, Err: fmt.Errorf("%w %q: the Dockerfile has no named stages (use FROM ... AS <name>)", ErrUnknownTarget, name)}
	}
	return &Error{File: d.file, Err: fmt.Errorf("%w %q; the stages are: %s", ErrUnknownTarget, name, strings.Join(names, ", "))}
}

// builtinSyntax reports whether a "# syntax=" frontend is a
// docker/dockerfile:1* one (1, 1.7, 1-labs, with or without docker.io/ and
// a digest), whose language BuildKit's parser packages, and so polyarch,
// implement.
func builtinSyntax(s string) bool {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "@")
	s = strings.TrimPrefix(s, "docker.io/")
	name, tag, hasTag := strings.Cut(s, ":")
	if name != "docker/dockerfile" && name != "docker/dockerfile-upstream" {
		return false
	}
	return !hasTag || strings.HasPrefix(tag, "1")
}

func rangeLine(r []parser.Range) int {
	if len(r) == 0 {
		return 0
	}
	return r[0].Start.Line
}
