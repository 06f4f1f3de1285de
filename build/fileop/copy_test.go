package fileop

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// createdTime is Request.CreatedTime in the tests.
const createdTime = 1_700_000_000

// copyCase is one COPY/ADD scenario: a context, a target image (layers
// uppermost first, nil for scratch), a request and the exact Out tree.
type copyCase struct {
	name   string
	ctx    []node
	target [][]node
	req    func(r *Request)
	want   map[string]string
	err    string
}

// setup builds the fixtures of tc and returns the request (before tc.req).
func setup(t *testing.T, tc copyCase) Request {
	t.Helper()
	base := t.TempDir()
	ctxDir := build(t, filepath.Join(base, "ctx"), tc.ctx...)
	req := Request{
		Src:         NewUnion([]string{ctxDir}),
		Context:     true,
		Dest:        "/",
		Out:         filepath.Join(base, "out"),
		CreatedTime: time.Unix(createdTime, 0),
	}
	if tc.target != nil {
		var dirs []string
		for i, l := range tc.target {
			dirs = append(dirs, build(t, filepath.Join(base, "layer"+string(rune('0'+i))), l...))
		}
		req.Target = NewUnion(dirs)
	}
	return req
}

// runCases runs copy cases: the error must contain tc.err, else Out must
// be exactly tc.want.
func runCases(t *testing.T, cases []copyCase) {
	t.Helper()
	requireRoot(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := setup(t, tc)
			if tc.req != nil {
				tc.req(&req)
			}
			err := Copy(context.Background(), req)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("Copy error = %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Copy: %v", err)
			}
			checkTree(t, req.Out, tc.want)
		})
	}
}

func srcs(dest string, sources ...string) func(*Request) {
	return func(r *Request) { r.Dest, r.Sources = dest, sources }
}

var (
	fileF  = node{Path: "f.txt", Kind: "f", Data: "hi", Mode: 0o640}
	fileG  = node{Path: "g.txt", Kind: "f", Data: "gee"}
	dirTwo = []node{
		{Path: "dir", Kind: "d", Mode: 0o750},
		{Path: "dir/a", Kind: "f", Data: "A"},
		{Path: "dir/sub", Kind: "d", Mode: 0o700},
		{Path: "dir/sub/b", Kind: "f", Data: "B", Mode: 0o600},
	}
)

func TestCopyDestination(t *testing.T) {
	runCases(t, []copyCase{{
		name: "file becomes Dest, parents created 0755 root",
		ctx:  []node{fileF},
		req:  srcs("/x/new", "f.txt"),
		want: map[string]string{"x": "d 0755 0:0", "x/new": "f 0640 0:0 hi"},
	}, {
		name: "trailing slash copies into a new directory",
		ctx:  []node{fileF},
		req:  srcs("/x/", "f.txt"),
		want: map[string]string{"x": "d 0755 0:0", "x/f.txt": "f 0640 0:0 hi"},
	}, {
		name:   "existing directory copies into, keeping its metadata",
		ctx:    []node{fileF},
		target: [][]node{{{Path: "app", Kind: "d", Mode: 0o700, UID: 5, GID: 6}}},
		req:    srcs("/app", "f.txt"),
		want:   map[string]string{"app": "d 0700 5:6", "app/f.txt": "f 0640 0:0 hi"},
	}, {
		name: "directory contents, not the directory",
		ctx:  dirTwo,
		req:  srcs("/out", "dir"),
		want: map[string]string{
			"out": "d 0755 0:0", "out/a": "f 0644 0:0 A",
			"out/sub": "d 0700 0:0", "out/sub/b": "f 0600 0:0 B",
		},
	}, {
		name: "context root into a workdir",
		ctx:  []node{fileF, {Path: "d/x", Kind: "f", Data: "x"}},
		req:  srcs("/app/", "."),
		want: map[string]string{
			"app": "d 0755 0:0", "app/f.txt": "f 0640 0:0 hi",
			"app/d": "d 0755 0:0", "app/d/x": "f 0644 0:0 x",
		},
	}, {
		name: "directory to the root",
		ctx:  dirTwo,
		req:  srcs("/", "dir/sub"),
		want: map[string]string{"b": "f 0600 0:0 B"},
	}, {
		name:   "Dest through a symlink of the image",
		ctx:    []node{fileF},
		target: [][]node{{{Path: "app", Kind: "l", Data: "/srv/app"}, {Path: "srv/app", Kind: "d", Mode: 0o750}}},
		req:    srcs("/app/", "f.txt"),
		want:   map[string]string{"srv": "d 0755 0:0", "srv/app": "d 0750 0:0", "srv/app/f.txt": "f 0640 0:0 hi"},
	}, {
		name: "whited-out Dest does not exist",
		ctx:  []node{fileF},
		target: [][]node{
			{{Path: "x", Kind: "w"}},
			{{Path: "x/old", Kind: "f"}},
		},
		req:  srcs("/x", "f.txt"),
		want: map[string]string{"x": "f 0640 0:0 hi"},
	}, {
		name:   "parent that is a file",
		ctx:    []node{fileF},
		target: [][]node{{{Path: "x", Kind: "f"}}},
		req:    srcs("/x/y", "f.txt"),
		err:    "not a directory",
	}})
}

