package fileop

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// node describes one fixture entry. Kind: "f" file, "d" dir, "l" symlink
// (Data is the target), "w" whiteout, "h" hardlink (Data is the path linked
// to), "p" fifo, "s" socket.
type node struct {
	Path  string
	Kind  string
	Data  string
	Mode  fs.FileMode
	UID   int
	GID   int
	Mtime int64 // Unix seconds; 0 leaves the creation time
	Xattr map[string]string
}

// fixtureTime is the mtime fixtures get unless they set one.
const fixtureTime = 1_600_000_000

// build creates the nodes below dir (created if missing). Parents are
// created 0755 when not listed first.
func build(t *testing.T, dir string, nodes ...node) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	var dirs []node
	for _, n := range nodes {
		p := filepath.Join(dir, n.Path)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := makeNode(p, n); err != nil {
			t.Fatalf("fixture %s: %v", n.Path, err)
		}
		if n.Kind == "d" {
			dirs = append(dirs, n)
			continue
		}
		finishNode(t, p, n)
	}
	for i := len(dirs) - 1; i >= 0; i-- {
		finishNode(t, filepath.Join(dir, dirs[i].Path), dirs[i])
	}
	return dir
}

func makeNode(p string, n node) error {
	mode := n.Mode
	switch n.Kind {
	case "f":
		if mode == 0 {
			mode = 0o644
		}
		return os.WriteFile(p, []byte(n.Data), mode)
	case "d":
		if err := os.Mkdir(p, 0o755); err != nil && !os.IsExist(err) {
			return err
		}
		return nil
	case "l":
		return os.Symlink(n.Data, p)
	case "h":
		return os.Link(filepath.Join(filepath.Dir(p), n.Data), p)
	case "w":
		return unix.Mknod(p, unix.S_IFCHR, 0)
	case "p":
		return unix.Mkfifo(p, 0o644)
	case "s":
		return unix.Mknod(p, unix.S_IFSOCK|0o755, 0)
	}
	return fmt.Errorf("unknown kind %q", n.Kind)
}

// finishNode sets owner, mode, xattrs and mtime of a built node.
func finishNode(t *testing.T, p string, n node) {
	t.Helper()
	if n.Kind == "w" || n.Kind == "h" {
		return
	}
	if err := os.Lchown(p, n.UID, n.GID); err != nil {
		t.Fatal(err)
	}
	if n.Kind == "d" || (n.Kind == "f" && n.Mode != 0) {
		m := n.Mode
		if m == 0 {
			m = 0o755
		}
		if err := os.Chmod(p, m); err != nil {
			t.Fatal(err)
		}
	}
	for k, v := range n.Xattr {
		if err := unix.Lsetxattr(p, k, []byte(v), 0); err != nil {
			t.Fatalf("setxattr %s on %s: %v", k, p, err)
		}
	}
	mt := n.Mtime
	if mt == 0 {
		mt = fixtureTime
	}
	ts := unix.NsecToTimespec(time.Unix(mt, 0).UnixNano())
	if err := unix.UtimesNanoAt(unix.AT_FDCWD, p, []unix.Timespec{ts, ts}, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		t.Fatal(err)
	}
}

// tree describes every entry below dir as "kind mode uid:gid [data]"
// lines keyed by relative path, for exact comparisons.
func tree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out[rel] = describe(t, p)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// describe is one entry of tree.
func describe(t *testing.T, p string) string {
	t.Helper()
	fi, err := os.Lstat(p)
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	own := fmt.Sprintf("%d:%d", st.Uid, st.Gid)
	perm := fmt.Sprintf("%04o", uint32(st.Mode)&0o7777)
	switch {
	case fi.IsDir():
		return "d " + perm + " " + own
	case fi.Mode()&fs.ModeSymlink != 0:
		target, _ := os.Readlink(p)
		return "l " + own + " " + target
	case fi.Mode().IsRegular():
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		return "f " + perm + " " + own + " " + string(data)
	case isWhiteout(fi):
		return "w"
	}
	return "x " + fi.Mode().Type().String() + " " + perm + " " + own
}

// checkTree compares tree(dir) with want, listing every difference.
func checkTree(t *testing.T, dir string, want map[string]string) {
	t.Helper()
	got := tree(t, dir)
	var diffs []string
	for k, w := range want {
		if g, ok := got[k]; !ok {
			diffs = append(diffs, fmt.Sprintf("missing %s (want %q)", k, w))
		} else if g != w {
			diffs = append(diffs, fmt.Sprintf("%s: got %q, want %q", k, g, w))
		}
	}
	for k, g := range got {
		if _, ok := want[k]; !ok {
			diffs = append(diffs, fmt.Sprintf("unexpected %s = %q", k, g))
		}
	}
	sort.Strings(diffs)
	if len(diffs) > 0 {
		t.Errorf("tree of %s:\n  %s", dir, strings.Join(diffs, "\n  "))
	}
}

// mtime returns the mtime of p in Unix seconds.
func mtime(t *testing.T, p string) int64 {
	t.Helper()
	fi, err := os.Lstat(p)
	if err != nil {
		t.Fatal(err)
	}
	return fi.ModTime().Unix()
}

// skip skips the test, or fails it where CI forbids skips (the
// POLYARCH_TEST_NO_SKIP convention of internal/testenv, which this package
// may not import).
func skip(t *testing.T, format string, args ...any) {
	t.Helper()
	if os.Getenv("POLYARCH_TEST_NO_SKIP") != "" {
		t.Fatalf("must not skip here (POLYARCH_TEST_NO_SKIP is set): "+format, args...)
	}
	t.Skipf(format, args...)
}

// requireRoot skips tests that need root (mknod of whiteouts, chown).
func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		skip(t, "needs root (mknod of whiteouts, chown): run as root (CI does)")
	}
}
