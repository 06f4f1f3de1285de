package container

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/polyarch/polyarch/sandbox"
)

// command is Entrypoint + Cmd as Docker combines them: a new entrypoint
// drops the image's Cmd; arguments replace Cmd.
func command(cfg v1.Config, o options) ([]string, error) {
	ep, cmd := cfg.Entrypoint, cfg.Cmd
	if o.entrypoint != nil {
		ep, cmd = nil, nil
		if *o.entrypoint != "" {
			ep = []string{*o.entrypoint}
		}
	}
	if len(o.args) > 0 {
		cmd = o.args
	}
	args := append(append([]string{}, ep...), cmd...)
	if len(args) == 0 {
		return nil, errors.New("no command: the image has no Entrypoint or Cmd; give one after the image name")
	}
	return args, nil
}

// environment merges the image's env with overrides, keeping order, and
// adds the default PATH, HOSTNAME, HOME (the user's, from /etc/passwd) and
// TERM for a terminal when missing.
func environment(image []string, o options, home string) []string {
	var out []string
	index := map[string]int{}
	set := func(kv string) {
		k, _, _ := strings.Cut(kv, "=")
		if i, ok := index[k]; ok {
			out[i] = kv
			return
		}
		index[k] = len(out)
		out = append(out, kv)
	}
	for _, kv := range image {
		set(kv)
	}
	for _, kv := range o.env {
		set(kv)
	}
	if _, ok := index["PATH"]; !ok {
		set("PATH=" + sandbox.DefaultPath)
	}
	if _, ok := index["HOSTNAME"]; !ok {
		set("HOSTNAME=" + firstNonEmpty(o.hostname, "polyarch"))
	}
	if _, ok := index["TERM"]; !ok && o.tty {
		set("TERM=xterm")
	}
	if _, ok := index["HOME"]; !ok {
		set("HOME=" + home)
	}
	return out
}

// networkFiles writes /etc/hosts and /etc/resolv.conf for the container.
func (c *Container) networkFiles(o options) ([]sandbox.Mount, error) {
	host := firstNonEmpty(o.hostname, "polyarch")
	hosts := "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n127.0.1.1\t" + host + "\n"
	resolv := ""
	if o.network != "none" {
		if b, err := os.ReadFile(o.resolvConf); err == nil {
			resolv = string(b)
		}
	}
	var mounts []sandbox.Mount
	for name, content := range map[string]string{"hosts": hosts, "resolv.conf": resolv} {
		p := filepath.Join(c.dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			return nil, fmt.Errorf("writing /etc/%s: %w", name, err)
		}
		mounts = append(mounts, sandbox.Mount{Source: p, Target: "/etc/" + name, ReadOnly: true})
	}
	return mounts, nil
}