func TestCopyMultipleSources(t *testing.T) {
	two := []node{fileF, fileG}
	runCases(t, []copyCase{{
		name: "two files need a trailing slash",
		ctx:  two,
		req:  srcs("/x", "f.txt", "g.txt"),
		err:  "When using COPY with more than one source file, the destination must be a directory and end with a /",
	}, {
		name: "ADD says ADD",
		ctx:  two,
		req:  func(r *Request) { srcs("/x", "f.txt", "g.txt")(r); r.Add = true },
		err:  "When using ADD with more than one source file",
	}, {
		name: "two files with a trailing slash",
		ctx:  two,
		req:  srcs("/x/", "f.txt", "g.txt"),
		want: map[string]string{"x": "d 0755 0:0", "x/f.txt": "f 0640 0:0 hi", "x/g.txt": "f 0644 0:0 gee"},
	}, {
		name:   "two files into an existing directory",
		ctx:    two,
		target: [][]node{{{Path: "x", Kind: "d"}}},
		req:    srcs("/x", "f.txt", "g.txt"),
		want:   map[string]string{"x": "d 0755 0:0", "x/f.txt": "f 0640 0:0 hi", "x/g.txt": "f 0644 0:0 gee"},
	}, {
		name: "directories merge without a slash, as in BuildKit",
		ctx:  []node{{Path: "d1/a", Kind: "f", Data: "1"}, {Path: "d2/b", Kind: "f", Data: "2"}},
		req:  srcs("/m", "d1", "d2"),
		want: map[string]string{"m": "d 0755 0:0", "m/a": "f 0644 0:0 1", "m/b": "f 0644 0:0 2"},
	}, {
		name: "a heredoc counts as a source",
		ctx:  []node{fileF},
		req: func(r *Request) {
			srcs("/x", "f.txt")(r)
			r.Heredocs = []Heredoc{{Name: "doc", Data: "d"}}
		},
		err: "more than one source file",
	}})
}

func TestCopyWildcards(t *testing.T) {
	ctx := []node{
		fileF, fileG,
		{Path: "readme.md", Kind: "f", Data: "md"},
		{Path: "d1/a1.txt", Kind: "f", Data: "d1a1"},
		{Path: "d1/b.txt", Kind: "f", Data: "d1b"},
		{Path: "d2/a2.txt", Kind: "f", Data: "d2a2"},
		{Path: "dl", Kind: "l", Data: "d1"},
	}
	runCases(t, []copyCase{{
		name: "one match may name the file",
		ctx:  ctx,
		req:  srcs("/x", "f*"),
		want: map[string]string{"x": "f 0640 0:0 hi"},
	}, {
		name: "several matches need a slash",
		ctx:  ctx,
		req:  srcs("/x", "*.txt"),
		err:  "When using COPY with more than one source file",
	}, {
		name: "several matches into a directory",
		ctx:  ctx,
		req:  srcs("/x/", "*.txt"),
		want: map[string]string{"x": "d 0755 0:0", "x/f.txt": "f 0640 0:0 hi", "x/g.txt": "f 0644 0:0 gee"},
	}, {
		name: "per-segment matching, not through symlinked dirs",
		ctx:  ctx,
		req:  srcs("/x/", "d*/a?.txt"),
		want: map[string]string{"x": "d 0755 0:0", "x/a1.txt": "f 0644 0:0 d1a1", "x/a2.txt": "f 0644 0:0 d2a2"},
	}, {
		name: "a literal prefix through a symlink",
		ctx:  ctx,
		req:  srcs("/x/", "dl/b*"),
		want: map[string]string{"x": "d 0755 0:0", "x/b.txt": "f 0644 0:0 d1b"},
	}, {
		name: "matching nothing",
		ctx:  ctx,
		req:  srcs("/x/", "*.none"),
		err:  `COPY failed: no source files were specified: "*.none" matched nothing`,
	}, {
		name: "matching nothing in a missing directory",
		ctx:  ctx,
		req:  srcs("/x/", "nodir/*.txt"),
		err:  "no source files were specified",
	}, {
		name: "matching nothing, allowed as in BuildKit",
		ctx:  ctx,
		req:  func(r *Request) { srcs("/x/", "*.none", "g.txt")(r); r.AllowEmptyWildcard = true },
		want: map[string]string{"x": "d 0755 0:0", "x/g.txt": "f 0644 0:0 gee"},
	}, {
		name: "an escaped wildcard character matches itself",
		ctx:  []node{{Path: "a*b", Kind: "f", Data: "star"}, {Path: "axb", Kind: "f"}},
		req:  srcs("/x", `a\*?`),
		want: map[string]string{"x": "f 0644 0:0 star"},
	}})
}

