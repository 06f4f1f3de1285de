package rootfs

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// outcome is what a hostile archive may do besides never touching anything
// outside the root.
type outcome int

const (
	succeeds outcome = iota // Unpack returns nil
	unsafe                  // Unpack fails with ErrUnsafePath
	fails                   // Unpack fails some other way (e.g. ENOENT inside the root)
)

// hostileSetup makes parent/{root,sentinel/keep} and returns them. Tests
// compare the parent (minus root) before and after.
func hostileSetup(t testing.TB) (parent, root, sentinel string) {
	t.Helper()
	parent = t.TempDir()
	root = filepath.Join(parent, "root")
	sentinel = filepath.Join(parent, "sentinel")
	for _, d := range []string{root, sentinel, filepath.Join(sentinel, "dir")} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(sentinel, "keep"), []byte("precious"), 0o644); err != nil {
		t.Fatal(err)
	}
	// An old mtime makes any touch of the sentinel visible.
	old := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, p := range []string{filepath.Join(sentinel, "keep"), filepath.Join(sentinel, "dir"), sentinel} {
		if err := os.Chtimes(p, old, old); err != nil {
			t.Fatal(err)
		}
	}
	return parent, root, sentinel
}

// hostileCase is one row: layers applied in order, the expected outcome of
// the last one, and an optional check inside the root.
type hostileCase struct {
	name   string
	layers func(parent, sentinel string) [][]ent
	want   outcome
	// wantOverlay, when set, is the outcome under OverlayWhiteouts, which
	// creates whiteouts (and their parents) instead of deleting.
	wantOverlay *outcome
	check       func(t *testing.T, root, parent string)
}

func ptr(o outcome) *outcome { return &o }

