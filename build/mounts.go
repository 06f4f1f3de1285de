package build

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/polyarch/polyarch/build/dockerfile"
	"github.com/polyarch/polyarch/container"
	"github.com/polyarch/polyarch/platform"
	"github.com/polyarch/polyarch/sandbox"
)

// runMounts turns RUN --mount flags into sandbox mounts.
// The returned environment (secrets exposed as variables, SSH_AUTH_SOCK)
// stays out of the cache key.
func (r *platformRun) runMounts(ctx context.Context, st *stageResult, c *dockerfile.Run, rel *releaser) ([]sandbox.Mount, []string, error) {
	var out []sandbox.Mount
	var env []string
	for i, m := range c.Mounts {
		target := absPath(st.cfg.Config.WorkingDir, m.Target)
		switch m.Type {
		case dockerfile.MountTmpfs:
			out = append(out, sandbox.Mount{Type: "tmpfs", Target: target})
		case dockerfile.MountCache:
			dir, err := r.cacheDir(ctx, st, m, target, rel)
			if err != nil {
				return nil, nil, err
			}
			out = append(out, sandbox.Mount{Source: dir, Target: target, ReadOnly: m.ReadOnly})
		case dockerfile.MountBind:
			mt, err := r.bindMount(ctx, st, m, target)
			if err != nil {
				return nil, nil, err
			}
			out = append(out, mt)
		case dockerfile.MountSecret:
			mts, vars, err := r.secretMount(m)
			if err != nil {
				return nil, nil, err
			}
			out, env = append(out, mts...), append(env, vars...)
		case dockerfile.MountSSH:
			mt, v, err := r.sshMount(m, i)
			if err != nil {
				return nil, nil, err
			}
			if v != "" {
				out, env = append(out, mt), append(env, v)
			}
		default:
			return nil, nil, fmt.Errorf("RUN --mount=type=%s is not supported", m.Type)
		}
	}
	return out, env, nil
}

// cacheDir is a persistent cache mount dir, keyed by id (default: the
// target) and, unlike BuildKit's default, by platform: a cache of arm64
// objects must not feed an amd64 build (moby/buildkit#2598).
//
// sharing=locked holds an exclusive lock on the dir for the RUN; private
// uses the dir when no other RUN holds it and a fresh temporary one
// otherwise; shared (the default) lets every RUN use it at once.
func (r *platformRun) cacheDir(ctx context.Context, st *stageResult, m dockerfile.Mount, target string, rel *releaser) (string, error) {
	id := m.ID
	if id == "" {
		id = target
	}
	key := strings.NewReplacer("/", "_", ":", "_").Replace(platform.Format(st.platform)) + "/" + strings.ReplaceAll(strings.Trim(id, "/"), "/", "_")
	dir := filepath.Join(r.b.st.Root(), "cache-mounts", key)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("creating cache mount %s: %w", id, err)
	}
	if m.UID != nil || m.GID != nil {
		uid, gid := -1, -1
		if m.UID != nil {
			uid = int(*m.UID)
		}
		if m.GID != nil {
			gid = int(*m.GID)
		}
		_ = os.Lchown(dir, uid, gid)
	}
	if m.Mode != nil {
		_ = os.Chmod(dir, os.FileMode(*m.Mode))
	}
	switch m.Sharing {
	case "locked":
		return dir, rel.lock(ctx, dir+".lock", true)
	case "private":
		if rel.lock(ctx, dir+".lock", false) != nil {
			tmp, err := os.MkdirTemp(r.b.st.Root(), "cache-private-")
			if err != nil {
				return "", err
			}
			rel.add(func() { os.RemoveAll(tmp) })
			return tmp, nil
		}
	}
	return dir, nil
}

// bindMount mounts a source read-only: a path of the build context, or
// (from=stage|image) a path of that filesystem through a read-only overlay
// of its layers.
func (r *platformRun) bindMount(ctx context.Context, st *stageResult, m dockerfile.Mount, target string) (sandbox.Mount, error) {
	var lowers []string
	switch m.From.Kind {
	case dockerfile.OriginContext, dockerfile.OriginNone:
		p, err := r.bctx.path(m.Source)
		if err != nil {
			return sandbox.Mount{}, fmt.Errorf("RUN --mount=type=bind,source=%s: %w", m.Source, err)
		}
		return sandbox.Mount{Source: p, Target: target, ReadOnly: true}, nil
	case dockerfile.OriginStage:
		prev := r.stage(m.From.Stage)
		if prev == nil {
			return sandbox.Mount{}, fmt.Errorf("RUN --mount from stage %d: not built", m.From.Stage)
		}
		lowers = prev.lowers()
	case dockerfile.OriginImage:
		img, err := r.b.images.Get(ctx, m.From.Image, st.platform)
		if err != nil {
			return sandbox.Mount{}, fmt.Errorf("RUN --mount from=%s: %w", m.From.Image, err)
		}
		if lowers, err = container.UnpackLayers(ctx, r.b.st, img); err != nil {
			return sandbox.Mount{}, err
		}
	default:
		return sandbox.Mount{Type: "tmpfs", Target: target}, nil // from=scratch: an empty dir
	}
	if len(lowers) == 0 {
		return sandbox.Mount{Type: "tmpfs", Target: target}, nil
	}
	return sandbox.Mount{Type: "overlay", Lower: lowers, Source: m.Source, Target: target, ReadOnly: true}, nil
}

// secretMount exposes a --secret as a read-only file (/run/secrets/<id>
// or the target) and/or an environment variable (env=).
func (r *platformRun) secretMount(m dockerfile.Mount) ([]sandbox.Mount, []string, error) {
	src, ok := r.bctx.Secrets[m.ID]
	if !ok {
		if m.Required {
			return nil, nil, fmt.Errorf("secret %s is required: pass --secret id=%s,src=FILE", m.ID, m.ID)
		}
		return nil, nil, nil
	}
	var mounts []sandbox.Mount
	var env []string
	if m.Target != "" {
		mounts = append(mounts, sandbox.Mount{Source: src, Target: m.Target, ReadOnly: true})
	}
	if m.Env != nil {
		b, err := os.ReadFile(src)
		if err != nil {
			return nil, nil, fmt.Errorf("secret %s: %w", m.ID, err)
		}
		env = append(env, *m.Env+"="+string(b))
	}
	return mounts, env, nil
}

// sshMount forwards an SSH agent socket given with --ssh (id default or
// named) at the target (default /run/buildkit/ssh_agent.N) and sets
// SSH_AUTH_SOCK.
func (r *platformRun) sshMount(m dockerfile.Mount, n int) (sandbox.Mount, string, error) {
	sock, ok := r.bctx.SSH[m.ID]
	if !ok {
		if m.Required {
			return sandbox.Mount{}, "", fmt.Errorf("ssh %s is required: pass --ssh %s=SOCKET (or --ssh default with SSH_AUTH_SOCK set)", m.ID, m.ID)
		}
		return sandbox.Mount{}, "", nil
	}
	target := m.Target
	if target == "" {
		target = fmt.Sprintf("/run/buildkit/ssh_agent.%d", n)
	}
	return sandbox.Mount{Source: sock, Target: target}, "SSH_AUTH_SOCK=" + target, nil
}
