package fileop

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

func TestCopyOwnershipAndMode(t *testing.T) {
	owned := []node{
		{Path: "dir", Kind: "d", Mode: 0o750, UID: 100, GID: 200},
		{Path: "dir/sub", Kind: "d", Mode: 0o124, UID: 101, GID: 201},
		{Path: "dir/sub/nested", Kind: "f", Data: "n", Mode: 0o666, UID: 102, GID: 202},
		{Path: "file", Kind: "f", Data: "f", Mode: 0o644, UID: 100, GID: 200},
		{Path: "exe", Kind: "f", Data: "e", Mode: fs.ModeSetuid | 0o755},
	}
	existing := [][]node{{
		{Path: "existingdir", Kind: "d", Mode: 0o755, UID: 500, GID: 600},
		{Path: "existingdir/existingsubdir", Kind: "d", UID: 501, GID: 601},
	}}
	from := func(dest, src string, mod func(*Request)) func(*Request) {
		return func(r *Request) {
			srcs(dest, src)(r)
			r.Context = false
			if mod != nil {
				mod(r)
			}
		}
	}
	runCases(t, []copyCase{{
		name: "--from keeps owners; a created Dest is root's",
		ctx:  owned,
		req:  from("/dir", "dir", nil),
		want: map[string]string{"dir": "d 0755 0:0", "dir/sub": "d 0124 101:201", "dir/sub/nested": "f 0666 102:202 n"},
	}, {
		name:   "existing directories keep their owners, new ones keep the source's",
		ctx:    owned,
		target: existing,
		req:    from("/existingdir", "dir/.", nil),
		want:   map[string]string{"existingdir": "d 0755 500:600", "existingdir/sub": "d 0124 101:201", "existingdir/sub/nested": "f 0666 102:202 n"},
	}, {
		name:   "--chown owns what is copied and created, not what exists",
		ctx:    owned,
		target: existing,
		req:    from("/existingdir/new/", "dir", func(r *Request) { r.Chown = &IDs{UID: 300, GID: 400} }),
		want: map[string]string{
			"existingdir": "d 0755 500:600", "existingdir/new": "d 0755 300:400",
			"existingdir/new/sub": "d 0124 300:400", "existingdir/new/sub/nested": "f 0666 300:400 n",
		},
	}, {
		name: "the context is root's",
		ctx:  owned,
		req:  srcs("/f", "file"),
		want: map[string]string{"f": "f 0644 0:0 f"},
	}, {
		name: "setuid survives the chown",
		ctx:  owned,
		req:  func(r *Request) { srcs("/e", "exe")(r); r.Chown = &IDs{UID: 7, GID: 7} },
		want: map[string]string{"e": "f 4755 7:7 e"},
	}, {
		name: "octal chmod applies to files, directories and created parents",
		ctx:  owned,
		req:  from("/parent/sub/", "dir", func(r *Request) { r.Chmod = "770" }),
		want: map[string]string{
			"parent": "d 0770 0:0", "parent/sub": "d 0770 0:0",
			"parent/sub/sub": "d 0770 101:201", "parent/sub/sub/nested": "f 0770 102:202 n",
		},
	}, {
		name: "octal chmod replaces special bits",
		ctx:  owned,
		req:  func(r *Request) { srcs("/e", "exe")(r); r.Chmod = "0" },
		want: map[string]string{"e": "f 0000 0:0 e"},
	}, {
		name: "symbolic chmod edits",
		ctx:  owned,
		req:  from("/o", "dir", func(r *Request) { r.Chmod = "go-w,a+X" }),
		want: map[string]string{"o": "d 0755 0:0", "o/sub": "d 0115 101:201", "o/sub/nested": "f 0644 102:202 n"},
	}, {
		name: "symbolic +x",
		ctx:  owned,
		req:  func(r *Request) { srcs("/f", "file")(r); r.Chmod = "+x" },
		want: map[string]string{"f": "f 0755 0:0 f"},
	}})
}