func hostileCases() []hostileCase {
	one := func(es ...ent) func(string, string) [][]ent {
		return func(string, string) [][]ent { return [][]ent{es} }
	}
	longDots := "../sentinel/" + strings.Repeat("p", 120)
	return []hostileCase{
		{name: "dotdot file", layers: one(file("../sentinel/pwned", "x")), want: unsafe},
		{name: "deep dotdot", layers: one(file("../../../../../../sentinel/pwned", "x")), want: unsafe},
		{name: "dotdot after a component", layers: one(file("a/../../sentinel/pwned", "x")), want: unsafe},
		{name: "rooted dotdot", layers: one(file("/../sentinel/pwned", "x")), want: unsafe},
		{name: "dotdot dir", layers: one(dir("../sentinel/newdir/")), want: unsafe},
		{name: "dotdot as a name", layers: one(dir("..")), want: unsafe},
		{name: "dotdot PAX long name", layers: one(ent{typ: tar.TypeReg, name: longDots, format: tar.FormatPAX}), want: unsafe},
		{name: "dotdot GNU long name", layers: one(ent{typ: tar.TypeReg, name: longDots, format: tar.FormatGNU}), want: unsafe},
		{name: "dotdot device", layers: one(ent{typ: tar.TypeChar, name: "../sentinel/null", major: 1, minor: 3}), want: unsafe},
		{name: "dotdot fifo", layers: one(ent{typ: tar.TypeFifo, name: "../sentinel/fifo"}), want: unsafe},
		{name: "dotdot symlink", layers: one(symlink("../sentinel/l", "/")), want: unsafe},
		{
			name:   "absolute name is kept inside",
			layers: func(p, s string) [][]ent { return [][]ent{{file(s+"/pwned", "x")}} },
			check: func(t *testing.T, root, parent string) {
				wantContent(t, root, filepath.Join(parent, "sentinel/pwned"), "x")
			},
		},
		{
			name:   "absolute symlink to the sentinel, then write below it",
			layers: func(p, s string) [][]ent { return [][]ent{{symlink("a", s), file("a/pwned", "x")}} },
			want:   fails, // the link dangles inside the root
		},
		{
			name: "absolute symlink resolves inside the root",
			layers: func(p, s string) [][]ent {
				return [][]ent{{symlink("a", "/"), file("a"+s+"/pwned", "x"), file("a/../sentinel/x", "y")}}
			},
			check: func(t *testing.T, root, parent string) {
				wantContent(t, root, filepath.Join(parent, "sentinel/pwned"), "x")
				wantContent(t, root, "sentinel/x", "y")
			},
		},
		{
			name:   "relative symlink climbing out",
			layers: one(symlink("b", "../../.."), file("b/pwned", "x"), dir("b/sentinel/"), file("b/sentinel/keep", "mine")),
			check: func(t *testing.T, root, _ string) {
				wantContent(t, root, "pwned", "x")
				wantContent(t, root, "sentinel/keep", "mine")
			},
		},
		{name: "relative symlink to a sibling", layers: one(symlink("b", "../sentinel"), file("b/pwned", "x")), want: fails},
		{
			name:   "symlink chain",
			layers: one(symlink("l1", "l2"), symlink("l2", "../../../../"), file("l1/pwned", "x")),
			check:  func(t *testing.T, root, _ string) { wantContent(t, root, "pwned", "x") },
		},
		{name: "symlink loop", layers: one(symlink("x", "y"), symlink("y", "x"), file("x/z", "")), want: fails},
		{name: "symlink via /proc", layers: one(symlink("p", "/proc/self/root"), file("p/pwned", "")), want: fails},
		{name: "hardlink dotdot", layers: one(hardlink("h", "../sentinel/keep")), want: unsafe},
		{
			name:   "hardlink absolute",
			layers: func(p, s string) [][]ent { return [][]ent{{hardlink("h", s+"/keep")}} },
			want:   fails,
		},
		{
			name:   "hardlink through an absolute symlink",
			layers: func(p, s string) [][]ent { return [][]ent{{symlink("s", s), hardlink("h", "s/keep")}} },
			want:   fails,
		},
		{name: "hardlink to /etc/shadow", layers: one(hardlink("h", "/etc/shadow")), want: fails},
		{
			name:   "absolute hardlink target means the one inside the root",
			layers: one(dir("etc/"), file("etc/shadow", "inside"), hardlink("h", "/etc/shadow")),
			check: func(t *testing.T, root, _ string) {
				if a, b := lstat(t, filepath.Join(root, "h")), lstat(t, filepath.Join(root, "etc/shadow")); a.Ino != b.Ino {
					t.Error("h is not etc/shadow inside the root")
				}
			},
		},
		{name: "hardlink through a relative symlink", layers: one(symlink("s", "../.."), hardlink("h", "s/sentinel/keep")), want: fails},
		{
			name:   "hardlink to a symlink links the symlink",
			layers: func(p, s string) [][]ent { return [][]ent{{symlink("s", s+"/keep"), hardlink("h", "s")}} },
			check:  func(t *testing.T, root, _ string) { wantType(t, root, "h", unix.S_IFLNK) },
		},
		{name: "hardlink to the root", layers: one(hardlink("h", "./")), want: unsafe},
		{name: "hardlink to itself", layers: one(file("h", "x"), hardlink("h", "h")), want: unsafe},
		{name: "whiteout dotdot", layers: one(whiteout("../.wh.sentinel")), want: unsafe},
		{name: "whiteout of dotdot", layers: one(whiteout(".wh...")), want: unsafe},
		{name: "whiteout of dot", layers: one(whiteout("a/.wh..")), want: unsafe},
		{name: "whiteout of nothing", layers: one(whiteout(".wh.")), want: unsafe},
		{
			name:        "whiteout through an absolute symlink",
			layers:      func(p, s string) [][]ent { return [][]ent{{symlink("w", p)}, {whiteout("w/.wh.sentinel")}} },
			wantOverlay: ptr(fails), // cannot create a whiteout below a dangling link
		},
		{
			name: "whiteout through a climbing symlink stays inside",
			layers: func(p, s string) [][]ent {
				return [][]ent{{dir("sentinel/"), file("sentinel/keep", "mine"), symlink("w", "../../..")}, {whiteout("w/.wh.sentinel")}}
			},
			// Deleted (apply) or whited out by a 0/0 device (overlay).
			check: func(t *testing.T, root, _ string) { wantMissing(t, root, "sentinel/keep") },
		},
		{
			name:        "opaque through an absolute symlink",
			layers:      func(p, s string) [][]ent { return [][]ent{{symlink("o", s)}, {whiteout("o/.wh..wh..opq")}} },
			wantOverlay: ptr(fails),
		},
		{
			name:   "opaque through a climbing symlink empties the root only",
			layers: one(file("f", ""), symlink("r", "../..")),
			check: func(t *testing.T, root, _ string) {
				if _, err := Unpack(context.Background(), bytes.NewReader(buildTar(t, whiteout("r/.wh..wh..opq"))), root); err != nil {
					t.Fatal(err)
				}
				wantMissing(t, root, "f")
				wantMissing(t, root, "r")
			},
		},
		{
			name:   "file replaces a symlink instead of writing through it",
			layers: func(p, s string) [][]ent { return [][]ent{{symlink("x", s+"/keep")}, {file("x", "pwned")}} },
			check:  func(t *testing.T, root, _ string) { wantContent(t, root, "x", "pwned") },
		},
		{
			name: "dir replaces a symlink instead of chmodding through it",
			layers: func(p, s string) [][]ent {
				return [][]ent{{symlink("d", s)}, {{typ: tar.TypeDir, name: "d/", mode: 0o700, uid: 4242}}}
			},
			check: func(t *testing.T, root, _ string) { wantType(t, root, "d", unix.S_IFDIR) },
		},
		{
			name: "symlink metadata never reaches the target",
			layers: func(p, s string) [][]ent {
				return [][]ent{{{typ: tar.TypeSymlink, name: "l", link: s + "/keep", uid: 4242, gid: 4242, mtime: testTime,
					xattrs: map[string]string{"trusted.x": "y"}}}}
			},
		},
		{
			name:   "same-layer whiteout cannot delete a written file",
			layers: one(file("f", "mine"), whiteout(".wh.f")),
			check:  func(t *testing.T, root, _ string) { wantContent(t, root, "f", "mine") },
		},
		{name: "symlink as the root", layers: one(symlink("./", "/")), want: unsafe},
		{name: "file as the root", layers: one(file(".", "x")), want: unsafe},
		{name: "hardlink to a directory", layers: one(dir("d/"), hardlink("h", "d")), want: fails},
		{name: "file below a file", layers: one(file("f", "x"), file("f/g", "y")), want: fails},
	}
}

