package rootfs

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/polyarch/polyarch/internal/testenv"
	"golang.org/x/sys/unix"
)

// vfsCapNetBind is a VFS_CAP_REVISION_2 security.capability value granting
// cap_net_bind_service (effective), as setcap writes it.
const vfsCapNetBind = "\x01\x00\x00\x02\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"

func lstat(t *testing.T, p string) unix.Stat_t {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Lstat(p, &st); err != nil {
		t.Fatalf("lstat: %v", err)
	}
	return st
}

func wantType(t *testing.T, root, rel string, kind uint32) unix.Stat_t {
	t.Helper()
	st := lstat(t, filepath.Join(root, rel))
	if st.Mode&unix.S_IFMT != kind {
		t.Fatalf("%s has type %o, want %o", rel, st.Mode&unix.S_IFMT, kind)
	}
	return st
}

func wantContent(t *testing.T, root, rel, want string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, rel))
	if err != nil || string(b) != want {
		t.Fatalf("%s = %q, %v; want %q", rel, b, err, want)
	}
}

func wantMissing(t *testing.T, root, rel string) {
	t.Helper()
	if _, err := os.Lstat(filepath.Join(root, rel)); !errors.Is(err, os.ErrNotExist) && !errors.Is(err, unix.ENOTDIR) {
		t.Fatalf("%s should not exist (err=%v)", rel, err)
	}
}

