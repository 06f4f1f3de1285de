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
func (r *platformRun) runMounts(ctx context.Context, st *stageResult, c *dockerfile.Run) ([]sandbox.Mount, error) {
	var out []sandbox.Mount
	for _, m := range c.Mounts {
		target := absPath(st.cfg.Config.WorkingDir, m.Target)
		switch m.Type {
		case dockerfile.MountTmpfs:
			out = append(out, sandbox.Mount{Type: "tmpfs", Target: target})
		case dockerfile.MountCache:
			dir, err := r.cacheDir(st, m, target)
			if err != nil {
				return nil, err
			}
			out = append(out, sandbox.Mount{Source: dir, Target: target, ReadOnly: m.ReadOnly})
		case dockerfile.MountBind:
			mt, err := r.bindMount(ctx, st, m, target)
			if err != nil {
				return nil, err
			}
			out = append(out, mt)
		case dockerfile.MountSecret:
			mt, ok, err := r.secretMount(m)
			if err != nil {
				return nil, err
			}
			if ok {
				out = append(out, mt)
			}
		default:
			return nil, fmt.Errorf("RUN --mount=type=%s is not supported yet", m.Type)
		}
	}
	return out, nil
}

// cacheDir is a persistent cache mount dir, keyed by id (default: the
// target) and, unlike BuildKit's default, by platform: a cache of arm64
// objects must not feed an amd64 build (moby/buildkit#2598).
func (r *platformRun) cacheDir(st *stageResult, m dockerfile.Mount, target string) (string, error) {
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

// secretMount mounts a --secret at /run/secrets/<id> (or the target).
func (r *platformRun) secretMount(m dockerfile.Mount) (sandbox.Mount, bool, error) {
	id := m.ID
	if id == "" {
		id = filepath.Base(m.Target)
	}
	src, ok := r.bctx.Secrets[id]
	if !ok {
		if m.Required {
			return sandbox.Mount{}, false, fmt.Errorf("secret %s is required: pass --secret id=%s,src=FILE", id, id)
		}
		return sandbox.Mount{}, false, nil
	}
	target := m.Target
	if target == "" {
		target = "/run/secrets/" + id
	}
	return sandbox.Mount{Source: src, Target: target, ReadOnly: true}, true, nil
}
