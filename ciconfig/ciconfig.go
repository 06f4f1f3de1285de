package ciconfig

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"strings"

	"github.com/polyarch/polyarch/platform"
)

// Provider names a CI service.
type Provider string

// The providers Generate knows.
const (
	GitHub    Provider = "github"    // GitHub Actions: .github/workflows/polyarch.yml
	GitLab    Provider = "gitlab"    // GitLab CI: .gitlab-ci.yml
	Travis    Provider = "travis"    // Travis CI: .travis.yml
	DockerHub Provider = "dockerhub" // Docker Hub automated builds: hooks/{pre_build,build,push}
)

// Providers lists every provider, in the order help texts show them.
func Providers() []Provider { return []Provider{GitHub, GitLab, Travis, DockerHub} }

// providerAliases maps the other names people use for a provider.
var providerAliases = map[string]Provider{
	"github": GitHub, "github-actions": GitHub, "actions": GitHub, "gha": GitHub,
	"gitlab": GitLab, "gitlab-ci": GitLab,
	"travis": Travis, "travis-ci": Travis,
	"dockerhub": DockerHub, "docker-hub": DockerHub, "hub": DockerHub,
}

// ParseProvider reads a provider name, case-insensitively, with a few
// aliases (github-actions, gitlab-ci, travis-ci, docker-hub).
func ParseProvider(s string) (Provider, error) {
	if p, ok := providerAliases[strings.ToLower(strings.TrimSpace(s))]; ok {
		return p, nil
	}
	names := make([]string, 0, 4)
	for _, p := range Providers() {
		names = append(names, string(p))
	}
	return "", fmt.Errorf("unknown CI provider %q; choose one of: %s", s, strings.Join(names, ", "))
}

// DefaultPlatforms is what Options.Platforms means when empty.
const DefaultPlatforms = "linux/amd64,linux/arm64,linux/arm/v7"

// Options shape the generated configuration. The zero value of every field
// means its documented default.
type Options struct {
	// Platforms to build, in the order the index lists them. Default
	// DefaultPlatforms. Only linux platforms that QEMU emulates.
	Platforms []platform.Platform
	// Image is the repository to push, without tag or digest
	// ("docker.io/acme/app"). Default: ghcr.io/<owner>/<repo> on GitHub,
	// $CI_REGISTRY_IMAGE on GitLab; required on Travis; Docker Hub names the
	// image itself (DOCKER_REPO), so it must stay empty there.
	Image string
	// FanOut builds each platform in its own job (pushing by digest, with a
	// per-platform registry cache) and merges the digests into one index in
	// a last job. Default: one job builds every platform. GitHub and GitLab
	// only.
	FanOut bool
	// NativeARM runs the arm64 and arm jobs of a fan-out on arm64 runners
	// (GitHub's ubuntu-24.04-arm, GitLab.com's saas-linux-small-arm64)
	// instead of emulating them. Needs FanOut.
	NativeARM bool
	// Dockerfile path, relative to the repository root. Default
	// Context/Dockerfile. On Docker Hub the hooks are written next to it.
	Dockerfile string
	// Context directory, relative to the repository root. Default ".". Not
	// for Docker Hub, whose build rules set it.
	Context string
	// Branches whose pushes build and push the image. Default: main. Other
	// pushes do not run; pull (merge) requests build without pushing.
	Branches []string
	// PolyarchVersion is the module version the configs go install. Default
	// "latest".
	PolyarchVersion string
}

// File is one generated file.
type File struct {
	Path    string      // slash-separated, relative to the repository root
	Content []byte      // the whole file, header included
	Mode    fs.FileMode // 0o644, or 0o755 for hooks
}

// ErrUnsupported is wrapped by Generate's errors for an option the provider
// cannot honour (fan-out on Travis, say).
var ErrUnsupported = errors.New("not supported")

// Generate renders the configuration of provider p. It validates opts first
// and returns the files in a stable order.
func Generate(p Provider, opts Options) ([]File, error) {
	o, err := resolve(p, opts)
	if err != nil {
		return nil, err
	}
	switch p {
	case GitHub:
		return github(o)
	case GitLab:
		return gitlab(o)
	case Travis:
		return travis(o)
	case DockerHub:
		return dockerhub(o)
	}
	return nil, fmt.Errorf("unknown CI provider %q", p)
}

