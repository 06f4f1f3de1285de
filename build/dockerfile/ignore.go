package dockerfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"
)

// LoadIgnore reads the context's ignore patterns the way BuildKit does:
// <Dockerfile>.dockerignore next to the Dockerfile when it exists (e.g.
// build/app.Dockerfile.dockerignore), else contextDir/.dockerignore. It
// returns nil when neither exists. dockerfilePath may be "" or "-" (stdin),
// which skips the first file; a relative dockerfilePath is used as given
// (relative to the working directory, as -f is).
func LoadIgnore(contextDir, dockerfilePath string) ([]string, error) {
	var candidates []string
	if dockerfilePath != "" && dockerfilePath != "-" {
		candidates = append(candidates, dockerfilePath+".dockerignore")
	}
	candidates = append(candidates, filepath.Join(contextDir, ".dockerignore"))
	for _, name := range candidates {
		f, err := os.Open(name)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("reading ignore file: %w", err)
		}
		patterns, err := ignorefile.ReadAll(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("reading ignore file %s: %w", name, err)
		}
		return patterns, nil
	}
	return nil, nil
}

// Matcher decides which context paths the ignore patterns exclude, with
// Docker's rules: "**" spans directories, "!" re-includes, the last
// matching pattern wins, and a path is excluded when it or a parent
// directory matches. It also serves COPY --exclude patterns.
// A Matcher is safe for concurrent use.
type Matcher struct {
	mu sync.Mutex
	pm *patternmatcher.PatternMatcher
}

// NewMatcher compiles patterns (as LoadIgnore returns them). An invalid
// pattern is an error naming it.
func NewMatcher(patterns []string) (*Matcher, error) {
	pm, err := patternmatcher.New(patterns)
	if err != nil {
		return nil, fmt.Errorf("invalid ignore pattern: %w", err)
	}
	return &Matcher{pm: pm}, nil
}

// Excluded reports whether the context path (relative to the context root,
// with / or the OS separator) is excluded. "." and "" (the root) never are.
func (m *Matcher) Excluded(path string) (bool, error) {
	if m == nil || m.pm == nil {
		return false, nil
	}
	clean := filepath.Clean(filepath.FromSlash(strings.TrimPrefix(filepath.ToSlash(path), "/")))
	if clean == "." {
		return false, nil
	}
	// patternmatcher compiles patterns lazily, so it is not safe for
	// concurrent use on its own.
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.pm.MatchesOrParentMatches(clean)
}

// Exclusions reports whether any pattern starts with "!": a walker may then
// not skip an excluded directory wholesale, since a path below it can be
// included again.
func (m *Matcher) Exclusions() bool {
	return m != nil && m.pm != nil && m.pm.Exclusions()
}
