package bake

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/polyarch/polyarch/platform"
)

// writeTree writes files (path → content) under a new directory.
func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for p, c := range files {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// env makes a getenv of a map.
func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// load is Load in dir with no files given and env m.
func load(t *testing.T, dir string, m map[string]string) *Project {
	t.Helper()
	p, err := Load(dir, nil, env(m))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// resolveAll resolves every selected target with a fixed date.
func resolveAll(t *testing.T, p *Project, names ...string) []*Resolved {
	t.Helper()
	sel, err := p.Select(names)
	if err != nil {
		t.Fatal(err)
	}
	rs, err := Resolve(context.Background(), p, sel, Options{Getenv: env(map[string]string{"SOURCE_DATE_EPOCH": "1700000000"})})
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

// byName finds a resolved target.
func byName(t *testing.T, rs []*Resolved, name string) *Resolved {
	t.Helper()
	for _, r := range rs {
		if r.Name == name {
			return r
		}
	}
	t.Fatalf("no target %s", name)
	return nil
}

// platformsOf lists the platforms of a target's builds.
func platformsOf(r *Resolved) []string {
	var out []string
	for _, b := range r.Builds {
		out = append(out, b.Platform)
	}
	return out
}

func mustParse(s string) platform.Platform { return platform.MustParse(s) }
