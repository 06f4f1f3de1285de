package rootfs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/polyarch/polyarch/internal/testenv"
	"golang.org/x/sys/unix"
)

// whiteoutCases are layer stacks whose merged result must be the same
// whether the layers are applied into one dir or stacked as overlay lowers.
var whiteoutCases = []struct {
	name   string
	layers [][]ent
	want   []string // the merged tree, as treeOf lists it
}{{
	name:   "whiteout a file",
	layers: [][]ent{{dir("a/"), file("a/x", "x"), file("a/y", "y")}, {dir("a/"), whiteout("a/.wh.x")}},
	want:   []string{"a/", "a/y=y"},
}, {
	name:   "whiteout a directory tree",
	layers: [][]ent{{dir("d/"), dir("d/sub/"), file("d/sub/f", "f"), file("top", "t")}, {whiteout(".wh.d")}},
	want:   []string{"top=t"},
}, {
	name:   "opaque directory, marker first",
	layers: [][]ent{{dir("d/"), file("d/p", "p"), dir("d/sub/"), file("d/sub/q", "q")}, {dir("d/"), whiteout("d/.wh..wh..opq"), file("d/new", "n")}},
	want:   []string{"d/", "d/new=n"},
}, {
	name: "opaque directory, marker last keeps this layer's entries",
	layers: [][]ent{
		{dir("d/"), file("d/p", "p"), dir("d/sub/"), file("d/sub/q", "q")},
		{dir("d/"), file("d/new", "n"), file("d/sub/keep", "k"), whiteout("d/.wh..wh..opq")},
	},
	want: []string{"d/", "d/new=n", "d/sub/", "d/sub/keep=k"},
}, {
	name:   "whiteout then recreate in one layer",
	layers: [][]ent{{dir("d/"), file("d/old", "o")}, {whiteout(".wh.d"), dir("d/"), file("d/new", "n")}},
	want:   []string{"d/", "d/new=n"},
}, {
	name:   "whiteout then recreate below it without a dir entry",
	layers: [][]ent{{dir("d/"), file("d/old", "o")}, {whiteout(".wh.d"), file("d/sub/new", "n")}},
	want:   []string{"d/", "d/sub/", "d/sub/new=n"},
}, {
	name:   "recreate then whiteout in one layer",
	layers: [][]ent{{dir("d/"), file("d/old", "o")}, {dir("d/"), file("d/new", "n"), whiteout(".wh.d")}},
	want:   []string{"d/", "d/new=n"},
}, {
	name:   "whiteout replaced by a file",
	layers: [][]ent{{dir("d/"), file("d/old", "o")}, {whiteout(".wh.d"), file("d", "file")}},
	want:   []string{"d=file"},
}, {
	name:   "whiteouts of missing paths",
	layers: [][]ent{{file("f", "f"), dir("d/")}, {whiteout(".wh.nothing"), dir("d/"), whiteout("d/.wh.x")}},
	want:   []string{"d/", "f=f"},
}, {
	name:   "three layers",
	layers: [][]ent{{file("a", "1"), file("b", "1")}, {whiteout(".wh.a"), file("c", "2")}, {file("a", "3"), whiteout(".wh.b")}},
	want:   []string{"a=3", "c=2"},
}}

