package dockerfile

import (
	"fmt"
	"slices"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/shell"
)

// defaultPath is the PATH BuildKit gives a stage whose base image has none
// (scratch included): system.DefaultPathEnv("linux").
const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// envList is an ordered environment that implements shell.EnvGetter. Like
// BuildKit's llb.EnvList, setting a variable again moves it to the end.
type envList struct {
	keys []string
	vals map[string]string
}

func newEnvList(kvs []string) *envList {
	e := &envList{vals: map[string]string{}}
	for _, kv := range kvs {
		k, v, _ := strings.Cut(kv, "=")
		e.set(k, v)
	}
	return e
}

// Get implements shell.EnvGetter.
func (e *envList) Get(key string) (string, bool) {
	v, ok := e.vals[key]
	return v, ok
}

// Keys implements shell.EnvGetter.
func (e *envList) Keys() []string {
	return slices.Clone(e.keys)
}

func (e *envList) set(key, value string) {
	if _, ok := e.vals[key]; ok {
		e.keys = slices.DeleteFunc(e.keys, func(k string) bool { return k == key })
	}
	e.keys = append(e.keys, key)
	e.vals[key] = value
}

func (e *envList) clone() *envList {
	c := &envList{keys: slices.Clone(e.keys), vals: make(map[string]string, len(e.vals))}
	for k, v := range e.vals {
		c.vals[k] = v
	}
	return c
}

// slice renders KEY=VALUE pairs in order.
func (e *envList) slice() []string {
	out := make([]string, len(e.keys))
	for i, k := range e.keys {
		out[i] = k + "=" + e.vals[k]
	}
	return out
}

// emptyEnv is an environment without variables.
type emptyEnv struct{}

func (emptyEnv) Get(string) (string, bool) { return "", false }
func (emptyEnv) Keys() []string            { return nil }

// setConfigEnv sets key in an image config Env the way BuildKit's addEnv
// does: in place when present, else appended. It returns a new slice.
func setConfigEnv(env []string, key, value string) []string {
	env = slices.Clone(env)
	for i, kv := range env {
		if k, _, _ := strings.Cut(kv, "="); k == key {
			env[i] = key + "=" + value
			return env
		}
	}
	return append(env, key+"="+value)
}

// withDefaultPath returns env with PATH added when it has none, as BuildKit
// does for every stage.
func withDefaultPath(env []string) []string {
	for _, kv := range env {
		if strings.HasPrefix(kv, "PATH=") {
			return env
		}
	}
	return append(slices.Clone(env), "PATH="+defaultPath)
}

// setArg sets or adds an arg in an ordered list, keeping its first
// position. It returns a new slice.
func setArg(args []Arg, a Arg) []Arg {
	args = slices.Clone(args)
	for i := range args {
		if args[i].Name == a.Name {
			args[i] = a
			return args
		}
	}
	return append(args, a)
}

func strPtr(s string) *string { return &s }

// maxExpansion bounds what one word may expand to. Without it, ARGs that
// double each other (ARG B=$A$A) make a small Dockerfile exhaust memory.
const maxExpansion = 1 << 20

// expandWord expands variables in one word with BuildKit's rules: quotes
// removed, escapes processed, ${VAR:-default}, ${VAR:+alt}, ${VAR#pat}, ...
func expandWord(lex *shell.Lex, word string, env shell.EnvGetter) (string, error) {
	b := &budgetEnv{env: env, left: maxExpansion}
	res, _, err := lex.ProcessWord(word, b)
	if err == nil && (b.exceeded || len(res) > maxExpansion) {
		err = fmt.Errorf("expanding %q gives more than %d bytes", abbreviate(word), maxExpansion)
	}
	return res, err
}

// expandWords expands and splits on unquoted white space (EXPOSE).
func expandWords(lex *shell.Lex, word string, env shell.EnvGetter) ([]string, error) {
	b := &budgetEnv{env: env, left: maxExpansion}
	res, err := lex.ProcessWords(word, b)
	if err == nil && b.exceeded {
		err = fmt.Errorf("expanding %q gives more than %d bytes", abbreviate(word), maxExpansion)
	}
	return res, err
}

// budgetEnv stops handing out values once their total size passes a limit,
// so that an expansion cannot allocate without bound before it is checked.
type budgetEnv struct {
	env      shell.EnvGetter
	left     int
	exceeded bool
}

func (b *budgetEnv) Get(key string) (string, bool) {
	v, ok := b.env.Get(key)
	if b.left -= len(v); b.left < 0 {
		b.exceeded = true
		return "", ok
	}
	return v, ok
}

func (b *budgetEnv) Keys() []string { return b.env.Keys() }

func abbreviate(s string) string {
	if len(s) > 40 {
		return s[:37] + "..."
	}
	return s
}
