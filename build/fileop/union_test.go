package fileop

import (
	"errors"
	"io"
	"io/fs"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
)

const opq = OpaqueXattrUser

// layeredUnion builds three layers (uppermost first) exercising whiteouts,
// opaque directories, type changes and symlinks.
func layeredUnion(t *testing.T) (*Union, []string) {
	requireRoot(t)
	base := t.TempDir()
	l0 := build(t, filepath.Join(base, "l0"),
		node{Path: "a/new.txt", Kind: "f", Data: "L0"},
		node{Path: "gone", Kind: "w"},
		node{Path: "opq", Kind: "d", Xattr: map[string]string{opq: "y"}},
		node{Path: "opq/top.txt", Kind: "f", Data: "top"},
		node{Path: "link", Kind: "l", Data: "/a"},
		node{Path: "up", Kind: "l", Data: "../../a"},
		node{Path: "f", Kind: "f", Data: "file over dir"},
		node{Path: "loop1", Kind: "l", Data: "loop2"},
		node{Path: "loop2", Kind: "l", Data: "loop1"},
		node{Path: "dangling", Kind: "l", Data: "/nowhere/file"},
		node{Path: "mix/a", Kind: "f", Data: "mix a"},
	)
	l1 := build(t, filepath.Join(base, "l1"),
		node{Path: "a/mid.txt", Kind: "f", Data: "L1"},
		node{Path: "a/wh", Kind: "w"},
		node{Path: "gone", Kind: "f", Data: "L1 gone"},
		node{Path: "opq/mid.txt", Kind: "f", Data: "hidden"},
		node{Path: "f/x", Kind: "f", Data: "hidden"},
		node{Path: "mix", Kind: "f", Data: "ends the merge"},
	)
	l2 := build(t, filepath.Join(base, "l2"),
		node{Path: "a/old.txt", Kind: "f", Data: "L2"},
		node{Path: "a/wh", Kind: "f", Data: "whited"},
		node{Path: "a/mid.txt", Kind: "f", Data: "L2 mid"},
		node{Path: "gone/x", Kind: "f", Data: "hidden"},
		node{Path: "opq/bottom.txt", Kind: "f", Data: "hidden"},
		node{Path: "d2/deep/x", Kind: "f", Data: "deep"},
		node{Path: "mix/b", Kind: "f", Data: "hidden"},
	)
	dirs := []string{l0, l1, l2}
	return NewUnion(dirs), dirs
}

func TestUnionLstat(t *testing.T) {
	u, dirs := layeredUnion(t)
	tests := []struct {
		path  string
		layer int    // index of the winning layer, -1 for "does not exist"
		data  string // content for files
		err   error  // expected error other than not-exist
	}{
		{path: "a/new.txt", layer: 0, data: "L0"},
		{path: "a/mid.txt", layer: 1, data: "L1"},
		{path: "/a/old.txt", layer: 2, data: "L2"},
		{path: "a/wh", layer: -1},
		{path: "gone", layer: -1},
		{path: "gone/x", layer: -1},
		{path: "opq/top.txt", layer: 0, data: "top"},
		{path: "opq/mid.txt", layer: -1},
		{path: "opq/bottom.txt", layer: -1},
		{path: "f", layer: 0, data: "file over dir"},
		{path: "f/x", err: syscall.ENOTDIR},
		{path: "link/old.txt", layer: 2, data: "L2"},
		{path: "up/mid.txt", layer: 1, data: "L1"},
		{path: "d2/deep/x", layer: 2, data: "deep"},
		{path: "a/../a/new.txt", layer: 0, data: "L0"},
		{path: "../../a/new.txt", layer: 0, data: "L0"},
		{path: "mix/a", layer: 0, data: "mix a"},
		{path: "mix/b", layer: -1},
		{path: "loop1/x", err: syscall.ELOOP},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			fi, host, err := u.Lstat(tc.path)
			switch {
			case tc.err != nil:
				if !errors.Is(err, tc.err) {
					t.Fatalf("err = %v, want %v", err, tc.err)
				}
				return
			case tc.layer < 0:
				if !errors.Is(err, fs.ErrNotExist) {
					t.Fatalf("Lstat = %v, %q, %v; want not exist", fi, host, err)
				}
				return
			case err != nil:
				t.Fatal(err)
			}
			if !strings.HasPrefix(host, dirs[tc.layer]+"/") {
				t.Errorf("host = %s, want a path in layer %d", host, tc.layer)
			}
			f, err := u.Open(tc.path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			data, _ := io.ReadAll(f)
			if string(data) != tc.data || fi.Size() != int64(len(tc.data)) {
				t.Errorf("content = %q (size %d), want %q", data, fi.Size(), tc.data)
			}
		})
	}
}

