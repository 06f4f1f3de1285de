package rootfs

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/polyarch/polyarch/internal/testenv"
	"golang.org/x/sys/unix"
)

// normalTree is a layer in exactly the form Pack writes: sorted, explicit
// parents, whole-second mtimes.
func normalTree() []ent {
	long := "home/user/" + strings.Repeat("long-name-", 12) + "txt"
	return []ent{
		dir("bin/"),
		{typ: tar.TypeReg, name: "bin/ping", mode: 0o755, content: "elf-ping",
			xattrs: map[string]string{"security.capability": vfsCapNetBind, "user.note": "hi"}},
		{typ: tar.TypeLink, name: "bin/ping6", link: "bin/ping", mode: 0o755},
		{typ: tar.TypeReg, name: "bin/su", mode: 0o4755, content: "elf-su"},
		dir("dev/"),
		{typ: tar.TypeChar, name: "dev/null", mode: 0o666, major: 1, minor: 3},
		dir("etc/"),
		{typ: tar.TypeFifo, name: "etc/fifo", mode: 0o600},
		file("etc/os-release", "ID=test\n"),
		dir("home/"),
		{typ: tar.TypeDir, name: "home/user/", mode: 0o700, uid: 1000, gid: 1000},
		{typ: tar.TypeReg, name: long, mode: 0o600, uid: 1000, gid: 1000, content: "long"},
		symlink("lib", "usr/lib"),
		{typ: tar.TypeDir, name: "srv/", mode: 0o2775, uid: 33, gid: 33},
		{typ: tar.TypeDir, name: "tmp/", mode: 0o1777},
		dir("usr/"),
		dir("usr/lib/"),
		{typ: tar.TypeReg, name: "usr/lib/libz.so", content: strings.Repeat("z", 300000), mtime: testTime.Add(-time.Hour)},
		dir("var/"),
		{typ: tar.TypeReg, name: "var/big-uid", uid: 3000000, gid: 3000000, content: "x"},
		symlink("var/run", "/run"),
	}
}

func TestPackRoundTrip(t *testing.T) {
	if !isRoot() {
		testenv.Skip(t, "needs root for chown, mknod and security.capability")
	}
	in := buildTar(t, normalTree()...)
	root := t.TempDir()
	unpack(t, root, in)
	out := pack(t, root)
	want, got := readTar(t, in), readTar(t, out)
	if !reflect.DeepEqual(got, want) {
		for i := 0; i < len(got) || i < len(want); i++ {
			var g, w record
			if i < len(got) {
				g = got[i]
			}
			if i < len(want) {
				w = want[i]
			}
			if !reflect.DeepEqual(g, w) {
				g.Content, w.Content = fmt.Sprint(len(g.Content)), fmt.Sprint(len(w.Content))
				t.Errorf("entry %d:\n got %+v\nwant %+v", i, g, w)
			}
		}
	}
}

func TestPackDeterministic(t *testing.T) {
	entries := normalTree()
	if !isRoot() {
		entries = []ent{dir("a/"), file("a/f", "x"), hardlink("a/g", "a/f"), symlink("l", "a")}
	}
	in := buildTar(t, entries...)
	a, b := t.TempDir(), t.TempDir()
	unpack(t, a, in)
	unpack(t, b, in)
	first := pack(t, a)
	if !bytes.Equal(first, pack(t, a)) {
		t.Error("two packs of one dir differ")
	}
	if !bytes.Equal(first, pack(t, b)) {
		t.Error("packs of two unpacks of one layer differ")
	}
	tr := tar.NewReader(bytes.NewReader(first))
	for {
		hdr, err := tr.Next()
		if err != nil {
			break
		}
		if hdr.Uname != "" || hdr.Gname != "" || !hdr.AccessTime.IsZero() || !hdr.ChangeTime.IsZero() || hdr.ModTime.Nanosecond() != 0 {
			t.Errorf("%s: uname %q gname %q atime %v ctime %v mtime %v", hdr.Name, hdr.Uname, hdr.Gname, hdr.AccessTime, hdr.ChangeTime, hdr.ModTime)
		}
	}
}

func TestPackMtimeClamp(t *testing.T) {
	clamp := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	old := time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)
	root := t.TempDir()
	unpack(t, root, buildTar(t,
		ent{typ: tar.TypeReg, name: "new", mtime: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)},
		ent{typ: tar.TypeReg, name: "old", mtime: old},
	))
	recs := readTar(t, pack(t, root, WithMtimeClamp(clamp)))
	if len(recs) != 2 || recs[0].Mtime != clamp.Unix() || recs[1].Mtime != old.Unix() {
		t.Errorf("records %+v", recs)
	}
}

