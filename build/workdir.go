package build

import (
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"syscall"

	"github.com/polyarch/polyarch/build/dockerfile"
	"github.com/polyarch/polyarch/container"
)

// workdirStep sets WORKDIR and creates the directory, owned by the current
// USER, when the image lacks it (BuildKit does the same).
func (r *platformRun) workdirStep(ctx context.Context, s *dockerfile.Stage, st *stageResult, in *dockerfile.Instruction, c *dockerfile.Workdir) error {
	dir := c.Dir
	if dir == "" {
		dir = absPath(st.cfg.Config.WorkingDir, c.Path)
	}
	st.cfg.Config.WorkingDir = dir
	lowers := st.lowers()
	if existsInLowers(lowers, dir) {
		r.history(st, in, true)
		return nil
	}
	uid, gid, _, err := container.ResolveUser(lowers, st.cfg.Config.User)
	if err != nil {
		return err
	}
	key := st.key.chain("WORKDIR", dir, fmt.Sprint(uid, gid))
	if l, ok, err := r.lookup(ctx, s, key); err != nil {
		return err
	} else if ok {
		r.apply(s, st, in, key, l)
		return nil
	}
	tmp, err := os.MkdirTemp(r.b.st.Root(), "workdir-")
	if err != nil {
		return fmt.Errorf("creating WORKDIR %s: %w", dir, err)
	}
	defer os.RemoveAll(tmp)
	if err := mkdirLayered(tmp, lowers, dir, int(uid), int(gid)); err != nil {
		return fmt.Errorf("creating WORKDIR %s: %w", dir, err)
	}
	l, err := commitDir(ctx, r.b.st, tmp, packOptions{epoch: r.b.o.epoch})
	if err != nil {
		return err
	}
	if err := r.b.cache.record(key, l); err != nil {
		return err
	}
	r.apply(s, st, in, key, l)
	return nil
}

// mkdirLayered creates dir inside out: parents that exist in the lower
// layers are reproduced with their mode and owner (so the layer does not
// change them); missing ones are made 0755 and owned by uid:gid.
func mkdirLayered(out string, lowers []string, dir string, uid, gid int) error {
	var chain []string
	for p := path.Clean(dir); p != "/"; p = path.Dir(p) {
		chain = append([]string{p}, chain...)
	}
	for _, p := range chain {
		target := filepath.Join(out, p)
		mode, ouid, ogid := os.FileMode(0o755), uid, gid
		if st := lowerStat(lowers, p); st != nil {
			if !st.IsDir() {
				return fmt.Errorf("%s exists and is not a directory", p)
			}
			mode = st.Mode().Perm() | st.Mode()&(os.ModeSetgid|os.ModeSticky)
			if sys, ok := st.Sys().(*syscall.Stat_t); ok {
				ouid, ogid = int(sys.Uid), int(sys.Gid)
			}
		}
		if err := os.Mkdir(target, 0o755); err != nil && !os.IsExist(err) {
			return err
		}
		if err := os.Lchown(target, ouid, ogid); err != nil && !os.IsPermission(err) {
			return err
		}
		if err := os.Chmod(target, mode); err != nil {
			return err
		}
	}
	return nil
}

// lowerStat stats p in the uppermost layer that has it (following the
// final symlink as the merged view would only for dirs), nil when absent.
func lowerStat(lowers []string, p string) os.FileInfo {
	for _, l := range lowers {
		st, err := os.Stat(filepath.Join(l, p))
		if err == nil {
			if isWhiteout(st) {
				return nil
			}
			return st
		}
	}
	return nil
}
