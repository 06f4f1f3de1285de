package hub

import (
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/polyarch/polyarch/platform"
)

// MigrateOptions shape Inspect. The zero value means every default.
type MigrateOptions struct {
	// Registry is the default of polyarch.yaml's REGISTRY variable, the
	// prefix of every tag. Default: the namespace the hooks or the CI push
	// to (docker.io/acme), else localhost:5000.
	Registry string
}

// Project is a legacy repository as polyarch.yaml describes it.
type Project struct {
	Name     string // the repository directory's name
	Registry string
	Targets  []Target // by name
	Rewrites []Rewrite
	Findings []Finding
}

// Target is one image: one context, one Dockerfile or one per platform.
type Target struct {
	Name       string
	Context    string // slash-separated, relative to the repository root
	Dockerfile string // relative to Context; "" when PerPlatform covers every platform
	// PerPlatform maps platform.Format(p) to the Dockerfile building p.
	PerPlatform map[string]PlatformFile
	Platforms   []platform.Platform
	// ArchSpelling is set when the target keeps per-arch tags
	// (:arm64v8, ...): "bashbrew", "debian" or "uname".
	ArchSpelling string
}

// PlatformFile is one platform's Dockerfile, relative to its context;
// Context is relative to the target's, "" for the target's own.
type PlatformFile struct{ Dockerfile, Context string }

// group collects the Dockerfiles of one target while reading the tree.
type group struct {
	name, context string
	plain         string            // the Dockerfile without an arch in its path, relative to context
	perArch       map[string]string // platform → Dockerfile, relative to context
	archNames     []string          // the arch spellings the paths used
}

// Inspect reads the repository at root: Dockerfiles in per-arch folders
// (<image>/<arch>/Dockerfile), Dockerfile.<arch> files, Dockerfiles that
// pick their base with an ARCH build argument, Docker Hub hooks and
// .travis.yml, and describes it as a polyarch project.
func Inspect(root string, opts MigrateOptions) (*Project, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, err
	}
	tree, err := walkRepo(abs)
	if err != nil {
		return nil, err
	}
	h := newHints()
	for _, f := range tree.hooks {
		b, err := os.ReadFile(filepath.Join(abs, filepath.FromSlash(f)))
		if err != nil {
			return nil, err
		}
		h.shell(f, 0, string(b))
	}
	if tree.travis != "" {
		b, err := os.ReadFile(filepath.Join(abs, tree.travis))
		if err != nil {
			return nil, err
		}
		if err := h.travis(tree.travis, b); err != nil {
			return nil, err
		}
	}
	dfs := map[string]*dockerfile{}
	for _, rel := range tree.dockerfiles {
		if dfs[rel], err = readDockerfile(abs, rel); err != nil {
			return nil, err
		}
	}
	p := &Project{Name: RepoComponent(filepath.Base(abs)), Registry: opts.Registry, Findings: h.findings}
	if p.Registry == "" {
		p.Registry = registryOf(h.repos)
	}
	m := migration{root: abs, p: p, h: h, dfs: dfs, rewrites: map[string]Rewrite{}}
	for _, g := range groupDockerfiles(tree.dockerfiles, p.Name) {
		m.target(g)
	}
	for _, rel := range tree.dockerfiles {
		m.lint(dfs[rel])
	}
	for _, k := range slices.Sorted(maps.Keys(m.rewrites)) {
		p.Rewrites = append(p.Rewrites, m.rewrites[k])
	}
	slices.SortFunc(p.Targets, func(a, b Target) int { return strings.Compare(a.Name, b.Name) })
	slices.SortStableFunc(p.Findings, func(a, b Finding) int {
		if c := strings.Compare(a.File, b.File); c != 0 {
			return c
		}
		return a.Line - b.Line
	})
	return p, nil
}

type repoTree struct {
	dockerfiles, hooks []string
	travis             string
}

