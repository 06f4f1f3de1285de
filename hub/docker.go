package hub

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/pflag"
)

// DockerCommand is one docker command line that polyarch's docker shim
// serves: *DockerBuild, *DockerPush, *DockerTag, *DockerLogin,
// *DockerManifestCreate, *DockerManifestAnnotate, *DockerManifestPush or
// *DockerRegister.
type DockerCommand interface{ verb() string }

// DockerBuild is docker build [-t T]... [-f F] [--build-arg K=V]...
// [--platform P] [--target S] [--pull] [--no-cache] [-q] [--label K=V]...
// [--iidfile F] [--progress P] CONTEXT.
type DockerBuild struct {
	Tags, BuildArgs, Labels         []string
	File, Platform, Target, IIDFile string
	Progress                        string
	Pull, NoCache, Quiet            bool
	Context                         string
	// Notes are flags accepted but without effect under polyarch.
	Notes []string
}

// DockerPush is docker push REF.
type DockerPush struct{ Ref string }

// DockerTag is docker tag SOURCE TARGET.
type DockerTag struct{ Source, Target string }

// DockerLogin is docker login [-u U] [-p P | --password-stdin] [REGISTRY].
type DockerLogin struct {
	Username, Password, Registry string
	PasswordStdin                bool
}

// DockerManifestCreate is docker manifest create [--amend] LIST IMAGE...:
// it records a manifest list locally; DockerManifestPush makes it.
type DockerManifestCreate struct {
	List    string
	Sources []string
	Amend   bool
}

// DockerManifestAnnotate is docker manifest annotate [--os O] [--arch A]
// [--variant V] LIST IMAGE.
type DockerManifestAnnotate struct {
	List, Image, OS, Arch, Variant string
}

// DockerManifestPush is docker manifest push [--purge] LIST.
type DockerManifestPush struct {
	List  string
	Purge bool
}

// DockerRegister is a docker run of a QEMU registration container.
type DockerRegister struct{ Registration }

func (*DockerBuild) verb() string            { return "build" }
func (*DockerPush) verb() string             { return "push" }
func (*DockerTag) verb() string              { return "tag" }
func (*DockerLogin) verb() string            { return "login" }
func (*DockerManifestCreate) verb() string   { return "manifest create" }
func (*DockerManifestAnnotate) verb() string { return "manifest annotate" }
func (*DockerManifestPush) verb() string     { return "manifest push" }
func (*DockerRegister) verb() string         { return "run" }

// ShimVerbs is what the shim serves, for messages.
const ShimVerbs = "build, push, tag, login, manifest create|annotate|push, and run of a QEMU registration container (skipped)"

// UnsupportedError reports a docker command the shim does not serve.
type UnsupportedError struct {
	Verb   string // e.g. "run", "manifest inspect", "--host"
	Detail string
}

func (e *UnsupportedError) Error() string {
	msg := fmt.Sprintf("docker %s is not served by polyarch's docker shim, which serves %s", e.Verb, ShimVerbs)
	if e.Detail != "" {
		msg += "; " + e.Detail
	}
	return msg
}

// ParseDocker reads the arguments of a docker command (without "docker").
// Commands the shim does not serve are an *UnsupportedError naming the
// verb; a served verb with a flag it does not know is an error naming the
// flag.
func ParseDocker(args []string) (DockerCommand, error) {
	if len(args) == 0 {
		return nil, errors.New("docker: no command given; the polyarch shim serves " + ShimVerbs)
	}
	verb, rest := args[0], args[1:]
	if (verb == "image" || verb == "builder") && len(rest) > 0 {
		verb, rest = rest[0], rest[1:] // docker image build|push|tag
		if verb != "build" && (args[0] == "builder" || verb != "push" && verb != "tag") {
			return nil, &UnsupportedError{Verb: args[0] + " " + verb}
		}
	}
	switch verb {
	case "build":
		return parseBuild(rest)
	case "push":
		return parsePush(rest)
	case "tag":
		return parseTag(rest)
	case "login":
		return parseLogin(rest)
	case "manifest":
		return parseManifest(rest)
	case "run", "container":
		if r, ok := ParseRegister(args); ok {
			return &DockerRegister{r}, nil
		}
		return nil, &UnsupportedError{Verb: "run", Detail: "only QEMU registration containers (multiarch/qemu-user-static, tonistiigi/binfmt, docker/binfmt, …) are recognised, and skipped; use polyarch run for containers"}
	}
	return nil, &UnsupportedError{Verb: verb}
}

// flagSet returns a pflag set that reports errors rather than printing.
func flagSet(name string) *pflag.FlagSet {
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

func parseFlags(fs *pflag.FlagSet, args []string, served string) error {
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("docker %s: %w (polyarch's docker shim serves %s)", fs.Name(), err, served)
	}
	return nil
}