func TestCopyConflicts(t *testing.T) {
	src := []node{
		{Path: "dir/conf", Kind: "f", Data: "c"},
		{Path: "dir/sub/x", Kind: "f", Data: "x"},
		{Path: "dir/link", Kind: "f", Data: "replaces a link"},
	}
	runCases(t, []copyCase{{
		name:   "a file over an existing directory",
		ctx:    src,
		target: [][]node{{{Path: "o/conf/inner", Kind: "f"}}},
		req:    srcs("/o", "dir"),
		err:    "cannot replace to directory /o/conf with file",
	}, {
		name:   "a directory over an existing file",
		ctx:    src,
		target: [][]node{{{Path: "o/sub", Kind: "f"}}},
		req:    srcs("/o", "dir"),
		err:    "cannot copy to non-directory: /o/sub",
	}, {
		name:   "a directory source over an existing file Dest",
		ctx:    src,
		target: [][]node{{{Path: "o", Kind: "f"}}},
		req:    srcs("/o", "dir"),
		err:    "cannot copy to non-directory: /o",
	}, {
		name: "files and links of the image are replaced, nested directories merged",
		ctx:  src,
		target: [][]node{{
			{Path: "o", Kind: "d", Mode: 0o700, UID: 9},
			{Path: "o/conf", Kind: "f", Data: "old"},
			{Path: "o/link", Kind: "l", Data: "/etc"},
			{Path: "o/sub", Kind: "d", Mode: 0o700, UID: 9},
			{Path: "o/sub/old", Kind: "f"},
		}},
		req: srcs("/o", "dir"),
		want: map[string]string{
			"o": "d 0700 9:0", "o/conf": "f 0644 0:0 c", "o/link": "f 0644 0:0 replaces a link",
			"o/sub": "d 0755 0:0", "o/sub/x": "f 0644 0:0 x",
		},
	}, {
		name: "a later source overwrites an earlier one",
		ctx:  []node{{Path: "a/f", Kind: "f", Data: "1"}, {Path: "b/f", Kind: "f", Data: "2"}},
		req:  srcs("/o/", "a", "b"),
		want: map[string]string{"o": "d 0755 0:0", "o/f": "f 0644 0:0 2"},
	}})
}