func TestUnpackHostile(t *testing.T) {
	for _, mode := range []WhiteoutMode{ApplyWhiteouts, OverlayWhiteouts} {
		for _, tc := range hostileCases() {
			t.Run(mode.String()+"/"+tc.name, func(t *testing.T) {
				parent, root, sentinel := hostileSetup(t)
				before := snapshot(t, parent, true, root)
				layers := tc.layers(parent, sentinel)
				var err error
				for i, l := range layers {
					_, err = Unpack(context.Background(), bytes.NewReader(buildTar(t, l...)), root, WithWhiteoutMode(mode), WithIgnoreChownErrors(!isRoot()))
					if err != nil && i < len(layers)-1 {
						t.Fatalf("layer %d: %v", i, err)
					}
				}
				if d := diffSnapshots(before, snapshot(t, parent, true, root)); len(d) > 0 {
					t.Fatalf("changes outside the root:\n%s", strings.Join(d, "\n"))
				}
				if _, err := os.Stat(filepath.Join(parent, "pwned")); err == nil {
					t.Fatal("parent/pwned exists")
				}
				want := tc.want
				if mode == OverlayWhiteouts && tc.wantOverlay != nil {
					want = *tc.wantOverlay
				}
				switch {
				case want == succeeds && err != nil:
					t.Fatalf("Unpack: %v", err)
				case want == unsafe && !errors.Is(err, ErrUnsafePath):
					t.Fatalf("Unpack = %v, want ErrUnsafePath", err)
				case want == fails && (err == nil || errors.Is(err, ErrUnsafePath)):
					t.Fatalf("Unpack = %v, want a failure other than ErrUnsafePath", err)
				}
				if tc.check != nil && err == nil {
					tc.check(t, root, parent)
				}
			})
		}
	}
}

// sparseBomb is an old-GNU sparse entry with an empty map and an 8 GiB real
// size: archive/tar would hand Unpack 8 GiB of zeros for 1.5 KiB of input.
func sparseBomb(t testing.TB) []byte {
	t.Helper()
	b := buildTar(t, ent{typ: tar.TypeReg, name: "bomb", format: tar.FormatGNU})
	h := b[:512]
	h[156] = tar.TypeGNUSparse
	copy(h[483:495], fmt.Sprintf("%011o\x00", int64(8)<<30))
	copy(h[148:156], "        ")
	sum := 0
	for _, c := range h {
		sum += int(c)
	}
	copy(h[148:156], fmt.Sprintf("%06o\x00 ", sum))
	return b
}

func TestUnpackSparseRefused(t *testing.T) {
	hdr, err := tar.NewReader(bytes.NewReader(sparseBomb(t))).Next()
	if err != nil || hdr.Size != 8<<30 {
		t.Fatalf("test archive is not the bomb it should be: %+v, %v", hdr, err)
	}
	root := t.TempDir()
	_, err = Unpack(context.Background(), bytes.NewReader(sparseBomb(t)), root)
	if !errors.Is(err, ErrUnsupportedEntry) {
		t.Fatalf("err = %v", err)
	}
	wantMissing(t, root, "bomb")
}