// treeOf lists a tree as "dir/", "file=content" and "link->target".
func treeOf(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	err := filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
		if err != nil || p == root {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		switch {
		case fi.IsDir():
			out = append(out, rel+"/")
		case fi.Mode()&os.ModeSymlink != 0:
			l, _ := os.Readlink(p)
			out = append(out, rel+"->"+l)
		case fi.Mode().IsRegular():
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			out = append(out, rel+"="+string(b))
		default:
			out = append(out, fmt.Sprintf("%s %v", rel, fi.Mode()))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

func TestApplyWhiteouts(t *testing.T) {
	for _, tc := range whiteoutCases {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			for _, l := range tc.layers {
				unpack(t, root, buildTar(t, l...))
			}
			if got := treeOf(t, root); strings.Join(got, " ") != strings.Join(tc.want, " ") {
				t.Errorf("tree = %q\nwant   %q", got, tc.want)
			}
		})
	}
}

func TestUnpackAufsMetadataSkipped(t *testing.T) {
	root := t.TempDir()
	st := unpack(t, root, buildTar(t, dir(".wh..wh.plnk/"), file(".wh..wh.plnk/123.45", ""), file("a", "")))
	if got := treeOf(t, root); strings.Join(got, " ") != "a=" {
		t.Errorf("tree = %q", got)
	}
	if len(st.Skipped) != 2 {
		t.Errorf("Skipped = %q", st.Skipped)
	}
}

// commaFreeTempDir is a temp dir whose path can go in overlay mount options
// (t.TempDir embeds the test name, which may contain commas).
func commaFreeTempDir(t *testing.T) string {
	t.Helper()
	d, err := os.MkdirTemp("", "rootfs-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(d) })
	return d
}

// mountOverlay mounts an overlay at a new dir and unmounts it at cleanup.
// It skips the test when the caller may not mount.
func mountOverlay(t *testing.T, options string) string {
	t.Helper()
	merged := commaFreeTempDir(t)
	if err := unix.Mount("overlay", merged, "overlay", 0, options); err != nil {
		if errors.Is(err, unix.EPERM) {
			testenv.Skip(t, "cannot mount overlayfs here (%v): run as root (CI does)", err)
		}
		t.Fatalf("mount overlay %s: %v", options, err)
	}
	t.Cleanup(func() {
		if err := unix.Unmount(merged, 0); err != nil {
			t.Errorf("unmount %s: %v", merged, err)
		}
	})
	return merged
}

// TestOverlayWhiteouts unpacks each layer into its own dir with
// OverlayWhiteouts, stacks them as overlay lowers and checks that the kernel
// shows the same tree as ApplyWhiteouts does.
func TestOverlayWhiteouts(t *testing.T) {
	for _, userx := range []bool{false, true} {
		for _, tc := range whiteoutCases {
			t.Run(fmt.Sprintf("userxattr=%v/%s", userx, tc.name), func(t *testing.T) {
				if !userx && !isRoot() {
					testenv.Skip(t, "trusted.overlay.* needs CAP_SYS_ADMIN")
				}
				var lowers []string
				for _, l := range tc.layers {
					d := commaFreeTempDir(t)
					unpack(t, d, buildTar(t, l...), WithWhiteoutMode(OverlayWhiteouts), WithUserXattrs(userx))
					lowers = append([]string{d}, lowers...) // topmost first
				}
				opts := "lowerdir=" + strings.Join(lowers, ":")
				if len(lowers) == 1 {
					opts += ":" + commaFreeTempDir(t)
				}
				if userx {
					opts += ",userxattr"
				}
				merged := mountOverlay(t, opts)
				if got := treeOf(t, merged); strings.Join(got, " ") != strings.Join(tc.want, " ") {
					t.Errorf("overlay tree = %q\nwant           %q", got, tc.want)
				}
			})
		}
	}
}

func TestOverlayWhiteoutFormat(t *testing.T) {
	if !isRoot() {
		testenv.Skip(t, "trusted.overlay.* needs CAP_SYS_ADMIN")
	}
	root := t.TempDir()
	st := unpack(t, root, buildTar(t, dir("d/"), whiteout("d/.wh..wh..opq"), whiteout(".wh.gone")), WithWhiteoutMode(OverlayWhiteouts))
	if s := wantType(t, root, "gone", unix.S_IFCHR); s.Rdev != 0 {
		t.Errorf("whiteout device %d:%d", unix.Major(s.Rdev), unix.Minor(s.Rdev))
	}
	if v, _ := lgetxattr(t, filepath.Join(root, "d"), "trusted.overlay.opaque"); v != "y" {
		t.Errorf("trusted.overlay.opaque = %q", v)
	}
	if st.Whiteouts != 2 {
		t.Errorf("Whiteouts = %d", st.Whiteouts)
	}
	root = t.TempDir()
	unpack(t, root, buildTar(t, dir("d/"), whiteout("d/.wh..wh..opq")), WithWhiteoutMode(OverlayWhiteouts), WithUserXattrs(true))
	if v, _ := lgetxattr(t, filepath.Join(root, "d"), "user.overlay.opaque"); v != "y" {
		t.Errorf("user.overlay.opaque = %q", v)
	}
}