// walkRepo lists the files migration reads, skipping hidden and vendored
// directories.
func walkRepo(root string) (repoTree, error) {
	var t repoTree
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		name := d.Name()
		if d.IsDir() {
			if rel != "." && (strings.HasPrefix(name, ".") || name == "node_modules" || name == "vendor") {
				return filepath.SkipDir
			}
			return nil
		}
		switch {
		case rel == ".travis.yml":
			t.travis = rel
		case path.Base(path.Dir(rel)) == "hooks" && slices.Contains(Order(), name):
			t.hooks = append(t.hooks, rel)
		case name == "Dockerfile" || strings.HasPrefix(name, "Dockerfile.") && !strings.HasSuffix(name, ".dockerignore"):
			t.dockerfiles = append(t.dockerfiles, rel)
		}
		return nil
	})
	return t, err
}

// archName parses a path component that names an architecture.
func archName(s string) (platform.Platform, bool) {
	if s == "linux" {
		return platform.Platform{}, false
	}
	p, err := platform.Parse(s)
	return p, err == nil
}

// groupDockerfiles sorts Dockerfiles into targets by layout.
func groupDockerfiles(files []string, repoName string) []*group {
	byKey := map[string]*group{}
	var keys []string
	get := func(key, context, name string) *group {
		g, ok := byKey[key]
		if !ok {
			g = &group{name: name, context: context, perArch: map[string]string{}}
			byKey[key] = g
			keys = append(keys, key)
		}
		return g
	}
	nameOf := func(dir string) string {
		if dir == "." {
			return repoName
		}
		return RepoComponent(path.Base(dir))
	}
	for _, rel := range files {
		dir, base := path.Dir(rel), path.Base(rel)
		suffix, hasSuffix := strings.CutPrefix(base, "Dockerfile.")
		switch {
		case base == "Dockerfile" && dir != ".":
			if p, ok := archName(path.Base(dir)); ok {
				ctx := path.Dir(dir)
				g := get(ctx, ctx, nameOf(ctx))
				g.perArch[platform.Format(p)] = path.Base(dir) + "/Dockerfile"
				g.archNames = append(g.archNames, path.Base(dir))
				continue
			}
			get(dir, dir, nameOf(dir)).plain = base
		case hasSuffix:
			if p, ok := archName(suffix); ok {
				g := get(dir, dir, nameOf(dir))
				g.perArch[platform.Format(p)] = base
				g.archNames = append(g.archNames, suffix)
				continue
			}
			get(dir+"#"+suffix, dir, nameOf(dir)+"-"+RepoComponent(suffix)).plain = base
		default:
			get(dir, dir, nameOf(dir)).plain = base
		}
	}
	out := make([]*group, 0, len(keys))
	seen := map[string]int{}
	for _, k := range keys {
		g := byKey[k]
		if seen[g.name]++; seen[g.name] > 1 {
			g.name = fmt.Sprintf("%s-%d", g.name, seen[g.name])
		}
		out = append(out, g)
	}
	return out
}

var notComponent = regexp.MustCompile(`[^a-z0-9._-]+`)

// RepoComponent turns a name (a directory's, say) into an image
// repository path component, also used as a target name: "My App" → my-app.
func RepoComponent(s string) string {
	s = strings.Trim(notComponent.ReplaceAllString(strings.ToLower(s), "-"), "-._")
	if s == "" {
		return "image"
	}
	return s
}

// registryOf returns the namespace of the first repository with one
// (acme/nginx:1 → docker.io/acme), else localhost:5000.
func registryOf(repos []string) string {
	for _, r := range repos {
		r, _, _ = strings.Cut(r, "@")
		if i := strings.LastIndexByte(r, ':'); i > strings.LastIndexByte(r, '/') {
			r = r[:i]
		}
		ns, _, found := cutLast(r, "/")
		if !found {
			continue
		}
		first, _, _ := strings.Cut(ns, "/")
		if !strings.ContainsAny(first, ".:") && first != "localhost" {
			ns = "docker.io/" + ns
		}
		return ns
	}
	return "localhost:5000"
}

func cutLast(s, sep string) (before, after string, found bool) {
	if i := strings.LastIndex(s, sep); i >= 0 {
		return s[:i], s[i+len(sep):], true
	}
	return s, "", false
}