func TestUnpack(t *testing.T) {
	old := time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)
	long := strings.Repeat("d", 90) + "/" + strings.Repeat("f", 150)
	tests := []struct {
		name   string
		root   bool // needs root (chown, mknod, security.capability)
		layers [][]ent
		check  func(t *testing.T, root string, st UnpackStats)
	}{{
		name:   "file replaces dir",
		layers: [][]ent{{dir("x/"), file("x/inner", "1")}, {file("x", "now a file")}},
		check: func(t *testing.T, root string, _ UnpackStats) {
			wantType(t, root, "x", unix.S_IFREG)
			wantContent(t, root, "x", "now a file")
		},
	}, {
		name:   "dir over dir merges",
		layers: [][]ent{{dir("d/"), file("d/a", "a")}, {{typ: tar.TypeDir, name: "d/", mode: 0o700}, file("d/b", "b")}},
		check: func(t *testing.T, root string, _ UnpackStats) {
			wantContent(t, root, "d/a", "a")
			wantContent(t, root, "d/b", "b")
			if m := wantType(t, root, "d", unix.S_IFDIR).Mode & 0o7777; m != 0o700 {
				t.Errorf("d mode %o, want 700", m)
			}
		},
	}, {
		name:   "symlink replaces file, file replaces symlink",
		layers: [][]ent{{file("s", "x"), file("f", "y")}, {symlink("s", "/etc/target"), file("t", "")}, {file("t2", ""), symlink("f", "s"), file("f", "z")}},
		check: func(t *testing.T, root string, _ UnpackStats) {
			wantType(t, root, "s", unix.S_IFLNK)
			if l, _ := os.Readlink(filepath.Join(root, "s")); l != "/etc/target" {
				t.Errorf("s -> %q", l)
			}
			wantType(t, root, "f", unix.S_IFREG)
			wantContent(t, root, "f", "z")
		},
	}, {
		name:   "dir replaces symlink to dir",
		layers: [][]ent{{dir("real/"), file("real/a", "a"), symlink("l", "real")}, {dir("l/"), file("l/b", "b")}},
		check: func(t *testing.T, root string, _ UnpackStats) {
			wantType(t, root, "l", unix.S_IFDIR)
			wantContent(t, root, "l/b", "b")
			wantMissing(t, root, "real/b")
		},
	}, {
		name:   "parents through symlinks resolve inside the root",
		layers: [][]ent{{dir("usr/"), dir("usr/lib/"), symlink("lib", "/usr/lib"), file("lib/libx.so", "x")}},
		check: func(t *testing.T, root string, _ UnpackStats) {
			wantContent(t, root, "usr/lib/libx.so", "x")
		},
	}, {
		name:   "hardlinks share an inode and are replaced, not written through",
		layers: [][]ent{{file("a", "orig"), hardlink("b", "a"), hardlink("c", "/a")}, {file("b", "new")}},
		check: func(t *testing.T, root string, st UnpackStats) {
			wantContent(t, root, "a", "orig")
			wantContent(t, root, "b", "new")
			if a, c := lstat(t, filepath.Join(root, "a")), lstat(t, filepath.Join(root, "c")); a.Ino != c.Ino || a.Nlink != 2 {
				t.Errorf("a and c not linked: ino %d/%d nlink %d", a.Ino, c.Ino, a.Nlink)
			}
		},
	}, {
		name: "modes, setuid after chown, sticky, setgid dir",
		root: true,
		layers: [][]ent{{
			{typ: tar.TypeReg, name: "bin/su", mode: 0o4755, uid: 0, gid: 0, content: "elf"},
			{typ: tar.TypeReg, name: "bin/wall", mode: 0o2755, uid: 1000, gid: 5, content: "elf"},
			{typ: tar.TypeDir, name: "tmp/", mode: 0o1777},
			{typ: tar.TypeDir, name: "srv/", mode: 0o2775, uid: 33, gid: 33},
			{typ: tar.TypeReg, name: "secret", zeroMode: true, uid: 7, gid: 8},
		}},
		check: func(t *testing.T, root string, _ UnpackStats) {
			for rel, want := range map[string][3]uint32{
				"bin/su": {0o4755, 0, 0}, "bin/wall": {0o2755, 1000, 5}, "tmp": {0o1777, 0, 0},
				"srv": {0o2775, 33, 33}, "secret": {0, 7, 8},
			} {
				st := lstat(t, filepath.Join(root, rel))
				if got := [3]uint32{st.Mode & 0o7777, st.Uid, st.Gid}; got != want {
					t.Errorf("%s: mode/uid/gid %o/%d/%d, want %o/%d/%d", rel, got[0], got[1], got[2], want[0], want[1], want[2])
				}
			}
		},
	}, {
		name: "xattrs: security.capability survives chown, user.* kept, overlay xattrs refused",
		root: true,
		layers: [][]ent{{
			{typ: tar.TypeReg, name: "ping", mode: 0o755, uid: 1, gid: 1, content: "elf",
				xattrs: map[string]string{"security.capability": vfsCapNetBind, "user.note": "hi"}},
			{typ: tar.TypeDir, name: "d/", xattrs: map[string]string{"trusted.overlay.opaque": "y", "user.overlay.redirect": "/x"}},
			{typ: tar.TypeSymlink, name: "l", link: "ping", xattrs: map[string]string{"user.nope": "symlinks refuse user.*"}},
		}},
		check: func(t *testing.T, root string, st UnpackStats) {
			if v, _ := lgetxattr(t, filepath.Join(root, "ping"), "security.capability"); v != vfsCapNetBind {
				t.Errorf("security.capability = %q", v)
			}
			if v, _ := lgetxattr(t, filepath.Join(root, "ping"), "user.note"); v != "hi" {
				t.Errorf("user.note = %q", v)
			}
			if _, ok := lgetxattr(t, filepath.Join(root, "d"), "trusted.overlay.opaque"); ok {
				t.Error("overlay xattr from the tar was applied")
			}
			if got := strings.Join(st.Skipped, "\n"); !strings.Contains(got, "trusted.overlay.opaque") ||
				!strings.Contains(got, "user.overlay.redirect") || !strings.Contains(got, "l: xattr user.nope") {
				t.Errorf("Skipped = %q", got)
			}
		},
	}, {
		name: "devices and fifos",
		root: true,
		layers: [][]ent{{
			{typ: tar.TypeChar, name: "dev/null", mode: 0o666, major: 1, minor: 3},
			{typ: tar.TypeBlock, name: "dev/loop9", mode: 0o660, major: 7, minor: 9},
			{typ: tar.TypeFifo, name: "run/fifo", mode: 0o620},
		}},
		check: func(t *testing.T, root string, st UnpackStats) {
			if s := wantType(t, root, "dev/null", unix.S_IFCHR); unix.Major(s.Rdev) != 1 || unix.Minor(s.Rdev) != 3 || s.Mode&0o777 != 0o666 {
				t.Errorf("dev/null: %d:%d %o", unix.Major(s.Rdev), unix.Minor(s.Rdev), s.Mode)
			}
			wantType(t, root, "dev/loop9", unix.S_IFBLK)
			if s := wantType(t, root, "run/fifo", unix.S_IFIFO); s.Mode&0o777 != 0o620 {
				t.Errorf("fifo mode %o", s.Mode)
			}
			if st.Devices != 3 {
				t.Errorf("Devices = %d", st.Devices)
			}
		},
	}, {
		name: "mtimes on files, symlinks and dirs (after their contents)",
		layers: [][]ent{{
			{typ: tar.TypeDir, name: "d/", mtime: old},
			{typ: tar.TypeReg, name: "d/f", mtime: old.Add(time.Hour)},
			{typ: tar.TypeSymlink, name: "d/l", link: "f", mtime: old.Add(2 * time.Hour)},
			{typ: tar.TypeDir, name: "d/sub/", mtime: old.Add(3 * time.Hour)},
			file("d/sub/late", "written after d/sub's header"),
		}},
		check: func(t *testing.T, root string, _ UnpackStats) {
			for rel, want := range map[string]time.Time{"d": old, "d/f": old.Add(time.Hour), "d/l": old.Add(2 * time.Hour), "d/sub": old.Add(3 * time.Hour)} {
				if st := lstat(t, filepath.Join(root, rel)); st.Mtim.Sec != want.Unix() {
					t.Errorf("%s mtime %d, want %d", rel, st.Mtim.Sec, want.Unix())
				}
			}
		},
	}, {
		name: "PAX and GNU long names, root entry, unknown types skipped",
		layers: [][]ent{{
			{typ: tar.TypeDir, name: "./", mode: 0o750},
			{typ: tar.TypeReg, name: long, content: "pax", format: tar.FormatPAX},
			{typ: tar.TypeReg, name: long + "-gnu", content: "gnu", format: tar.FormatGNU},
			{typ: tar.TypeSymlink, name: "longlink", link: long, format: tar.FormatGNU},
			{typ: 'Z', name: "weird"},
		}},
		check: func(t *testing.T, root string, st UnpackStats) {
			wantContent(t, root, long, "pax")
			wantContent(t, root, long+"-gnu", "gnu")
			wantContent(t, root, "longlink", "pax")
			if m := lstat(t, root).Mode & 0o7777; m != 0o750 {
				t.Errorf("root mode %o", m)
			}
			if len(st.Skipped) != 1 || !strings.HasPrefix(st.Skipped[0], "weird: ") {
				t.Errorf("Skipped = %q", st.Skipped)
			}
			if st.Files != 2 || st.Symlinks != 1 || st.Bytes != 6 {
				t.Errorf("stats %+v", st)
			}
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.root && !isRoot() {
				testenv.Skip(t, "needs root for chown/mknod/security.* xattrs")
			}
			root := t.TempDir()
			var st UnpackStats
			for _, l := range tt.layers {
				st = unpack(t, root, buildTar(t, l...))
			}
			tt.check(t, root, st)
		})
	}
}

