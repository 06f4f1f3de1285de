package dockerfile

import (
	"strconv"

	"github.com/polyarch/polyarch/platform"
)

// Plan is a parsed Dockerfile turned into one build graph per target
// platform. It is a pure value: building it reads no files and no registry.
type Plan struct {
	// File is the Dockerfile name used in messages ("Dockerfile").
	File string
	// Syntax is the value of a "# syntax=" directive, "" when there is none.
	// polyarch always uses its built-in frontend; see Warnings.
	Syntax string
	// Escape is the escape token: `\` by default, "`" after "# escape=`".
	Escape string
	// Target is the requested --target stage ("" means the last stage).
	Target string
	// BuildPlatform is the platform the build runs on (BUILDPLATFORM).
	BuildPlatform platform.Platform
	// Builds holds one graph per target platform, in the requested order.
	Builds []*Build
	// ProxyArgs are the predefined proxy build args that were given
	// (HTTP_PROXY, no_proxy, ...), sorted by name. As in BuildKit they are
	// in every RUN's environment without an ARG, and stay out of cache keys.
	ProxyArgs []KeyValue
	// UnusedBuildArgs lists the --build-arg names that no ARG of any needed
	// stage (nor of the global scope) declares, sorted; buildx warns about them.
	UnusedBuildArgs []string
	// Warnings are non-fatal findings, in line order.
	Warnings []Warning
}

// Build is the graph of stage instances needed for one target platform.
type Build struct {
	// Platform is the target platform (TARGETPLATFORM).
	Platform platform.Platform
	// GlobalArgs are the ARGs declared before the first FROM with the value
	// they have for this platform, in declaration order; an ARG without a
	// value anywhere has a nil Value. Only FROM lines see them directly.
	GlobalArgs []Arg
	// Stages are the stage instances the target needs, in Dockerfile order.
	// A stage only depends on earlier ones, so this order is a topological
	// order and the last stage is the target. Unused stages are absent.
	Stages []*Stage

	doc    *document // the parsed Dockerfile, for Resolve
	images map[int]ImageConfig
}

// Target returns the stage the build produces (the last of Stages).
func (b *Build) Target() *Stage {
	return b.Stages[len(b.Stages)-1]
}

// Stage returns the instance of the stage with the given Dockerfile index,
// or nil when the build does not need it.
func (b *Build) Stage(index int) *Stage {
	for _, s := range b.Stages {
		if s.Index == index {
			return s
		}
	}
	return nil
}

// Stage is one instance of a Dockerfile stage for one target platform. A
// stage with FROM --platform=$BUILDPLATFORM has one instance per target
// platform even though every instance runs on the build platform: their
// TARGET* args differ (BuildKit does the same).
type Stage struct {
	// Index is the stage's position in the Dockerfile, from 0 (the number
	// COPY --from=<index> uses).
	Index int
	// Name is the lower-cased AS name, "" for an unnamed stage.
	Name string
	// Line is the line of the stage's FROM instruction.
	Line int
	// Platform is the platform this instance runs on: the evaluated
	// FROM --platform, else the base stage's platform, else the target.
	Platform platform.Platform
	// Base is what the stage starts from.
	Base Base
	// DependsOn lists the indexes of the stages this one needs (its base
	// stage, COPY --from and RUN --mount from=), sorted, without duplicates.
	DependsOn []int
	// Resolved is true when every variable could be expanded with full
	// knowledge: the stage's chain of bases ends at scratch, or Resolve was
	// given the base image's config. Otherwise the expansion assumed a base
	// image without ENV and WORKDIR; the executor must call Build.Resolve.
	Resolved bool
	// Instructions are the stage's instructions in order, expanded. Triggers
	// of the base's ONBUILD instructions come first (with OnBuild set).
	Instructions []Instruction
	// Final is the state the stage leaves behind, which a stage that says
	// FROM <this stage> inherits.
	Final State
	// Fingerprint identifies the work of this instance: two instances
	// with the same fingerprint in one Plan (typically a
	// --platform=$BUILDPLATFORM stage that does not use TARGET* args, once
	// per target) produce the same result, so the executor may build it
	// once. It covers the platform, base, expanded instructions and the
	// fingerprints of the stages it depends on.
	Fingerprint string
}

