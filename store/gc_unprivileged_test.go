package store

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
)

// TestGCUnprivileged runs GC as an ordinary user (uid 65534, in a child
// process) on a store it owns: removing unpacked trees with 0500 and 0555
// directories then really depends on the chmod fallback, since root's
// CAP_DAC_OVERRIDE would hide its absence. Not root: TestGC covers it.
func TestGCUnprivileged(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("not root: TestGC already runs unprivileged")
	}
	const uid = 65534
	base := t.TempDir()
	must(t, os.Chmod(filepath.Dir(base), 0o755)) // let uid traverse to it
	s, err := Open(t.Context(), filepath.Join(base, "store"), WithGCGracePeriod(0), WithUnpackSync(false))
	if err != nil {
		t.Fatal(err)
	}
	unpackImage(t, s, writeRandom(t, s))
	exe := copyTestBinary(t, base)
	must(t, filepath.WalkDir(base, func(p string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, uid, uid)
	}))
	t.Cleanup(func() { removeAll(context.Background(), base) })

	raw, _ := json.Marshal(helperArgs{Mode: "gc", Root: s.Root()})
	cmd := exec.CommandContext(t.Context(), exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+string(raw))
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uid, Gid: uid}}
	out, err := cmd.Output()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		t.Fatalf("GC as uid %d: %v: %s", uid, err, ee.Stderr)
	}
	if err != nil {
		t.Skipf("cannot run a child as uid %d: %v", uid, err)
	}
	var rep GCReport
	must(t, json.Unmarshal(out, &rep))
	if rep.BlobsRemoved != 4 || rep.DirsRemoved != 2 || rep.BytesFreed < 2*treeBytes {
		t.Errorf("report %+v, want 4 blobs and 2 dirs", rep)
	}
	if d := listDir(t, s.unpackedDir()); len(d) != 0 {
		t.Errorf("unpacked dirs left: %v", d)
	}
}

// copyTestBinary copies the running test binary to dir, where an
// unprivileged user can execute it (go test builds it in a private dir).
func copyTestBinary(t *testing.T, dir string) string {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.Open(self)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst := filepath.Join(dir, "store.test")
	f, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(f, src); err != nil {
		f.Close()
		t.Fatal(err)
	}
	must(t, f.Close())
	return dst
}