func TestUnpackOwnershipOptions(t *testing.T) {
	b := buildTar(t, ent{typ: tar.TypeReg, name: "f", uid: 4321, gid: 4321, mode: 0o4755})
	root := t.TempDir()
	unpack(t, root, b, WithOwnership(false))
	if st := lstat(t, filepath.Join(root, "f")); st.Uid != uint32(os.Geteuid()) || st.Mode&0o7777 != 0o4755 {
		t.Errorf("WithOwnership(false): uid %d mode %o", st.Uid, st.Mode&0o7777)
	}
	if isRoot() {
		return // chown works: the fallback cannot be observed here
	}
	if _, err := Unpack(context.Background(), bytes.NewReader(b), t.TempDir()); err == nil {
		t.Error("chown to a foreign uid succeeded without privileges")
	}
	st, err := Unpack(context.Background(), bytes.NewReader(b), t.TempDir(), WithIgnoreChownErrors(true))
	if err != nil || len(st.Skipped) != 1 {
		t.Errorf("Skipped = %q, err = %v", st.Skipped, err)
	}
}

func TestUnpackDevicesRefused(t *testing.T) {
	b := buildTar(t, ent{typ: tar.TypeChar, name: "dev/null", major: 1, minor: 3}, ent{typ: tar.TypeFifo, name: "fifo"})
	root := t.TempDir()
	st := unpack(t, root, b, WithDeviceNodes(false))
	wantMissing(t, root, "dev/null")
	wantType(t, root, "fifo", unix.S_IFIFO)
	if len(st.Skipped) != 1 || !strings.Contains(st.Skipped[0], "dev/null") {
		t.Errorf("Skipped = %q", st.Skipped)
	}
}

func TestUnpackContextCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Unpack(ctx, bytes.NewReader(buildTar(t, file("a", "x"))), t.TempDir())
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
}

func TestUnpackMissingDir(t *testing.T) {
	_, err := Unpack(context.Background(), bytes.NewReader(nil), filepath.Join(t.TempDir(), "nope"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("err = %v", err)
	}
}
