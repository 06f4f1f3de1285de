package build

import (
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/polyarch/polyarch/build/dockerfile"
	"github.com/polyarch/polyarch/build/fileop"
	"github.com/polyarch/polyarch/container"
	"github.com/polyarch/polyarch/platform"
)

// copyStep runs COPY or ADD on the host side: the files are written into a
// new layer dir, which becomes the step's layer.
func (r *platformRun) copyStep(ctx context.Context, s *dockerfile.Stage, st *stageResult, in *dockerfile.Instruction, i, n int, f *dockerfile.Files, from dockerfile.Origin, parents, isAdd bool, add *dockerfile.Add) error {
	start := time.Now()
	out, err := os.MkdirTemp(r.b.st.Root(), "copy-")
	if err != nil {
		return fmt.Errorf("%s: %w", in.Kind(), err)
	}
	defer os.RemoveAll(out)
	reqs, cleanup, err := r.copyRequests(ctx, st, f, from, parents, isAdd, add, out)
	defer cleanup()
	if err != nil {
		return err
	}
	for _, req := range reqs {
		if err := fileop.Copy(ctx, req); err != nil {
			return err
		}
	}
	digest, err := treeDigest(out)
	if err != nil {
		return err
	}
	key := st.key.chain(string(in.Kind()), digest)
	if l, ok, err := r.lookup(ctx, s, key); err != nil {
		return err
	} else if ok {
		r.tr.send(r.event(StepCached, s, i, n, in))
		r.apply(s, st, in, key, l)
		return nil
	}
	l, err := commitDir(ctx, r.b.st, out, packOptions{epoch: r.b.o.epoch})
	if err != nil {
		return err
	}
	if err := r.b.cache.record(key, l); err != nil {
		return err
	}
	r.apply(s, st, in, key, l)
	done := r.event(StepDone, s, i, n, in)
	done.Duration, done.Bytes = time.Since(start), layerSize(l)
	r.tr.send(done)
	return nil
}

// copyRequests turns the instruction into fileop requests: one for the
// local sources (context, stage or image) and heredocs, one per URL or git
// source of ADD.
func (r *platformRun) copyRequests(ctx context.Context, st *stageResult, f *dockerfile.Files, from dockerfile.Origin, parents, isAdd bool, add *dockerfile.Add, out string) ([]fileop.Request, func(), error) {
	cleanup := func() {}
	base := fileop.Request{Dest: destPath(st.cfg.Config.WorkingDir, f.Dest), Target: fileop.NewUnion(st.lowers()), Out: out,
		Chmod: f.Chmod, Exclude: f.Exclude, Parents: parents, Add: isAdd}
	if r.b.o.epoch != nil {
		base.CreatedTime = *r.b.o.epoch
	}
	if f.Chown != "" {
		uid, gid, _, err := container.ResolveUser(st.lowers(), f.Chown)
		if err != nil {
			return nil, cleanup, fmt.Errorf("--chown=%s: %w", f.Chown, err)
		}
		base.Chown = &fileop.IDs{UID: int(uid), GID: int(gid)}
	}
	local := base
	for _, h := range f.Heredocs {
		local.Heredocs = append(local.Heredocs, fileop.Heredoc{Name: h.Name, Data: h.Data})
	}
	var remote []dockerfile.Source
	for _, src := range f.Sources {
		if src.Kind == dockerfile.SourceLocal {
			local.Sources = append(local.Sources, src.Path)
		} else {
			remote = append(remote, src)
		}
	}
	var reqs []fileop.Request
	if len(local.Sources) > 0 || len(local.Heredocs) > 0 {
		if err := r.sourceUnion(ctx, st, from, &local); err != nil {
			return nil, cleanup, err
		}
		reqs = append(reqs, local)
	}
	tmp, err := os.MkdirTemp(r.b.st.Root(), "fetch-")
	if err != nil {
		return nil, cleanup, err
	}
	cleanup = func() { os.RemoveAll(tmp) }
	for i, src := range remote {
		req, err := r.remoteRequest(ctx, base, src, add, filepath.Join(tmp, fmt.Sprint(i)))
		if err != nil {
			return nil, cleanup, err
		}
		reqs = append(reqs, req)
	}
	return reqs, cleanup, nil
}

// destPath applies WORKDIR, keeping a trailing "/" (or "." meaning the
// working directory itself) that says "into this directory".
func destPath(workdir, dest string) string {
	dir := strings.HasSuffix(dest, "/") || dest == "." || strings.HasSuffix(dest, "/.")
	p := absPath(workdir, dest)
	if dir && p != "/" {
		p += "/"
	}
	return p
}

// sourceUnion sets where COPY reads from.
func (r *platformRun) sourceUnion(ctx context.Context, st *stageResult, from dockerfile.Origin, req *fileop.Request) error {
	switch from.Kind {
	case dockerfile.OriginContext, dockerfile.OriginNone:
		req.Src, req.Context, req.Ignore = fileop.NewUnion([]string{r.bctx.Dir}), true, r.bctx.Ignore
		req.IgnoreExceptions = r.bctx.IgnoreExceptions
	case dockerfile.OriginStage:
		prev := r.stage(from.Stage)
		if prev == nil {
			return fmt.Errorf("COPY --from stage %d: not built", from.Stage)
		}
		req.Src = fileop.NewUnion(prev.lowers())
	case dockerfile.OriginImage:
		p := st.platform
		if from.Platform != "" {
			if pp, err := platform.Parse(from.Platform); err == nil {
				p = pp
			}
		}
		img, err := r.b.images.Get(ctx, from.Image, p)
		if err != nil {
			return fmt.Errorf("COPY --from=%s: %w", from.Image, err)
		}
		dirs, err := container.UnpackLayers(ctx, r.b.st, img)
		if err != nil {
			return err
		}
		req.Src = fileop.NewUnion(dirs)
	case dockerfile.OriginScratch:
		req.Src = fileop.NewUnion(nil)
	default:
		return fmt.Errorf("COPY --from: unknown origin %q", from.Kind)
	}
	return nil
}

// remoteRequest fetches an ADD URL or git source into dir and returns the
// request that copies it.
func (r *platformRun) remoteRequest(ctx context.Context, base fileop.Request, src dockerfile.Source, add *dockerfile.Add, dir string) (fileop.Request, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return base, err
	}
	req := base
	req.Add = false // remote archives are not extracted
	req.Src = fileop.NewUnion([]string{dir})
	checksum := ""
	if add != nil {
		checksum = add.Checksum
	}
	if src.Kind == dockerfile.SourceURL {
		file, err := fileop.FetchURL(ctx, src.Path, dir, checksum, nil)
		if err != nil {
			return base, err
		}
		req.Sources = []string{filepath.Base(file)}
		return req, nil
	}
	g, err := fileop.ParseGitURL(src.Path)
	if err != nil {
		return base, err
	}
	keep := add != nil && add.KeepGitDir != nil && *add.KeepGitDir
	var opts []fileop.GitOption
	if checksum != "" {
		opts = append(opts, fileop.WithGitChecksum(checksum))
	}
	if err := fileop.CloneGit(ctx, src.Path, g.Ref, keep, filepath.Join(dir, "repo"), opts...); err != nil {
		return base, err
	}
	req.Sources = []string{path.Join("repo", g.SubDir) + "/"}
	if !strings.HasSuffix(req.Dest, "/") {
		req.Dest += "/"
	}
	return req, nil
}
