package bake

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/polyarch/polyarch/platform"
)

// layout is what one image directory holds.
type layout struct {
	// plain is the path of <dir>/Dockerfile, "" when there is none.
	plain string
	// perArch maps a canonical platform to its Dockerfile (absolute paths):
	// Dockerfile.<arch> (also Dockerfile-<arch>, Dockerfile_<arch>,
	// <arch>.Dockerfile) with the directory as context, and
	// <arch>/Dockerfile with <arch>/ as context.
	perArch map[string]PlatformFile
	// archDirs are the <arch>/ subdirectories that belong to this image.
	archDirs []string
}

func (l layout) empty() bool { return l.plain == "" && len(l.perArch) == 0 }

// scanDir reads dir's layout. Two files for one platform are an error.
func scanDir(dir string) (layout, error) {
	l := layout{perArch: map[string]PlatformFile{}}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return l, err
	}
	add := func(arch string, pf PlatformFile, archDir string) error {
		p, ok := archOf(arch)
		if !ok {
			return nil
		}
		key := platform.Format(p)
		if old, dup := l.perArch[key]; dup {
			return fmt.Errorf("%s and %s are both Dockerfiles for %s: keep one", old.Dockerfile, pf.Dockerfile, key)
		}
		l.perArch[key] = pf
		if archDir != "" {
			l.archDirs = append(l.archDirs, archDir)
		}
		return nil
	}
	for _, e := range entries {
		name, full := e.Name(), filepath.Join(dir, e.Name())
		switch {
		case e.IsDir():
			if st, err := os.Stat(filepath.Join(full, "Dockerfile")); err == nil && st.Mode().IsRegular() {
				if err := add(name, PlatformFile{Dockerfile: filepath.Join(full, "Dockerfile"), Context: full}, full); err != nil {
					return l, err
				}
			}
		case !e.Type().IsRegular():
		case name == "Dockerfile":
			l.plain = full
		default:
			if arch, ok := dockerfileSuffix(name); ok {
				if err := add(arch, PlatformFile{Dockerfile: full, Context: dir}, ""); err != nil {
					return l, err
				}
			}
		}
	}
	return l, nil
}

// dockerfileSuffix returns <arch> of Dockerfile.<arch>, Dockerfile-<arch>,
// Dockerfile_<arch> and <arch>.Dockerfile.
func dockerfileSuffix(name string) (string, bool) {
	for _, sep := range []string{".", "-", "_"} {
		if s, ok := strings.CutPrefix(name, "Dockerfile"+sep); ok {
			return s, true
		}
	}
	if s, ok := strings.CutSuffix(name, ".Dockerfile"); ok {
		return s, true
	}
	return "", false
}

// skipDirs are never searched for Dockerfiles.
var skipDirs = map[string]bool{"node_modules": true, "vendor": true}

// Discover makes a target of every directory under root that holds a
// Dockerfile, Dockerfile.<arch> files or <arch>/Dockerfile subdirectories
// (any arch spelling); those of one directory form one multi-arch target,
// named after the directory's path ("/" becomes "-"; the root is named
// after its base name). Hidden directories, node_modules and vendor are
// skipped. Discovered targets have no tags.
func Discover(root string) (*Project, error) {
	root, err := filepath.Abs(root)
	if err != nil {
		return nil, err
	}
	p := &Project{Dir: root, Discovered: true, Targets: map[string]*Target{}, Groups: map[string][]string{}}
	consumed := map[string]bool{}
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		if path != root && (strings.HasPrefix(d.Name(), ".") || skipDirs[d.Name()] || consumed[path]) {
			return filepath.SkipDir
		}
		l, err := scanDir(path)
		if err != nil {
			return err
		}
		if l.empty() {
			return nil
		}
		for _, a := range l.archDirs {
			consumed[a] = true
		}
		rel, _ := filepath.Rel(root, path)
		name := strings.ReplaceAll(filepath.ToSlash(rel), "/", "-")
		if rel == "." {
			name = filepath.Base(root)
		}
		if old, dup := p.Targets[name]; dup {
			return fmt.Errorf("directories %s and %s would both be target %q: write a polyarch.yaml", old.Context, rel, name)
		}
		p.Targets[name] = &Target{Name: name, Dir: root, Context: rel}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("discovering Dockerfiles under %s: %w", root, err)
	}
	if len(p.Targets) == 0 {
		return nil, fmt.Errorf("no project file (%s) and no Dockerfile under %s", strings.Join(DefaultFiles, ", "), root)
	}
	return p, nil
}