// DisplayName is the stage name, or "stage-N" for an unnamed stage, as
// BuildKit names stages in its progress output.
func (s *Stage) DisplayName() string {
	if s.Name != "" {
		return s.Name
	}
	return "stage-" + strconv.Itoa(s.Index)
}

// BaseKind says what a stage starts from.
type BaseKind string

// The kinds of stage base.
const (
	BaseImage   BaseKind = "image"   // an image reference, resolved for Stage.Platform
	BaseScratch BaseKind = "scratch" // an empty filesystem
	BaseStage   BaseKind = "stage"   // an earlier stage of the same Dockerfile
)

// Base is the FROM of a stage.
type Base struct {
	Kind BaseKind
	// Image is the reference after ARG expansion, as written (not
	// normalised: "golang:1.22"), when Kind is BaseImage.
	Image string
	// Stage is the index of the base stage when Kind is BaseStage, else -1.
	Stage int
}

// State is the build state at one point of a stage, as far as the Plan
// knows it.
type State struct {
	// Env is the environment for expansion and for RUN: the base's ENV, the
	// stage's ENV and the values of declared ARGs, as KEY=VALUE in BuildKit's
	// order (a variable set again moves to the end).
	Env []string
	// Config is the image config Env (ENV only, no ARG values), in image
	// config order (a variable set again keeps its place).
	Config []string
	// Args are the ARGs in scope, in declaration order.
	Args []Arg
	// Workdir is the absolute working directory, "" when it depends on a
	// base image config the Plan has not seen (see Stage.Resolved).
	Workdir string
}

// Instruction is one Dockerfile instruction of a stage, expanded.
type Instruction struct {
	// Line and EndLine delimit the instruction in the Dockerfile (EndLine
	// includes continuation lines and heredoc bodies). Triggers inherited
	// through ONBUILD carry the line of the stage's FROM.
	Line, EndLine int
	// Source is the instruction as written (first line for heredocs),
	// for progress output and error messages.
	Source string
	// OnBuild is true for an instruction that came from an ONBUILD trigger
	// of the base stage or base image.
	OnBuild bool
	// Args are the ARGs in scope when the instruction runs. RUN sees those
	// with a value as environment variables, so they belong in its cache key.
	Args []Arg
	// Env is the environment before the instruction (see State.Env): the
	// process environment of a RUN (plus Plan.ProxyArgs).
	Env []string
	// Command holds the kind-specific details: *Run, *Copy, *Add, *Env, ...
	Command Command
}

// Kind is the upper-case instruction keyword.
func (in *Instruction) Kind() Kind {
	return in.Command.Kind()
}

// Arg is a declared build argument.
type Arg struct {
	Name string
	// Value is nil when the ARG has no default and no value was given.
	Value *string
}

// String renders NAME=value, or NAME when the arg has no value.
func (a Arg) String() string {
	if a.Value == nil {
		return a.Name
	}
	return a.Name + "=" + *a.Value
}

// KeyValue is an ordered name/value pair (ENV, LABEL).
type KeyValue struct {
	Key, Value string
}

// String renders KEY=VALUE.
func (kv KeyValue) String() string {
	return kv.Key + "=" + kv.Value
}

// Warning is a non-fatal finding. Line is 0 when it is not tied to a line.
type Warning struct {
	Line    int
	Message string
}

// ImageConfig is what Build.Resolve needs to know about a base image.
type ImageConfig struct {
	// Env is the image config Env (KEY=VALUE).
	Env []string
	// WorkingDir is the image config WorkingDir ("" means /).
	WorkingDir string
	// OnBuild holds the image's ONBUILD triggers, run first in the stage.
	OnBuild []string
}
