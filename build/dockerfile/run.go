package dockerfile

import (
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

func (cv *converter) run(c *instructions.RunCommand, node *parser.Node) (Command, error) {
	r := &Run{
		Shell:    c.PrependShell,
		Args:     slices.Clone(c.CmdLine),
		Network:  instructions.GetNetwork(c),
		Security: instructions.GetSecurity(c),
	}
	for _, h := range node.Heredocs {
		r.Heredocs = append(r.Heredocs, Heredoc{
			Name: h.Name, Data: h.Content, Expand: h.Expand, Chomp: h.Chomp, FD: h.FileDescriptor,
		})
	}
	for _, m := range instructions.GetMounts(c) {
		mt, err := cv.mount(m)
		if err != nil {
			return nil, err
		}
		r.Mounts = append(r.Mounts, mt)
	}
	return r, nil
}

// mount converts one --mount and applies BuildKit's defaults: a bind mount
// shows the context, a cache mount starts empty with the target as its id,
// a secret's id defaults to its source or target name and its target to
// /run/secrets/<id>, an ssh mount's id to "default".
func (cv *converter) mount(m *instructions.Mount) (Mount, error) {
	out := Mount{
		Type: MountType(m.Type), Source: m.Source, Target: m.Target, ReadOnly: m.ReadOnly,
		ID: m.CacheID, Sharing: string(m.CacheSharing), Required: m.Required,
		SizeLimit: m.SizeLimit, Env: m.Env,
		Mode: uint32Ptr(m.Mode), UID: uint32Ptr(m.UID), GID: uint32Ptr(m.GID),
		From: Origin{Stage: -1},
	}
	switch out.Type {
	case MountBind, MountCache, MountTmpfs:
		if out.Target == "" || path.Clean(out.Target) == "/" {
			return Mount{}, fmt.Errorf("--mount=type=%s needs a target other than /", out.Type)
		}
	}
	switch out.Type {
	case MountBind:
		out.From.Kind = OriginContext
	case MountCache:
		out.From.Kind = OriginScratch
		if out.ID == "" {
			out.ID = path.Clean(out.Target)
		}
		if out.Sharing == "" {
			out.Sharing = string(instructions.MountSharingShared)
		}
	case MountSecret:
		if m.Source != "" {
			out.ID = m.Source
		}
		if out.ID == "" {
			out.ID = path.Base(out.Target)
		}
		if out.Env == nil && out.Target == "" {
			out.Target = "/run/secrets/" + path.Base(out.ID)
		}
	case MountSSH:
		if m.Source != "" {
			return Mount{}, errors.New("--mount=type=ssh does not take a source")
		}
		if out.ID == "" {
			out.ID = "default"
		}
	}
	if m.From != "" && (out.Type == MountBind || out.Type == MountCache) {
		o, err := cv.origin(m.From, "RUN --mount from")
		if err != nil {
			return Mount{}, err
		}
		out.From = o
	}
	return out, nil
}

func uint32Ptr(p *uint64) *uint32 {
	if p == nil {
		return nil
	}
	v := uint32(*p)
	return &v
}

// ScriptDir is where Exec expects a shebang heredoc script to be mounted
// (read-only), as BuildKit does.
const ScriptDir = "/dev/pipes/"

// Exec returns the argv of the RUN process, as BuildKit's dispatchRun
// builds it. shell is the stage's SHELL (nil means ["/bin/sh", "-c"]) and
// only matters for the shell form.
//
// Heredocs: a command that is a single heredoc (RUN <<EOF) runs its body
// as the shell command, or, when the body starts with "#!", as a script:
// then script is non-nil and the executor must provide it as an executable
// file (mode 0755) named ScriptDir+script.Name. Any other use of heredocs
// is handed to the shell with the bodies appended, for the shell to read.
func (r *Run) Exec(shell []string) (argv []string, script *Heredoc) {
	args := slices.Clone(r.Args)
	if len(r.Heredocs) > 0 && r.Shell && len(args) == 1 {
		if h := parser.MustParseHeredoc(args[0]); h != nil {
			data := r.Heredocs[0].Data
			if r.Heredocs[0].Chomp {
				data = parser.ChompHeredocContent(data)
			}
			if strings.HasPrefix(data, "#!") {
				script = &Heredoc{Name: r.Heredocs[0].Name, Data: data}
				args = []string{ScriptDir + r.Heredocs[0].Name}
			} else {
				args = []string{data}
			}
		} else {
			var b strings.Builder
			b.WriteString(args[0])
			for _, h := range r.Heredocs {
				b.WriteByte('\n')
				b.WriteString(h.Data)
				b.WriteString(h.Name)
			}
			args = []string{b.String()}
		}
	}
	if !r.Shell {
		return args, script
	}
	if len(shell) == 0 {
		shell = []string{"/bin/sh", "-c"}
	}
	return append(slices.Clone(shell), strings.Join(args, " ")), script
}
