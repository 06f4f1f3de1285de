package hub

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/polyarch/polyarch/bake"
)

// copyFixture copies testdata/migrate/<name> into a temporary directory.
func copyFixture(t *testing.T, name string) string {
	t.Helper()
	src := filepath.Join("testdata", "migrate", name)
	dst := t.TempDir()
	err := filepath.Walk(src, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if fi.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, fi.Mode().Perm())
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// TestMigrateYAMLLoadsInBake hands every generated polyarch.yaml to the
// bake package itself: it must load, and the fixtures without legacy bugs
// must resolve with the layout migrate saw; those with the 2018 bug (a
// base of another arch) must be refused for it.
func TestMigrateYAMLLoadsInBake(t *testing.T) {
	refused := map[string]string{
		"perarch": "i386/nginx",
		"suffix":  "multiarch/alpine:x86_64-v3.8",
		"archarg": "amd64/debian",
	}
	for _, name := range migrateCases {
		t.Run(name, func(t *testing.T) {
			dir := copyFixture(t, name)
			p := inspect(t, name)
			if err := os.WriteFile(filepath.Join(dir, ProjectFile), p.YAML(), 0o644); err != nil {
				t.Fatal(err)
			}
			bp, err := bake.Load(dir, nil, func(string) string { return "" })
			if err != nil {
				t.Fatalf("bake.Load: %v", err)
			}
			var names []string
			for _, tg := range p.Targets {
				names = append(names, tg.Name)
			}
			rs, err := bake.Resolve(context.Background(), bp, names, bake.Options{Getenv: func(string) string { return "" }})
			if want, bad := refused[name]; bad {
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Fatalf("bake.Resolve: %v, want a refusal naming %s", err, want)
				}
				return
			}
			if err != nil {
				t.Fatalf("bake.Resolve: %v", err)
			}
			for i, r := range rs {
				tg := p.Targets[i]
				if len(r.Builds) != len(tg.Platforms) {
					t.Errorf("%s: bake builds %d platforms, migrate listed %d", r.Name, len(r.Builds), len(tg.Platforms))
				}
				for _, b := range r.Builds {
					rel, _ := filepath.Rel(dir, b.Dockerfile)
					t.Logf("%s %s: %s (context %s) rewrites %v tags %v", r.Name, b.Platform, rel, b.Context, b.Rewrites, b.ArchTags)
				}
			}
		})
	}
}
