package dockerfile

import (
	"bytes"
	"encoding/json"

	"github.com/polyarch/polyarch/platform"
)

// The stable JSON form of a Plan: golden files and `--json` output use
// it. Maps are emitted with sorted keys by encoding/json, slices keep the
// Plan's order, and empty values are left out, so equal Plans render to
// equal bytes.

type jsonPlan struct {
	File          string        `json:"file"`
	Syntax        string        `json:"syntax,omitempty"`
	Escape        string        `json:"escape"`
	Target        string        `json:"target,omitempty"`
	BuildPlatform string        `json:"build_platform"`
	Builds        []jsonBuild   `json:"builds"`
	ProxyArgs     []string      `json:"proxy_args,omitempty"`
	Unused        []string      `json:"unused_build_args,omitempty"`
	Warnings      []jsonWarning `json:"warnings,omitempty"`
}

type jsonWarning struct {
	Line    int    `json:"line,omitempty"`
	Message string `json:"message"`
}

type jsonBuild struct {
	Platform   string      `json:"platform"`
	GlobalArgs []string    `json:"global_args,omitempty"`
	Stages     []jsonStage `json:"stages"`
}

type jsonStage struct {
	Index        int               `json:"index"`
	Name         string            `json:"name,omitempty"`
	Line         int               `json:"line"`
	Platform     string            `json:"platform"`
	Base         map[string]any    `json:"base"`
	DependsOn    []int             `json:"depends_on,omitempty"`
	Resolved     bool              `json:"resolved"`
	Instructions []jsonInstruction `json:"instructions"`
	Workdir      string            `json:"final_workdir,omitempty"`
	Config       []string          `json:"final_config_env,omitempty"`
}

type jsonInstruction struct {
	Line        int            `json:"line"`
	Kind        Kind           `json:"kind"`
	Args        []string       `json:"args"`
	Flags       map[string]any `json:"flags,omitempty"`
	Form        string         `json:"form,omitempty"`
	Heredocs    []jsonHeredoc  `json:"heredocs,omitempty"`
	SourceKinds []SourceKind   `json:"source_kinds,omitempty"`
	Dir         string         `json:"dir,omitempty"`
	OnBuild     bool           `json:"onbuild,omitempty"`
	BuildArgs   []string       `json:"build_args,omitempty"`
	Env         []string       `json:"env,omitempty"`
}

type jsonHeredoc struct {
	Name   string `json:"name"`
	Data   string `json:"data"`
	Expand bool   `json:"expand"`
	Chomp  bool   `json:"chomp,omitempty"`
	FD     uint   `json:"fd,omitempty"`
}

// MarshalJSON renders the stable JSON form (see JSON).
func (p *Plan) MarshalJSON() ([]byte, error) {
	return json.Marshal(p.jsonValue())
}

// JSON renders the Plan in its stable, indented JSON form: every build
// with its platform, stages, bases and instructions, each instruction as
// {"line": N, "kind": "RUN", "args": [...], "flags": {...}} plus what it
// needs (heredocs, build args in scope, RUN's environment).
func (p *Plan) JSON() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(p.jsonValue()); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func (p *Plan) jsonValue() jsonPlan {
	out := jsonPlan{
		File: p.File, Syntax: p.Syntax, Escape: p.Escape, Target: p.Target,
		BuildPlatform: platform.Format(p.BuildPlatform), Unused: p.UnusedBuildArgs,
		Builds: []jsonBuild{},
	}
	out.ProxyArgs = renderKVs(p.ProxyArgs)
	if len(out.ProxyArgs) == 0 {
		out.ProxyArgs = nil
	}
	for _, w := range p.Warnings {
		out.Warnings = append(out.Warnings, jsonWarning(w))
	}
	for _, b := range p.Builds {
		out.Builds = append(out.Builds, b.jsonValue())
	}
	return out
}

func (b *Build) jsonValue() jsonBuild {
	out := jsonBuild{Platform: platform.Format(b.Platform), Stages: []jsonStage{}}
	for _, a := range b.GlobalArgs {
		out.GlobalArgs = append(out.GlobalArgs, a.String())
	}
	for _, s := range b.Stages {
		out.Stages = append(out.Stages, s.jsonValue())
	}
	return out
}

func (s *Stage) jsonValue() jsonStage {
	out := jsonStage{
		Index: s.Index, Name: s.Name, Line: s.Line, Platform: platform.Format(s.Platform),
		DependsOn: s.DependsOn, Resolved: s.Resolved, Instructions: []jsonInstruction{},
		Workdir: s.Final.Workdir, Config: s.Final.Config,
	}
	switch s.Base.Kind {
	case BaseImage:
		out.Base = map[string]any{"image": s.Base.Image}
	case BaseScratch:
		out.Base = map[string]any{"scratch": true}
	case BaseStage:
		out.Base = map[string]any{"stage": s.Base.Stage}
	}
	for i := range s.Instructions {
		out.Instructions = append(out.Instructions, s.Instructions[i].jsonValue())
	}
	return out
}

func (in *Instruction) jsonValue() jsonInstruction {
	args, flags := in.Command.render()
	out := jsonInstruction{Line: in.Line, Kind: in.Kind(), Args: args, Flags: flags, OnBuild: in.OnBuild}
	if out.Args == nil {
		out.Args = []string{}
	}
	if len(out.Flags) == 0 {
		out.Flags = nil
	}
	for _, a := range in.Args {
		out.BuildArgs = append(out.BuildArgs, a.String())
	}
	var heredocs []Heredoc
	switch c := in.Command.(type) {
	case *Run:
		out.Form, out.Env, heredocs = form(c.Shell), in.Env, c.Heredocs
	case *Cmd:
		out.Form = form(c.Shell)
	case *Entrypoint:
		out.Form = form(c.Shell)
	case *Copy:
		heredocs = c.Heredocs
	case *Add:
		heredocs = c.Heredocs
		for _, s := range c.Sources {
			out.SourceKinds = append(out.SourceKinds, s.Kind)
		}
	case *Workdir:
		out.Dir = c.Dir
	}
	for _, h := range heredocs {
		out.Heredocs = append(out.Heredocs, jsonHeredoc(h))
	}
	return out
}

func form(shell bool) string {
	if shell {
		return "shell"
	}
	return "exec"
}
