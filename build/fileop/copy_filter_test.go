package fileop

import (
	"testing"

	"github.com/moby/patternmatcher"
)

// ignorer returns a .dockerignore matcher as the executor builds one.
func ignorer(t *testing.T, patterns ...string) func(string) (bool, error) {
	pm, err := patternmatcher.New(patterns)
	if err != nil {
		t.Fatal(err)
	}
	return pm.MatchesOrParentMatches
}

func TestCopyExclude(t *testing.T) {
	ctx := []node{
		{Path: "dir/a.txt", Kind: "f", Data: "a"},
		{Path: "dir/b.md", Kind: "f", Data: "b"},
		{Path: "dir/sub", Kind: "d", Mode: 0o700},
		{Path: "dir/sub/c.txt", Kind: "f", Data: "c"},
		{Path: "dir/sub/keep", Kind: "f", Data: "k"},
		{Path: "hom.txt", Kind: "f", Data: "h"},
	}
	excl := func(dest, src string, patterns ...string) func(*Request) {
		return func(r *Request) { srcs(dest, src)(r); r.Exclude = patterns }
	}
	runCases(t, []copyCase{{
		name: "patterns are relative to the source root",
		ctx:  ctx,
		req:  excl("/o", "dir", "*.txt"),
		want: map[string]string{
			"o": "d 0755 0:0", "o/b.md": "f 0644 0:0 b", "o/sub": "d 0700 0:0",
			"o/sub/c.txt": "f 0644 0:0 c", "o/sub/keep": "f 0644 0:0 k",
		},
	}, {
		name: "** spans directories",
		ctx:  ctx,
		req:  excl("/o", "dir", "**/*.txt"),
		want: map[string]string{"o": "d 0755 0:0", "o/b.md": "f 0644 0:0 b", "o/sub": "d 0700 0:0", "o/sub/keep": "f 0644 0:0 k"},
	}, {
		name: "an excluded directory with an exception is created for it",
		ctx:  ctx,
		req:  excl("/o", "dir", "sub", "!sub/keep"),
		want: map[string]string{
			"o": "d 0755 0:0", "o/a.txt": "f 0644 0:0 a", "o/b.md": "f 0644 0:0 b",
			"o/sub": "d 0700 0:0", "o/sub/keep": "f 0644 0:0 k",
		},
	}, {
		name: "an excluded directory is skipped",
		ctx:  ctx,
		req:  excl("/o", "dir", "sub"),
		want: map[string]string{"o": "d 0755 0:0", "o/a.txt": "f 0644 0:0 a", "o/b.md": "f 0644 0:0 b"},
	}, {
		name: "a wildcard match itself is not excluded, as in BuildKit (moby/buildkit#5489)",
		ctx:  ctx,
		req:  excl("/o/", "hom*", "*.txt"),
		want: map[string]string{"o": "d 0755 0:0", "o/hom.txt": "f 0644 0:0 h"},
	}, {
		name: "everything excluded leaves the created Dest",
		ctx:  ctx,
		req:  excl("/o", "dir", "*"),
		want: map[string]string{"o": "d 0755 0:0"},
	}})
}

func TestCopyDockerignore(t *testing.T) {
	ctx := []node{
		{Path: "app.go", Kind: "f", Data: "go"},
		{Path: "debug.log", Kind: "f", Data: "log"},
		{Path: "secret", Kind: "f", Data: "s"},
		{Path: "link", Kind: "l", Data: "secret"},
		{Path: "vendor/a", Kind: "f", Data: "a"},
		{Path: "vendor/keep/k", Kind: "f", Data: "k"},
	}
	ign := func(dest string, exceptions bool, patterns []string, sources ...string) func(*Request) {
		return func(r *Request) {
			srcs(dest, sources...)(r)
			r.Ignore, r.IgnoreExceptions = ignorer(t, patterns...), exceptions
		}
	}
	runCases(t, []copyCase{{
		name: "ignored files are invisible",
		ctx:  ctx,
		req:  ign("/app/", false, []string{"*.log", "secret", "vendor"}, "."),
		want: map[string]string{"app": "d 0755 0:0", "app/app.go": "f 0644 0:0 go", "app/link": "l 0:0 secret"},
	}, {
		name: "an ignored file named as a source",
		ctx:  ctx,
		req:  ign("/x", false, []string{"secret"}, "secret"),
		err:  "file not found in build context or excluded by .dockerignore: stat secret",
	}, {
		name: "an ignored file through a symlink",
		ctx:  ctx,
		req:  ign("/x", false, []string{"secret"}, "link"),
		err:  "excluded by .dockerignore",
	}, {
		name: "ignored files do not match wildcards",
		ctx:  ctx,
		req:  ign("/x/", false, []string{"*.log"}, "*.log", "app.go"),
		err:  "no source files were specified",
	}, {
		name: "exceptions re-include below an ignored directory",
		ctx:  ctx,
		req:  ign("/o/", true, []string{"vendor", "!vendor/keep"}, "vendor"),
		want: map[string]string{"o": "d 0755 0:0", "o/keep": "d 0755 0:0", "o/keep/k": "f 0644 0:0 k"},
	}, {
		name: "ignore applies to the context only",
		ctx:  ctx,
		req: func(r *Request) {
			ign("/x", false, []string{"secret"}, "secret")(r)
			r.Context = false
		},
		want: map[string]string{"x": "f 0644 0:0 s"},
	}})
}