func TestPackSkipsSocketsAndSelinux(t *testing.T) {
	root := t.TempDir()
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	if err := unix.Bind(fd, &unix.SockaddrUnix{Name: filepath.Join(root, "sock")}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "f"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	recs := readTar(t, pack(t, root))
	if len(recs) != 1 || recs[0].Name != "f" || recs[0].Xattrs != "" {
		t.Errorf("records %+v", recs)
	}
}

// TestOverlayRoundTrip: Unpack with OverlayWhiteouts then Pack with
// WithOverlayUpper gives the whiteouts back.
func TestOverlayRoundTrip(t *testing.T) {
	if !isRoot() {
		testenv.Skip(t, "trusted.overlay.* needs CAP_SYS_ADMIN")
	}
	in := buildTar(t, dir("d/"), whiteout("d/.wh..wh..opq"), file("d/f", "f"), whiteout(".wh.gone"))
	root := t.TempDir()
	unpack(t, root, in, WithWhiteoutMode(OverlayWhiteouts))
	if got, want := readTar(t, pack(t, root, WithOverlayUpper(true))), readTar(t, in); !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}

// TestPackOverlayUpper changes files through a real overlay mount and checks
// that Pack turns the upper dir into a layer that reproduces the change.
func TestPackOverlayUpper(t *testing.T) {
	base := buildTar(t, dir("a/"), file("a/x", "x"), file("a/y", "y"), dir("d/"), file("d/p", "p"),
		dir("e/"), file("e/old", "o"), file("keep", "k"))
	lower, upper, work := commaFreeTempDir(t), commaFreeTempDir(t), commaFreeTempDir(t)
	unpack(t, lower, base)
	merged := mountOverlay(t, fmt.Sprintf("lowerdir=%s,upperdir=%s,workdir=%s,redirect_dir=off,metacopy=off", lower, upper, work))
	for _, step := range []func() error{
		func() error { return os.Remove(filepath.Join(merged, "a/x")) },
		func() error { return os.RemoveAll(filepath.Join(merged, "d")) },
		func() error { return os.WriteFile(filepath.Join(merged, "d"), []byte("now a file"), 0o644) },
		func() error { return os.RemoveAll(filepath.Join(merged, "e")) },
		func() error { return os.Mkdir(filepath.Join(merged, "e"), 0o755) },
		func() error { return os.WriteFile(filepath.Join(merged, "e/new"), []byte("n"), 0o644) },
	} {
		if err := step(); err != nil {
			t.Fatal(err)
		}
	}
	want := treeOf(t, merged)
	layer := pack(t, upper, WithOverlayUpper(true))
	var names []string
	for _, r := range readTar(t, layer) {
		names = append(names, fmt.Sprintf("%s:%c", r.Name, r.Type))
		if strings.Contains(r.Xattrs, "overlay") || r.Type == tar.TypeChar {
			t.Errorf("overlay detail leaked into the layer: %+v", r)
		}
	}
	if got := strings.Join(names, " "); got != "a/:5 a/.wh.x:0 d:0 e/:5 e/.wh..wh..opq:0 e/new:0" {
		t.Errorf("layer entries: %s", got)
	}
	applied := t.TempDir()
	unpack(t, applied, base)
	unpack(t, applied, layer)
	if got := treeOf(t, applied); !reflect.DeepEqual(got, want) {
		t.Errorf("applied tree %q\nmerged tree  %q", got, want)
	}
	stacked := commaFreeTempDir(t)
	unpack(t, stacked, layer, WithWhiteoutMode(OverlayWhiteouts))
	again := mountOverlay(t, "lowerdir="+stacked+":"+lower)
	if got := treeOf(t, again); !reflect.DeepEqual(got, want) {
		t.Errorf("restacked tree %q\nmerged tree    %q", got, want)
	}
}

func TestPackOverlayRefusesRedirect(t *testing.T) {
	if !isRoot() {
		testenv.Skip(t, "trusted.* needs CAP_SYS_ADMIN")
	}
	root := t.TempDir()
	if err := os.Mkdir(filepath.Join(root, "moved"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := unix.Setxattr(filepath.Join(root, "moved"), "trusted.overlay.redirect", []byte("/orig"), 0); err != nil {
		t.Fatal(err)
	}
	err := Pack(t.Context(), &bytes.Buffer{}, root, WithOverlayUpper(true))
	if !errors.Is(err, ErrOverlayFeature) {
		t.Fatalf("err = %v", err)
	}
}
