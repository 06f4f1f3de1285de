package dockerfile

import (
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
)

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestLoadIgnore(t *testing.T) {
	dir := t.TempDir()
	ctxDir := filepath.Join(dir, "ctx")
	df := filepath.Join(dir, "build", "app.Dockerfile")
	writeFile(t, filepath.Join(ctxDir, ".dockerignore"), "# comment\n*.log\n/tmp/\n!keep.log\n")
	writeFile(t, df, "FROM scratch\n")

	got, err := LoadIgnore(ctxDir, df)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"*.log", "tmp", "!keep.log"}; !slices.Equal(got, want) {
		t.Errorf("context .dockerignore: %q, want %q", got, want)
	}

	writeFile(t, df+".dockerignore", "node_modules\n")
	got, err = LoadIgnore(ctxDir, df)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"node_modules"}; !slices.Equal(got, want) {
		t.Errorf("<Dockerfile>.dockerignore should win: %q, want %q", got, want)
	}

	for _, name := range []string{"", "-"} {
		got, err = LoadIgnore(ctxDir, name)
		if err != nil || len(got) != 3 {
			t.Errorf("LoadIgnore(ctx, %q) = %q, %v; want the context file", name, got, err)
		}
	}
	got, err = LoadIgnore(filepath.Join(dir, "none"), "")
	if err != nil || got != nil {
		t.Errorf("no ignore file: %q, %v; want nil, nil", got, err)
	}
	if err := os.Mkdir(filepath.Join(dir, "none"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "none", ".dockerignore"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadIgnore(filepath.Join(dir, "none"), ""); err == nil {
		t.Error("an unreadable .dockerignore (a directory) must be an error")
	}
}

func TestMatcher(t *testing.T) {
	m, err := NewMatcher([]string{"*.log", "!keep.log", "build", "**/*.tmp", "docs/*.md", "!docs/README.md"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path string
		want bool
	}{
		{"app.log", true},
		{"keep.log", false},
		{"sub/app.log", false}, // *.log matches at the root only
		{"build", true},
		{"build/out/bin", true}, // a parent matches
		{"a/b/c.tmp", true},
		{"x.tmp", true},
		{"docs/guide.md", true},
		{"docs/README.md", false},
		{"/app.log", true},
		{"main.go", false},
		{".", false},
		{"", false},
	}
	for _, tt := range tests {
		got, err := m.Excluded(tt.path)
		if err != nil {
			t.Fatal(err)
		}
		if got != tt.want {
			t.Errorf("Excluded(%q) = %v, want %v", tt.path, got, tt.want)
		}
	}
	if !m.Exclusions() {
		t.Error("Exclusions() = false with ! patterns")
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if ok, _ := m.Excluded("build/x"); !ok {
				t.Error("concurrent Excluded failed")
			}
		})
	}
	wg.Wait()
}

func TestMatcherEmptyAndInvalid(t *testing.T) {
	var nilMatcher *Matcher
	if ok, err := nilMatcher.Excluded("x"); ok || err != nil {
		t.Errorf("nil matcher: %v, %v", ok, err)
	}
	m, err := NewMatcher(nil)
	if err != nil {
		t.Fatal(err)
	}
	if ok, _ := m.Excluded("anything"); ok {
		t.Error("no patterns excluded a path")
	}
	if _, err := NewMatcher([]string{"[z-a"}); err == nil {
		t.Error("invalid pattern accepted")
	}
}