func TestCopyParents(t *testing.T) {
	ctx := []node{
		{Path: "foo1", Kind: "d", Mode: 0o700},
		{Path: "foo1/foo2", Kind: "d", Mode: 0o700},
		{Path: "foo1/foo2/bar", Kind: "f", Data: "testing"},
		{Path: "foo1/foo2/baz", Kind: "f", Data: "testing2"},
		{Path: "test/a/b/c/d/foo", Kind: "f", Data: "foo"},
		{Path: "test/a/b/c/d/e/bay", Kind: "f", Data: "bay"},
		{Path: "test/a/b2/c/d/e/bar", Kind: "f", Data: "bar"},
		{Path: "test/a/b/c2/d/e/baz", Kind: "f", Data: "baz"},
	}
	par := func(dest string, sources ...string) func(*Request) {
		return func(r *Request) { srcs(dest, sources...)(r); r.Parents = true }
	}
	runCases(t, []copyCase{{
		name: "parents are kept with their modes",
		ctx:  ctx,
		req:  par("/", "foo1/foo2/bar"),
		want: map[string]string{"foo1": "d 0700 0:0", "foo1/foo2": "d 0700 0:0", "foo1/foo2/bar": "f 0644 0:0 testing"},
	}, {
		name: "wildcards in the pattern",
		ctx:  ctx,
		req:  par("/test/", "foo1/foo2/ba*"),
		want: map[string]string{
			"test": "d 0755 0:0", "test/foo1": "d 0700 0:0", "test/foo1/foo2": "d 0700 0:0",
			"test/foo1/foo2/bar": "f 0644 0:0 testing", "test/foo1/foo2/baz": "f 0644 0:0 testing2",
		},
	}, {
		name: "a ./ pivot drops what is before it",
		ctx:  ctx,
		req:  par("/out/", "test/a/b/./c/d"),
		want: map[string]string{
			"out": "d 0755 0:0", "out/c": "d 0755 0:0", "out/c/d": "d 0755 0:0",
			"out/c/d/foo": "f 0644 0:0 foo", "out/c/d/e": "d 0755 0:0", "out/c/d/e/bay": "f 0644 0:0 bay",
		},
	}, {
		name: "wildcard base and ** pattern",
		ctx:  ctx,
		req:  par("/out/", "test/a/b*/./c/**/e"),
		want: map[string]string{
			"out": "d 0755 0:0", "out/c": "d 0755 0:0", "out/c/d": "d 0755 0:0", "out/c/d/e": "d 0755 0:0",
			"out/c/d/e/bay": "f 0644 0:0 bay", "out/c/d/e/bar": "f 0644 0:0 bar",
		},
	}, {
		name: "a missing path",
		ctx:  ctx,
		req:  par("/out/", "test/nonexistent-file"),
		err:  "file not found",
	}, {
		name: "a wildcard that matches nothing",
		ctx:  ctx,
		req:  par("/out/", "test/a/b/./c9*"),
		err:  "no source files were specified",
	}, {
		name: "a wildcard that matches nothing, allowed",
		ctx:  ctx,
		req:  func(r *Request) { par("/out/", "test/a/b/./c9*")(r); r.AllowEmptyWildcard = true },
		want: map[string]string{"out": "d 0755 0:0"},
	}})
}

func TestCopyHeredocs(t *testing.T) {
	doc := func(dest string, docs ...Heredoc) func(*Request) {
		return func(r *Request) { r.Src, r.Dest, r.Heredocs = nil, dest, docs }
	}
	runCases(t, []copyCase{{
		name: "a single heredoc names Dest",
		req:  doc("/dest/single", Heredoc{Name: "EOF", Data: "single file\n"}),
		want: map[string]string{"dest": "d 0755 0:0", "dest/single": "f 0644 0:0 single file\n"},
	}, {
		name: "several heredocs into a directory",
		req:  doc("/dest/double/", Heredoc{Name: "EOF", Data: "first\n"}, Heredoc{Name: "EOF2", Data: "second\n"}),
		want: map[string]string{
			"dest": "d 0755 0:0", "dest/double": "d 0755 0:0",
			"dest/double/EOF": "f 0644 0:0 first\n", "dest/double/EOF2": "f 0644 0:0 second\n",
		},
	}, {
		name: "chmod and chown apply",
		req: func(r *Request) {
			doc("/p/all", Heredoc{Name: "EOF", Data: "x", Mode: 0o600})(r)
			r.Chmod, r.Chown = "777", &IDs{UID: 1000, GID: 1000}
		},
		want: map[string]string{"p": "d 0777 1000:1000", "p/all": "f 0777 1000:1000 x"},
	}, {
		name: "a given mode is kept",
		req:  doc("/run.sh", Heredoc{Name: "EOF", Data: "#!/bin/sh\n", Mode: 0o755}),
		want: map[string]string{"run.sh": "f 0755 0:0 #!/bin/sh\n"},
	}, {
		name: "a name with a slash",
		req:  doc("/x", Heredoc{Name: "a/b", Data: "x"}),
		err:  "invalid heredoc name",
	}})
}