func parseBuild(args []string) (DockerCommand, error) {
	var b DockerBuild
	var rm, forceRm bool
	var cacheFrom []string
	var network string
	fs := flagSet("build")
	fs.StringArrayVarP(&b.Tags, "tag", "t", nil, "")
	fs.StringVarP(&b.File, "file", "f", "", "")
	fs.StringArrayVar(&b.BuildArgs, "build-arg", nil, "")
	fs.StringArrayVar(&b.Labels, "label", nil, "")
	fs.StringVar(&b.Platform, "platform", "", "")
	fs.StringVar(&b.Target, "target", "", "")
	fs.StringVar(&b.IIDFile, "iidfile", "", "")
	fs.StringVar(&b.Progress, "progress", "", "")
	fs.BoolVar(&b.Pull, "pull", false, "")
	fs.BoolVar(&b.NoCache, "no-cache", false, "")
	fs.BoolVarP(&b.Quiet, "quiet", "q", false, "")
	fs.BoolVar(&rm, "rm", true, "")
	fs.BoolVar(&forceRm, "force-rm", false, "")
	fs.StringArrayVar(&cacheFrom, "cache-from", nil, "")
	fs.StringVar(&network, "network", "", "")
	err := parseFlags(fs, args, "-t, -f, --build-arg, --platform, --target, --pull, --no-cache, -q, --label, --iidfile, --progress, --network, --cache-from, --rm, --force-rm")
	if err != nil {
		return nil, err
	}
	switch network {
	case "", "default", "host":
	default:
		return nil, fmt.Errorf("docker build --network %s: polyarch builds with the host's network (or none with polyarch build --network none)", network)
	}
	if len(cacheFrom) > 0 {
		b.Notes = append(b.Notes, "--cache-from "+strings.Join(cacheFrom, ",")+" is ignored: polyarch's build cache is kept in its store")
	}
	if fs.NArg() != 1 {
		return nil, fmt.Errorf("docker build: want exactly one build context, got %d arguments", fs.NArg())
	}
	b.Context = fs.Arg(0)
	if strings.Contains(b.Context, "://") || strings.HasPrefix(b.Context, "git@") || strings.HasPrefix(b.Context, "github.com/") {
		return nil, fmt.Errorf("docker build %s: remote build contexts are not served; clone it and build the directory", b.Context)
	}
	return &b, nil
}

func parsePush(args []string) (DockerCommand, error) {
	var allTags, quiet, noTrust bool
	fs := flagSet("push")
	fs.BoolVarP(&allTags, "all-tags", "a", false, "")
	fs.BoolVarP(&quiet, "quiet", "q", false, "")
	fs.BoolVar(&noTrust, "disable-content-trust", true, "")
	if err := parseFlags(fs, args, "push [-q] REF"); err != nil {
		return nil, err
	}
	if allTags {
		return nil, errors.New("docker push --all-tags is not served by polyarch's docker shim: push each tag")
	}
	if fs.NArg() != 1 {
		return nil, fmt.Errorf("docker push: want one image reference, got %d arguments", fs.NArg())
	}
	return &DockerPush{Ref: fs.Arg(0)}, nil
}

func parseTag(args []string) (DockerCommand, error) {
	fs := flagSet("tag")
	if err := parseFlags(fs, args, "tag SOURCE TARGET"); err != nil {
		return nil, err
	}
	if fs.NArg() != 2 {
		return nil, fmt.Errorf("docker tag: want SOURCE TARGET, got %d arguments", fs.NArg())
	}
	return &DockerTag{Source: fs.Arg(0), Target: fs.Arg(1)}, nil
}

func parseLogin(args []string) (DockerCommand, error) {
	var l DockerLogin
	fs := flagSet("login")
	fs.StringVarP(&l.Username, "username", "u", "", "")
	fs.StringVarP(&l.Password, "password", "p", "", "")
	fs.BoolVar(&l.PasswordStdin, "password-stdin", false, "")
	if err := parseFlags(fs, args, "login [-u USER] [-p PASS | --password-stdin] [REGISTRY]"); err != nil {
		return nil, err
	}
	switch fs.NArg() {
	case 0:
		l.Registry = "docker.io" // docker's default
	case 1:
		l.Registry = fs.Arg(0)
	default:
		return nil, fmt.Errorf("docker login: want at most one registry, got %d arguments", fs.NArg())
	}
	return &l, nil
}

func parseManifest(args []string) (DockerCommand, error) {
	if len(args) == 0 {
		return nil, &UnsupportedError{Verb: "manifest"}
	}
	sub, rest := args[0], args[1:]
	fs := flagSet("manifest " + sub)
	var insecure bool
	switch sub {
	case "create":
		var c DockerManifestCreate
		fs.BoolVarP(&c.Amend, "amend", "a", false, "")
		fs.BoolVar(&insecure, "insecure", false, "")
		if err := parseFlags(fs, rest, "manifest create [--amend] LIST IMAGE..."); err != nil {
			return nil, err
		}
		if fs.NArg() < 2 {
			return nil, errors.New("docker manifest create: want LIST and at least one IMAGE")
		}
		c.List, c.Sources = fs.Arg(0), fs.Args()[1:]
		return &c, nil
	case "annotate":
		var a DockerManifestAnnotate
		var osVersion string
		var osFeatures []string
		fs.StringVar(&a.OS, "os", "", "")
		fs.StringVar(&a.Arch, "arch", "", "")
		fs.StringVar(&a.Variant, "variant", "", "")
		fs.StringVar(&osVersion, "os-version", "", "")
		fs.StringSliceVar(&osFeatures, "os-features", nil, "")
		if err := parseFlags(fs, rest, "manifest annotate [--os O] [--arch A] [--variant V] LIST IMAGE"); err != nil {
			return nil, err
		}
		if fs.NArg() != 2 {
			return nil, errors.New("docker manifest annotate: want LIST IMAGE")
		}
		if osVersion != "" || len(osFeatures) > 0 {
			return nil, errors.New("docker manifest annotate: --os-version and --os-features are for Windows images; polyarch builds linux images only")
		}
		a.List, a.Image = fs.Arg(0), fs.Arg(1)
		return &a, nil
	case "push":
		var p DockerManifestPush
		fs.BoolVarP(&p.Purge, "purge", "p", false, "")
		fs.BoolVar(&insecure, "insecure", false, "")
		if err := parseFlags(fs, rest, "manifest push [--purge] LIST"); err != nil {
			return nil, err
		}
		if fs.NArg() != 1 {
			return nil, errors.New("docker manifest push: want LIST")
		}
		p.List = fs.Arg(0)
		return &p, nil
	}
	return nil, &UnsupportedError{Verb: "manifest " + sub}
}