// resolve validates opts for p and fills in the defaults.
func resolve(p Provider, o Options) (Options, error) {
	if _, err := ParseProvider(string(p)); err != nil {
		return o, err
	}
	if len(o.Platforms) == 0 {
		o.Platforms, _ = platform.ParseList(DefaultPlatforms)
	}
	seen := map[string]bool{}
	for _, pl := range o.Platforms {
		s := platform.Format(pl)
		switch {
		case platform.Normalize(pl).OS != "linux":
			return o, fmt.Errorf("platform %s: CI images are built for linux platforms only", s)
		case platform.QEMU(pl) == "":
			return o, fmt.Errorf("platform %s: no QEMU emulator is known for it", s)
		case seen[s]:
			return o, fmt.Errorf("platform %s is listed twice", s)
		}
		seen[s] = true
	}
	if o.NativeARM && !o.FanOut {
		return o, fmt.Errorf("--native-arm needs --fan-out: arm64 runners build the arm platforms' jobs")
	}
	if o.FanOut && (p == Travis || p == DockerHub) {
		return o, fmt.Errorf("%s: --fan-out is %w (no artifacts pass between its jobs); one job builds every platform", p, ErrUnsupported)
	}
	if err := checkImage(p, o.Image); err != nil {
		return o, err
	}
	if o.Context == "" {
		o.Context = "."
	} else if p == DockerHub {
		return o, fmt.Errorf("dockerhub: --context is %w: the build rule's \"Build context\" sets it", ErrUnsupported)
	}
	if err := checkPath("context", o.Context); err != nil {
		return o, err
	}
	if o.Dockerfile == "" {
		o.Dockerfile = path.Join(o.Context, "Dockerfile")
	}
	if err := checkPath("Dockerfile", o.Dockerfile); err != nil {
		return o, err
	}
	if len(o.Branches) == 0 {
		o.Branches = []string{"main"}
	}
	for _, b := range o.Branches {
		if !branchRE.MatchString(b) || strings.Contains(b, "..") {
			return o, fmt.Errorf("branch %q: not a branch name this generator can quote safely", b)
		}
	}
	if o.PolyarchVersion == "" {
		o.PolyarchVersion = "latest"
	}
	if !versionRE.MatchString(o.PolyarchVersion) {
		return o, fmt.Errorf("polyarch version %q: want latest, a module version (v1.2.3) or a commit", o.PolyarchVersion)
	}
	return o, nil
}

var (
	// repoRE is an image repository without tag or digest: an optional
	// registry host[:port], then lower-case path components.
	repoRE    = regexp.MustCompile(`^(?:[a-zA-Z0-9](?:[a-zA-Z0-9.-]*[a-zA-Z0-9])?(?::[0-9]+)?/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$`)
	branchRE  = regexp.MustCompile(`^[A-Za-z0-9._/-]+$`)
	versionRE = regexp.MustCompile(`^[A-Za-z0-9._+-]+$`)
	pathRE    = regexp.MustCompile(`^[A-Za-z0-9._/@+-]+$`)
)

func checkImage(p Provider, image string) error {
	switch {
	case image == "" && p == Travis:
		return fmt.Errorf("travis: --image is required (the repository to push, e.g. docker.io/you/app)")
	case image == "":
		return nil
	case p == DockerHub:
		return fmt.Errorf("dockerhub: --image is %w: Docker Hub passes the repository to the hooks (DOCKER_REPO)", ErrUnsupported)
	case strings.Contains(image, "://"):
		return fmt.Errorf("--image %q: give the repository without a scheme (docker.io/you/app)", image)
	case strings.Contains(image, "@"), strings.Contains(image[strings.LastIndex(image, "/")+1:], ":"):
		return fmt.Errorf("--image %q: give the repository without a tag or digest; the tags come from the git ref", image)
	case !repoRE.MatchString(image):
		return fmt.Errorf("--image %q: not an image repository (lower-case path components, e.g. docker.io/you/app)", image)
	}
	return nil
}

// checkPath accepts the relative, clean, unquoted-safe paths the generated
// shell and YAML use as they are.
func checkPath(what, p string) error {
	if path.IsAbs(p) || p != path.Clean(p) || strings.HasPrefix(p, "../") || p == ".." || !pathRE.MatchString(p) {
		return fmt.Errorf("%s %q: want a clean path relative to the repository root (letters, digits, . _ - / only)", what, p)
	}
	return nil
}

// registryOf returns the registry host of an image repository: its first
// path component when that looks like a host, else docker.io.
func registryOf(image string) string {
	first, _, found := strings.Cut(image, "/")
	if found && (strings.ContainsAny(first, ".:") || first == "localhost") {
		return first
	}
	return "docker.io"
}

// runnerArch is a CI runner's CPU.
type runnerArch string

const (
	x86 runnerArch = "amd64"
	arm runnerArch = "arm64"
)

// runsOn returns the runner arch a platform's fan-out job uses.
func runsOn(p platform.Platform, nativeARM bool) runnerArch {
	switch platform.Normalize(p).Architecture {
	case "arm64", "arm":
		if nativeARM {
			return arm
		}
	}
	return x86
}

// emulated reports whether a runner of arch r needs QEMU for p. It is
// binfmt.Native's rule (which this package may not import): amd64 runs 386,
// but arm64 CPUs may lack AArch32, so arm is emulated there too.
func emulated(r runnerArch, p platform.Platform) bool {
	switch platform.Normalize(p).Architecture {
	case string(r):
		return false
	case "386":
		return r != x86
	}
	return true
}

// slug is a platform as a file or tag fragment: linux/arm/v7 → linux-arm-v7.
func slug(p platform.Platform) string {
	return strings.ReplaceAll(platform.Format(p), "/", "-")
}

func formatList(ps []platform.Platform) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = platform.Format(p)
	}
	return strings.Join(s, ",")
}

// foreign returns the platforms of ps a runner of arch r emulates.
func foreign(r runnerArch, ps []platform.Platform) []platform.Platform {
	var out []platform.Platform
	for _, p := range ps {
		if emulated(r, p) {
			out = append(out, p)
		}
	}
	return out
}

func one(p platform.Platform) []platform.Platform { return []platform.Platform{p} }

// platformJobs is one job per platform with the provider's runner label,
// and the platforms it must emulate there.
func platformJobs(o Options, runners map[runnerArch]string) []ghJob {
	var jobs []ghJob
	for _, p := range o.Platforms {
		r := runsOn(p, o.NativeARM)
		j := ghJob{Platform: formatList(one(p)), Runner: runners[r]}
		if emulated(r, p) {
			j.Emulate = j.Platform
		}
		jobs = append(jobs, j)
	}
	return jobs
}
