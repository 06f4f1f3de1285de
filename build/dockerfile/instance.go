package dockerfile

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"path"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
)

// nonEnvArgs are ARGs BuildKit never puts in the environment.
func nonEnvArg(name string) bool {
	return name == "BUILDKIT_SBOM_SCAN_CONTEXT" || name == "BUILDKIT_SBOM_SCAN_STAGE"
}

// instantiate builds the instance of stage i from its base: the parent
// stage's final state (done holds the instances made so far), scratch, or
// an image whose config may be known.
func (g *graph) instantiate(i int, done map[int]*Stage) (*Stage, error) {
	st, h := g.d.stages[i], g.heads[i]
	s := &Stage{Index: i, Name: st.name, Line: st.line, Base: h.base, DependsOn: g.deps[i], Platform: g.target}
	if h.platform != nil {
		s.Platform = *h.platform
	}
	var init State
	switch h.base.Kind {
	case BaseStage:
		parent := done[h.base.Stage]
		// As in BuildKit, a stage built on a stage runs on its platform.
		s.Platform, s.Resolved, init = parent.Platform, parent.Resolved, parent.Final
	case BaseScratch:
		env := withDefaultPath(nil)
		s.Resolved, init = true, State{Env: env, Config: env, Workdir: "/"}
	case BaseImage:
		cfg, known := g.images[i]
		env := withDefaultPath(cfg.Env)
		s.Resolved, init = known, State{Env: env, Config: env}
		if known {
			init.Workdir = joinWorkdir("/", cfg.WorkingDir)
		}
	}
	w := &walker{g: g, stage: s, env: newEnvList(init.Env), config: init.Config, args: init.Args, workdir: init.Workdir}
	w.raw = shell.NewLex('\\')
	w.raw.SkipProcessQuotes = true
	for _, rc := range g.cmds[i] {
		in, err := w.step(rc)
		if err != nil {
			return nil, err
		}
		s.Instructions = append(s.Instructions, in)
	}
	s.Final = State{Env: w.env.slice(), Config: w.config, Args: w.args, Workdir: w.workdir}
	s.Fingerprint = fingerprint(s, done)
	return s, nil
}

// fingerprint hashes the stage's stable JSON form, which holds everything
// that determines its result except its dependencies, and their
// fingerprints.
func fingerprint(s *Stage, done map[int]*Stage) string {
	h := sha256.New()
	data, _ := json.Marshal(s.jsonValue()) // plain data: cannot fail
	h.Write(data)
	for _, d := range s.DependsOn {
		h.Write([]byte{0})
		h.Write([]byte(done[d].Fingerprint))
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// walker expands a stage's instructions in order, tracking the state.
type walker struct {
	g       *graph
	stage   *Stage
	raw     *shell.Lex // for heredoc bodies: quotes are kept
	env     *envList
	config  []string
	args    []Arg
	workdir string
}

// step turns one instruction into its expanded form and applies it.
func (w *walker) step(rc *rawCmd) (Instruction, error) {
	in := Instruction{Line: rc.line, EndLine: rc.endLine, OnBuild: rc.onbuild, Args: w.args, Env: w.env.slice()}
	c, err := rc.command()
	if err != nil {
		return in, errorAt(w.g.d.file, rc.line, err)
	}
	if s, ok := c.(fmt.Stringer); ok {
		in.Source = s.String()
	}
	if a, ok := c.(*instructions.ArgCommand); ok {
		in.Command, err = w.arg(a)
	} else if err = w.expand(c); err == nil {
		cv := &converter{lex: w.g.lex, env: w.env, origin: func(ref, what string) (Origin, error) {
			return w.g.origin(ref, what, w.stage.Index, rc.line)
		}}
		in.Command, err = cv.convert(c, rc.node)
	}
	if err != nil {
		return in, errorAt(w.g.d.file, rc.line, err)
	}
	w.apply(in.Command)
	return in, nil
}

// expand does BuildKit's word expansion of a command in place, with the
// environment before the instruction. RUN only expands its --mount flags;
// CMD, ENTRYPOINT, SHELL, HEALTHCHECK, ONBUILD and MAINTAINER expand nothing.
func (w *walker) expand(c instructions.Command) error {
	if ex, ok := c.(instructions.SupportsSingleWordExpansion); ok {
		if err := ex.Expand(w.word); err != nil {
			return err
		}
	}
	if ex, ok := c.(instructions.SupportsSingleWordExpansionRaw); ok {
		return ex.ExpandRaw(func(word string) (string, error) {
			return expandWord(w.raw, word, w.env)
		})
	}
	return nil
}

func (w *walker) word(s string) (string, error) {
	return expandWord(w.g.lex, s, w.env)
}

// arg declares build args, as BuildKit's dispatchArg: a --build-arg value
// wins, then the ARG's default (expanded), then for an ARG without default
// the global ARG's value. A declared arg with a value joins the environment.
func (w *walker) arg(c *instructions.ArgCommand) (Command, error) {
	out := &ArgCmd{}
	for _, kv := range c.Args {
		var value *string
		if v, ok := w.g.d.buildArgs[kv.Key]; ok {
			value = &v
		} else if kv.Value != nil {
			v, err := w.word(*kv.Value)
			if err != nil {
				return nil, fmt.Errorf("ARG %s: %w", kv.Key, err)
			}
			value = &v
		} else if v, ok := w.g.genv.Get(kv.Key); ok {
			value = &v
		}
		if value != nil && !nonEnvArg(kv.Key) {
			w.env.set(kv.Key, *value)
		} else if v, ok := w.env.Get(kv.Key); ok && value == nil {
			value = &v // already set, e.g. by the base stage: RUN sees that
		}
		a := Arg{Name: kv.Key, Value: value}
		w.args = setArg(w.args, a)
		out.Args = append(out.Args, a)
	}
	return out, nil
}

// apply updates the state after an instruction.
func (w *walker) apply(c Command) {
	switch c := c.(type) {
	case *Env:
		for _, kv := range c.Vars {
			w.env.set(kv.Key, kv.Value)
			w.config = setConfigEnv(w.config, kv.Key, kv.Value)
		}
	case *Workdir:
		switch {
		case path.IsAbs(c.Path):
			w.workdir = path.Clean(c.Path)
		case w.workdir != "":
			w.workdir = joinWorkdir(w.workdir, c.Path)
		}
		c.Dir = w.workdir
	}
}

// joinWorkdir resolves a WORKDIR against the current one, as BuildKit's
// system.NormalizeWorkdir does on Linux.
func joinWorkdir(current, dir string) string {
	if current == "" {
		current = "/"
	}
	if !path.IsAbs(dir) {
		dir = path.Join(current, dir)
	}
	return path.Clean(dir)
}