func TestCopySourceErrors(t *testing.T) {
	runCases(t, []copyCase{{
		name: "missing source",
		ctx:  []node{fileF},
		req:  srcs("/x", "missing.txt"),
		err:  "COPY failed: file not found in build context or excluded by .dockerignore: stat missing.txt: file does not exist",
	}, {
		name: "missing source of a stage",
		ctx:  []node{fileF},
		req:  func(r *Request) { srcs("/x", "/missing")(r); r.Context = false },
		err:  "file not found in the source stage or image: stat /missing",
	}, {
		name: "escaping the context",
		ctx:  []node{fileF},
		req:  srcs("/x", "../f.txt"),
		err:  "COPY failed: forbidden path outside the build context: ../f.txt",
	}, {
		name: "dangling symlink",
		ctx:  []node{{Path: "l", Kind: "l", Data: "nowhere"}},
		req:  srcs("/x", "l"),
		err:  "file not found",
	}, {
		name: "a symlink leading outside stays inside",
		ctx:  []node{fileF, {Path: "l", Kind: "l", Data: "../../../f.txt"}},
		req:  srcs("/x", "l"),
		want: map[string]string{"x": "f 0640 0:0 hi"},
	}, {
		name: "bad chmod",
		ctx:  []node{fileF},
		req:  func(r *Request) { srcs("/x", "f.txt")(r); r.Chmod = "8888" },
		err:  "invalid chmod parameter: '8888'. it should be octal string and between 0 and 07777",
	}, {
		name: "relative Dest",
		ctx:  []node{fileF},
		req:  srcs("x", "f.txt"),
		err:  "not absolute",
	}})
}

func TestCopySymlinks(t *testing.T) {
	ctx := []node{
		{Path: "bar", Kind: "f", Data: "bar-contents"},
		{Path: "foo", Kind: "l", Data: "bar"},
		{Path: "sub/lfile", Kind: "f", Data: "lfile"},
		{Path: "sub/l0", Kind: "l", Data: "subfile"},
		{Path: "sub/subfile", Kind: "f", Data: "subfile"},
		{Path: "sub/l1", Kind: "l", Data: "second"},
		{Path: "sub/second", Kind: "l", Data: "baz"},
		{Path: "sub/baz", Kind: "f", Data: "baz"},
		{Path: "dir/rel", Kind: "l", Data: "../bar"},
		{Path: "dir/abs", Kind: "l", Data: "/etc/passwd"},
		{Path: "ldir", Kind: "l", Data: "dir"},
	}
	runCases(t, []copyCase{{
		name: "a named symlink is followed, named as the link",
		ctx:  ctx,
		req:  srcs("/", "foo"),
		want: map[string]string{"foo": "f 0644 0:0 bar-contents"},
	}, {
		name: "wildcard matches are followed, chains too",
		ctx:  ctx,
		req:  srcs("/alllinks/", "sub/l*"),
		want: map[string]string{
			"alllinks": "d 0755 0:0", "alllinks/l0": "f 0644 0:0 subfile",
			"alllinks/l1": "f 0644 0:0 baz", "alllinks/lfile": "f 0644 0:0 lfile",
		},
	}, {
		name: "symlinks inside a directory are kept",
		ctx:  ctx,
		req:  srcs("/o", "ldir"),
		want: map[string]string{"o": "d 0755 0:0", "o/rel": "l 0:0 ../bar", "o/abs": "l 0:0 /etc/passwd"},
	}, {
		name: "a path through a symlinked directory",
		ctx:  ctx,
		req:  srcs("/x", "ldir/rel"),
		want: map[string]string{"x": "f 0644 0:0 bar-contents"},
	}})
}