func TestUnionReadDir(t *testing.T) {
	u, _ := layeredUnion(t)
	tests := []struct {
		path string
		want []string
	}{
		{"", []string{"a", "d2", "dangling", "f", "link", "loop1", "loop2", "mix", "opq", "up"}},
		{"a", []string{"mid.txt", "new.txt", "old.txt"}},
		{"opq", []string{"top.txt"}},
		{"link", []string{"mid.txt", "new.txt", "old.txt"}},
		{"mix", []string{"a"}},
		{"d2/deep", []string{"x"}},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			des, err := u.ReadDir(tc.path)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, d := range des {
				got = append(got, d.Name())
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("ReadDir(%q) = %q, want %q", tc.path, got, tc.want)
			}
		})
	}
	if _, err := u.ReadDir("f"); !errors.Is(err, syscall.ENOTDIR) {
		t.Errorf("ReadDir of a file: %v, want ENOTDIR", err)
	}
	if _, err := u.ReadDir("gone"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ReadDir of a whited-out dir: %v, want not exist", err)
	}
}

func TestUnionResolve(t *testing.T) {
	u, _ := layeredUnion(t)
	tests := []struct {
		path       string
		followLast bool
		want       string
		err        error
	}{
		{path: "link/x", followLast: true, want: "a/x"},
		{path: "link", followLast: false, want: "link"},
		{path: "link", followLast: true, want: "a"},
		{path: "/up", followLast: true, want: "a"},
		{path: "up/../d2", followLast: true, want: "d2"},
		{path: "dangling", followLast: true, want: "nowhere/file"},
		{path: "missing/x/y", followLast: true, want: "missing/x/y"},
		{path: "missing/../a", followLast: true, want: "a"},
		{path: "", followLast: true, want: ""},
		{path: "loop1", followLast: true, err: syscall.ELOOP},
		{path: "loop1", followLast: false, want: "loop1"},
		{path: "a/new.txt/x", followLast: true, err: syscall.ENOTDIR},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			got, err := u.Resolve(tc.path, tc.followLast)
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("Resolve = %q, %v; want error %v", got, err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("Resolve(%q, %v) = %q, %v; want %q", tc.path, tc.followLast, got, err, tc.want)
			}
		})
	}
}

func TestUnionReadlinkOpenStat(t *testing.T) {
	u, _ := layeredUnion(t)
	if got, err := u.Readlink("link"); err != nil || got != "/a" {
		t.Errorf("Readlink(link) = %q, %v", got, err)
	}
	if _, err := u.Readlink("a"); !errors.Is(err, syscall.EINVAL) {
		t.Errorf("Readlink of a directory: %v, want EINVAL", err)
	}
	if _, err := u.Open("a"); !errors.Is(err, syscall.EISDIR) {
		t.Errorf("Open of a directory: %v, want EISDIR", err)
	}
	fi, _, err := u.Stat("link")
	if err != nil || !fi.IsDir() {
		t.Errorf("Stat(link) = %v, %v; want the directory", fi, err)
	}
	fi, _, err = u.Lstat("link")
	if err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		t.Errorf("Lstat(link) = %v, %v; want the symlink", fi, err)
	}
}

func TestUnionOpaqueRootAndSingleDir(t *testing.T) {
	requireRoot(t)
	base := t.TempDir()
	top := build(t, filepath.Join(base, "top"), node{Path: "t", Kind: "f"})
	bottom := build(t, filepath.Join(base, "bottom"), node{Path: "b", Kind: "f"})
	if err := setOpaque(top); err != nil {
		t.Fatal(err)
	}
	des, err := NewUnion([]string{top, bottom}).ReadDir("/")
	if err != nil || len(des) != 1 || des[0].Name() != "t" {
		t.Errorf("opaque root: ReadDir = %v, %v; want only t", des, err)
	}
	// A missing layer is empty; a single directory is a plain view.
	u := NewUnion([]string{filepath.Join(base, "missing"), bottom})
	if _, _, err := u.Lstat("b"); err != nil {
		t.Errorf("Lstat through a missing layer: %v", err)
	}
	// Another opaque xattr name can be chosen.
	trusted := build(t, filepath.Join(base, "trusted"), node{Path: "x", Kind: "f"})
	if err := setXattr(trusted, "trusted.overlay.opaque", []byte("y")); err != nil {
		t.Fatal(err)
	}
	des, err = NewUnion([]string{trusted, bottom}, WithOpaqueXattr("trusted.overlay.opaque")).ReadDir("")
	if err != nil || len(des) != 1 {
		t.Errorf("trusted opaque root: ReadDir = %v, %v", des, err)
	}
}

func setOpaque(dir string) error { return setXattr(dir, opq, []byte("y")) }
