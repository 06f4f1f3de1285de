package dockerfile

import (
	"strconv"
	"time"
)

// The render methods give each command's args and flags for the stable
// JSON form. Flags at their default value are left out.

func (c *Run) render() ([]string, map[string]any) {
	flags := map[string]any{}
	if len(c.Mounts) > 0 {
		mounts := make([]map[string]any, len(c.Mounts))
		for i, m := range c.Mounts {
			mounts[i] = m.render()
		}
		flags["mount"] = mounts
	}
	if c.Network != "" && c.Network != "default" {
		flags["network"] = c.Network
	}
	if c.Security != "" && c.Security != "sandbox" {
		flags["security"] = c.Security
	}
	return c.Args, flags
}

func (m Mount) render() map[string]any {
	out := map[string]any{"type": string(m.Type)}
	put := func(k, v string) {
		if v != "" {
			out[k] = v
		}
	}
	if m.From.Kind != OriginNone {
		out["from"] = m.From.render()
	}
	put("source", m.Source)
	put("target", m.Target)
	put("id", m.ID)
	put("sharing", m.Sharing)
	if m.ReadOnly {
		out["readonly"] = true
	}
	if m.Required {
		out["required"] = true
	}
	if m.SizeLimit != 0 {
		out["size"] = m.SizeLimit
	}
	if m.Env != nil {
		out["env"] = *m.Env
	}
	if m.Mode != nil {
		out["mode"] = "0" + strconv.FormatUint(uint64(*m.Mode), 8)
	}
	if m.UID != nil {
		out["uid"] = *m.UID
	}
	if m.GID != nil {
		out["gid"] = *m.GID
	}
	return out
}

func (o Origin) render() map[string]any {
	switch o.Kind {
	case OriginStage:
		return map[string]any{"stage": o.Stage}
	case OriginImage:
		return map[string]any{"image": o.Image, "platform": o.Platform}
	}
	return map[string]any{string(o.Kind): true}
}

func (f *Files) render() ([]string, map[string]any) {
	var args []string
	for _, s := range f.Sources {
		args = append(args, s.Path)
	}
	for _, h := range f.Heredocs {
		args = append(args, "<<"+h.Name)
	}
	args = append(args, f.Dest)
	flags := map[string]any{}
	if f.Chown != "" {
		flags["chown"] = f.Chown
	}
	if f.Chmod != "" {
		flags["chmod"] = f.Chmod
	}
	if f.Link {
		flags["link"] = true
	}
	if len(f.Exclude) > 0 {
		flags["exclude"] = f.Exclude
	}
	return args, flags
}

func (c *Copy) render() ([]string, map[string]any) {
	args, flags := c.Files.render()
	if c.From.Kind != OriginContext {
		flags["from"] = c.From.render()
	}
	if c.Parents {
		flags["parents"] = true
	}
	return args, flags
}

func (c *Add) render() ([]string, map[string]any) {
	args, flags := c.Files.render()
	if c.Checksum != "" {
		flags["checksum"] = c.Checksum
	}
	if c.KeepGitDir != nil {
		flags["keep-git-dir"] = *c.KeepGitDir
	}
	if c.Unpack != nil {
		flags["unpack"] = *c.Unpack
	}
	return args, flags
}

func renderKVs(kvs []KeyValue) []string {
	out := make([]string, len(kvs))
	for i, kv := range kvs {
		out[i] = kv.String()
	}
	return out
}

func (c *Env) render() ([]string, map[string]any)   { return renderKVs(c.Vars), nil }
func (c *Label) render() ([]string, map[string]any) { return renderKVs(c.Labels), nil }

func (c *ArgCmd) render() ([]string, map[string]any) {
	out := make([]string, len(c.Args))
	for i, a := range c.Args {
		out[i] = a.String()
	}
	return out, nil
}

func (c *Expose) render() ([]string, map[string]any)     { return c.Ports, nil }
func (c *Volume) render() ([]string, map[string]any)     { return c.Paths, nil }
func (c *User) render() ([]string, map[string]any)       { return []string{c.User}, nil }
func (c *StopSignal) render() ([]string, map[string]any) { return []string{c.Signal}, nil }
func (c *Shell) render() ([]string, map[string]any)      { return c.Shell, nil }
func (c *Cmd) render() ([]string, map[string]any)        { return c.Args, nil }
func (c *Entrypoint) render() ([]string, map[string]any) { return c.Args, nil }
func (c *Onbuild) render() ([]string, map[string]any)    { return []string{c.Trigger}, nil }
func (c *Maintainer) render() ([]string, map[string]any) { return []string{c.Name}, nil }

func (c *Workdir) render() ([]string, map[string]any) {
	return []string{c.Path}, nil
}

func (c *Healthcheck) render() ([]string, map[string]any) {
	flags := map[string]any{}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"interval", c.Interval}, {"timeout", c.Timeout}, {"start-period", c.StartPeriod}, {"start-interval", c.StartInterval}} {
		if d.v != 0 {
			flags[d.name] = d.v.String()
		}
	}
	if c.Retries != 0 {
		flags["retries"] = c.Retries
	}
	return c.Test, flags
}
