package hub

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
)

// The hook phases, in the order Docker Hub ran them
// (https://docs.docker.com/docker-hub/builds/advanced/#custom-build-phase-hooks).
// build, test and push replace a default step; the others only add one.
const (
	PostCheckout = "post_checkout"
	PreBuild     = "pre_build"
	Build        = "build"
	PostBuild    = "post_build"
	PreTest      = "pre_test"
	Test         = "test"
	PostTest     = "post_test"
	PrePush      = "pre_push"
	Push         = "push"
	PostPush     = "post_push"
)

// Order lists every hook phase in the order they run.
func Order() []string {
	return []string{PostCheckout, PreBuild, Build, PostBuild, PreTest, Test, PostTest, PrePush, Push, PostPush}
}

// pushPhases run only when the build pushes.
var pushPhases = []string{PrePush, Push, PostPush}

// IsPushPhase reports whether the phase runs only when pushing.
func IsPushPhase(name string) bool { return slices.Contains(pushPhases, name) }

// HasDefault reports whether the phase has a default step that a hook of
// that name replaces: build, test and push.
func HasDefault(name string) bool { return name == Build || name == Test || name == Push }

// Hooks are the hook files of a build directory.
type Hooks struct {
	// Dir is the hooks directory found, "" when there is none.
	Dir string
	// Paths maps a phase to its hook file.
	Paths map[string]string
}

// FindHooks looks for the hooks directory of a Docker Hub build: in the
// build context (contextDir/hooks), else next to the Dockerfile, where
// Docker Hub's documentation puts it. dockerfile is relative to contextDir.
// Files in the directory that name no phase are ignored (helpers a hook
// sources, say).
func FindHooks(contextDir, dockerfile string) (Hooks, error) {
	candidates := []string{filepath.Join(contextDir, "hooks")}
	if d := filepath.Dir(filepath.Join(contextDir, dockerfile)); filepath.Clean(d) != filepath.Clean(contextDir) {
		candidates = append(candidates, filepath.Join(d, "hooks"))
	}
	for _, dir := range candidates {
		st, err := os.Stat(dir)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return Hooks{}, err
		}
		if !st.IsDir() {
			continue
		}
		h := Hooks{Dir: dir, Paths: map[string]string{}}
		for _, name := range Order() {
			p := filepath.Join(dir, name)
			st, err := os.Stat(p)
			switch {
			case errors.Is(err, fs.ErrNotExist):
			case err != nil:
				return Hooks{}, err
			case st.Mode().IsRegular():
				h.Paths[name] = p
			default:
				return Hooks{}, fmt.Errorf("hook %s is not a regular file", p)
			}
		}
		return h, nil
	}
	return Hooks{Paths: map[string]string{}}, nil
}

// Info is what Docker Hub told the hooks about a build.
type Info struct {
	SourceBranch string // SOURCE_BRANCH: the branch or tag built
	SourceCommit string // SOURCE_COMMIT: the commit's SHA-1
	CommitMsg    string // COMMIT_MSG: the commit's message
	Repo         string // DOCKER_REPO: the repository, e.g. index.docker.io/acme/app
	Tag          string // DOCKER_TAG: the tag built, e.g. latest
	Dockerfile   string // DOCKERFILE_PATH: relative to the build context
	// BuildPath is BUILD_PATH: the build context relative to the
	// repository root, with a leading slash ("/" for the root).
	BuildPath string
}

// ImageName is IMAGE_NAME: DOCKER_REPO:DOCKER_TAG.
func (i Info) ImageName() string { return i.Repo + ":" + i.Tag }

// Environ returns the variables Docker Hub set for every hook, as
// KEY=VALUE. CACHE_TAG is the tag being built, as documented; early
// builders left it empty (docker/docs#6684), which hooks written then
// tolerate.
func (i Info) Environ() []string {
	buildPath := i.BuildPath
	if buildPath == "" {
		buildPath = "/"
	}
	return []string{
		"SOURCE_BRANCH=" + i.SourceBranch,
		"SOURCE_COMMIT=" + i.SourceCommit,
		"COMMIT_MSG=" + i.CommitMsg,
		"DOCKER_REPO=" + i.Repo,
		"DOCKERFILE_PATH=" + i.Dockerfile,
		"DOCKER_TAG=" + i.Tag,
		"IMAGE_NAME=" + i.ImageName(),
		"CACHE_TAG=" + i.Tag,
		"BUILD_PATH=" + buildPath,
	}
}