// TestCopyReproducesParents checks that directories of the image on the
// way to Dest appear in Out unchanged (mode, owner, mtime, xattrs), and
// that copied entries keep their mtimes.
func TestCopyReproducesParents(t *testing.T) {
	requireRoot(t)
	tc := copyCase{
		ctx: []node{
			{Path: "tool", Kind: "f", Data: "t", Mode: 0o755, Mtime: 1_500_000_000},
			{Path: "d", Kind: "d", Mtime: 1_400_000_000},
			{Path: "d/x", Kind: "f", Mtime: 1_300_000_000, Xattr: map[string]string{"user.k": "v"}},
		},
		target: [][]node{
			{
				{Path: "usr", Kind: "d", Mode: 0o755, Mtime: 1_000_000_000},
				{Path: "usr/local", Kind: "d", Mode: 0o700, UID: 3, GID: 4, Mtime: 1_100_000_000, Xattr: map[string]string{"user.a": "b"}},
			},
			{{Path: "usr", Kind: "d", Mode: 0o777, Mtime: 900_000_000}, {Path: "usr/local", Kind: "d"}},
		},
	}
	req := setup(t, tc)
	req.Dest, req.Sources = "/usr/local/bin/", []string{"tool", "d"}
	if err := Copy(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	checkTree(t, req.Out, map[string]string{
		"usr": "d 0755 0:0", "usr/local": "d 0700 3:4", "usr/local/bin": "d 0755 0:0",
		"usr/local/bin/tool": "f 0755 0:0 t", "usr/local/bin/x": "f 0644 0:0 ",
	})
	for rel, want := range map[string]int64{
		"usr": 1_000_000_000, "usr/local": 1_100_000_000, "usr/local/bin": createdTime,
		"usr/local/bin/tool": 1_500_000_000, "usr/local/bin/x": 1_300_000_000,
	} {
		if got := mtime(t, filepath.Join(req.Out, rel)); got != want {
			t.Errorf("mtime of %s = %d, want %d", rel, got, want)
		}
	}
	for rel, want := range map[string]string{"usr/local": "b", "usr/local/bin/x": "v"} {
		k := map[string]string{"usr/local": "user.a", "usr/local/bin/x": "user.k"}[rel]
		v, err := readXattrs(filepath.Join(req.Out, rel))
		if err != nil || string(v[k]) != want {
			t.Errorf("xattrs of %s = %q, %v; want %s=%s", rel, v, err, k, want)
		}
	}
}

// TestCopyMergesDirectoryXattrs: a copied directory over an existing one
// adds its xattrs to the image's, and a dangling symlink as Dest is
// written through, inside the image.
func TestCopyMergesDirectoryXattrs(t *testing.T) {
	requireRoot(t)
	req := setup(t, copyCase{
		ctx: []node{
			{Path: "dir/sub", Kind: "d", Xattr: map[string]string{"user.s": "src"}},
			{Path: "dir/sub/f", Kind: "f"},
			fileF,
		},
		target: [][]node{{
			{Path: "o/sub", Kind: "d", Xattr: map[string]string{"user.t": "img", "user.s": "old"}},
			{Path: "link", Kind: "l", Data: "../../new/name"},
		}},
	})
	req.Sources, req.Dest = []string{"dir"}, "/o"
	if err := Copy(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	x, err := readXattrs(filepath.Join(req.Out, "o/sub"))
	if err != nil || string(x["user.t"]) != "img" || string(x["user.s"]) != "src" {
		t.Errorf("xattrs of o/sub = %q, %v; want user.t=img, user.s=src", x, err)
	}
	req.Out = filepath.Join(t.TempDir(), "out2")
	req.Sources, req.Dest = []string{"f.txt"}, "/link"
	if err := Copy(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	checkTree(t, req.Out, map[string]string{"new": "d 0755 0:0", "new/name": "f 0640 0:0 hi"})
}

// TestCopyFromLayers copies from a stage made of overlay layers: whiteouts
// and opaque directories are respected and no overlay xattr is copied.
func TestCopyFromLayers(t *testing.T) {
	requireRoot(t)
	base := t.TempDir()
	top := build(t, filepath.Join(base, "top"),
		node{Path: "app", Kind: "d", Xattr: map[string]string{opq: "y"}},
		node{Path: "app/new", Kind: "f", Data: "new"},
		node{Path: "lib/gone", Kind: "w"},
	)
	bottom := build(t, filepath.Join(base, "bottom"),
		node{Path: "app/old", Kind: "f", Data: "old"},
		node{Path: "lib/gone", Kind: "f"},
		node{Path: "lib/kept", Kind: "f", Data: "kept"},
	)
	out := filepath.Join(base, "out")
	req := Request{Src: NewUnion([]string{top, bottom}), Sources: []string{"/"}, Dest: "/", Out: out}
	if err := Copy(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	checkTree(t, out, map[string]string{
		"app": "d 0755 0:0", "app/new": "f 0644 0:0 new", "lib": "d 0755 0:0", "lib/kept": "f 0644 0:0 kept",
	})
	if x, _ := readXattrs(filepath.Join(out, "app")); len(x) != 0 {
		t.Errorf("app has xattrs %q, want none", x)
	}
	if v, err := xattrBuf(func(b []byte) (int, error) { return unix.Lgetxattr(filepath.Join(out, "app"), opq, b) }); err == nil {
		t.Errorf("the opaque xattr was copied: %q", v)
	}
}

func TestCopyLinksAndSpecialFiles(t *testing.T) {
	requireRoot(t)
	tc := copyCase{ctx: []node{
		{Path: "d/a", Kind: "f", Data: "same"},
		{Path: "d/b", Kind: "h", Data: "a"},
		{Path: "d/fifo", Kind: "p"},
		{Path: "d/sock", Kind: "s"},
	}}
	for _, context_ := range []bool{true, false} {
		req := setup(t, tc)
		req.Sources, req.Dest, req.Context = []string{"d"}, "/o", context_
		if err := Copy(context.Background(), req); err != nil {
			t.Fatal(err)
		}
		a, _ := os.Stat(filepath.Join(req.Out, "o/a"))
		b, _ := os.Stat(filepath.Join(req.Out, "o/b"))
		if a == nil || b == nil || !os.SameFile(a, b) {
			t.Errorf("context=%v: o/a and o/b are not one hardlinked file", context_)
		}
		fifo, err := os.Lstat(filepath.Join(req.Out, "o/fifo"))
		if err != nil || fifo.Mode()&fs.ModeNamedPipe == 0 {
			t.Errorf("context=%v: fifo = %v, %v", context_, fifo, err)
		}
		sock, err := os.Lstat(filepath.Join(req.Out, "o/sock"))
		wantRegular := context_ // BuildKit's context transfer sends sockets as empty files
		if err != nil || sock.Mode().IsRegular() != wantRegular || sock.Mode().Perm() != 0o755 {
			t.Errorf("context=%v: sock = %v, %v; want regular=%v, 0755", context_, sock, err, wantRegular)
		}
	}
}

func TestCopyErrorsAreTyped(t *testing.T) {
	requireRoot(t)
	req := setup(t, copyCase{ctx: []node{fileF}})
	tests := []struct {
		sources []string
		dest    string
		want    []error
	}{
		{[]string{"missing"}, "/x", []error{ErrNotFound, fs.ErrNotExist}},
		{[]string{"../x"}, "/x", []error{ErrOutsideContext}},
		{[]string{"*.none"}, "/x/", []error{ErrNoSources}},
		{[]string{"f.txt", "f.txt"}, "/x", []error{ErrDestNotDir}},
	}
	for _, tc := range tests {
		r := req
		r.Sources, r.Dest = tc.sources, tc.dest
		err := Copy(context.Background(), r)
		for _, w := range tc.want {
			if !errors.Is(err, w) {
				t.Errorf("%v: err = %v, want errors.Is %v", tc.sources, err, w)
			}
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r := req
	r.Sources, r.Dest = []string{"."}, "/x/"
	r.Src = NewUnion([]string{build(t, filepath.Join(t.TempDir(), "c"), node{Path: "d/f", Kind: "f"})})
	if err := Copy(ctx, r); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled copy: %v", err)
	}
	var pe *fs.PathError
	r = req
	r.Sources, r.Dest = []string{"f.txt"}, "/f.txt/x"
	r.Target = NewUnion([]string{build(t, filepath.Join(t.TempDir(), "t"), fileF)})
	if err := Copy(context.Background(), r); !errors.As(err, &pe) || !errors.Is(err, syscall.ENOTDIR) {
		t.Errorf("copy below a file: %v", err)
	}
}
