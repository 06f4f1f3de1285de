package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"

	"github.com/spf13/cobra"

	"github.com/polyarch/polyarch/binfmt"
	"github.com/polyarch/polyarch/hub"
	"github.com/polyarch/polyarch/platform"
)

// manifestListsEnv names the directory where the shim keeps the lists of
// "docker manifest create" until "docker manifest push"; polyarch hub
// build gives each run its own.
const manifestListsEnv = "POLYARCH_DOCKER_MANIFESTS"

// DockerShim serves a docker command line with polyarch and returns the
// exit code. cmd/polyarch calls it when invoked as "docker": polyarch hub
// build puts such a link first on its hooks' PATH. It serves build, push,
// tag, login and manifest create/annotate/push against polyarch's store
// (POLYARCH_ROOT names it) and skips QEMU registration containers; any
// other command fails, naming itself. "polyarch docker ARGS..." (a hidden
// command) does the same.
func DockerShim(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return Main(ctx, append([]string{args[0], "docker"}, args[1:]...), stdin, stdout, stderr)
}

func newDockerShimCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:                "docker ARGS...",
		Short:              "Serve a docker command line (the docker shim of polyarch hub build)",
		Hidden:             true,
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			return e.dockerShim(cmd.Context(), args)
		},
	}
}

func (e *env) dockerShim(ctx context.Context, args []string) error {
	dc, err := hub.ParseDocker(args)
	if err != nil {
		return err
	}
	switch c := dc.(type) {
	case *hub.DockerRegister:
		e.skipRegistration(ctx, c.Registration)
		return nil
	case *hub.DockerManifestCreate, *hub.DockerManifestAnnotate:
		return e.recordManifestList(ctx, c)
	case *hub.DockerManifestPush:
		return e.pushManifestList(ctx, c)
	case *hub.DockerBuild:
		for _, n := range c.Notes {
			fmt.Fprintf(e.stderr, "docker build: %s\n", n)
		}
	}
	polyArgs, err := shimArgs(dc, e.getenv)
	if err != nil {
		return err
	}
	return e.runSub(ctx, polyArgs...)
}

// shimArgs maps a docker command to the polyarch command line that serves
// it. getenv supplies DOCKER_DEFAULT_PLATFORM, which docker build honours
// without --platform.
func shimArgs(dc hub.DockerCommand, getenv func(string) string) ([]string, error) {
	switch c := dc.(type) {
	case *hub.DockerBuild:
		args := []string{"build"}
		plat := c.Platform
		if plat == "" {
			plat = getenv("DOCKER_DEFAULT_PLATFORM")
		}
		if plat != "" {
			args = append(args, "--platform", plat)
		}
		if c.File != "" {
			args = append(args, "-f", c.File)
		}
		for _, t := range c.Tags {
			args = append(args, "-t", t)
		}
		for _, a := range c.BuildArgs {
			args = append(args, "--build-arg", a)
		}
		for _, l := range c.Labels {
			args = append(args, "--label", l)
		}
		if c.Target != "" {
			args = append(args, "--target", c.Target)
		}
		if c.Pull {
			args = append(args, "--pull")
		}
		if c.NoCache {
			args = append(args, "--no-cache")
		}
		if c.IIDFile != "" {
			args = append(args, "--iidfile", c.IIDFile)
		}
		switch {
		case c.Quiet:
			args = append(args, "--progress", "quiet")
		case c.Progress == "rawjson":
			args = append(args, "--progress", "json")
		case c.Progress != "":
			args = append(args, "--progress", c.Progress)
		}
		return append(args, c.Context), nil
	case *hub.DockerPush:
		return []string{"push", c.Ref}, nil
	case *hub.DockerTag:
		return []string{"tag", c.Source, c.Target}, nil
	case *hub.DockerLogin:
		args := []string{"login"}
		if c.Username != "" {
			args = append(args, "-u", c.Username)
		}
		switch {
		case c.PasswordStdin:
			args = append(args, "--password-stdin")
		case c.Password != "":
			args = append(args, "-p", c.Password)
		}
		return append(args, c.Registry), nil
	}
	return nil, fmt.Errorf("docker %T has no polyarch command line", dc)
}

// skipRegistration explains why a QEMU registration container is not run,
// and warns about emulators polyarch cannot find for the arches it named.
func (e *env) skipRegistration(ctx context.Context, r hub.Registration) {
	fmt.Fprintf(e.stderr, "polyarch: %s\n", r.Note())
	if r.Status || r.Uninstall {
		return
	}
	if !binfmt.PrivateSupported(binfmt.KernelRelease()) {
		fmt.Fprintf(e.stderr, "polyarch: this kernel (%s) has no private binfmt_misc instances (Linux >= 6.7): polyarch uses the host's registrations; register them once with: sudo polyarch binfmt install\n", binfmt.KernelRelease())
	}
	host := platform.Host()
	for _, a := range r.Arches {
		p, err := platform.Parse(a)
		if err != nil || platform.QEMU(p) == "" || p.Architecture == host.Architecture {
			continue
		}
		if _, err := e.finder().Find(ctx, platform.QEMU(p)); err != nil {
			fmt.Fprintf(e.stderr, "polyarch: warning: %s: %v\n", platform.Format(p), err)
		}
	}
}

// lists is where the shim keeps manifest lists between create and push.
func (e *env) lists() hub.Lists {
	if d := e.getenv(manifestListsEnv); d != "" {
		return hub.Lists{Dir: d}
	}
	state := e.getenv("XDG_STATE_HOME")
	if state == "" {
		state = filepath.Join(e.getenv("HOME"), ".local", "state")
	}
	return hub.Lists{Dir: filepath.Join(state, "polyarch", "docker-manifests")}
}

// normalRef spells ref as the store and registries do
// (busybox → index.docker.io/library/busybox:latest).
func (e *env) normalRef(ctx context.Context, ref string) (string, error) {
	c, err := e.imageClient(ctx, nil)
	if err != nil {
		return "", err
	}
	r, err := c.ParseReference(ref)
	if err != nil {
		return "", err
	}
	return r.Name(), nil
}

// recordManifestList serves docker manifest create and annotate: like the
// docker CLI, it only records the list; docker manifest push makes it.
func (e *env) recordManifestList(ctx context.Context, dc hub.DockerCommand) error {
	lists := e.lists()
	switch c := dc.(type) {
	case *hub.DockerManifestCreate:
		name, err := e.normalRef(ctx, c.List)
		if err != nil {
			return err
		}
		l, err := lists.Load(name)
		switch {
		case errors.Is(err, hub.ErrNoList):
			l = hub.List{Name: name}
		case err != nil:
			return err
		case !c.Amend:
			return fmt.Errorf("refusing to amend the existing manifest list %s without --amend", name)
		}
		for _, s := range c.Sources {
			n, err := e.normalRef(ctx, s)
			if err != nil {
				return err
			}
			l.Add(n)
		}
		if err := lists.Save(l); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "Created manifest list %s\n", name)
		return nil
	case *hub.DockerManifestAnnotate:
		return e.annotateList(ctx, lists, c)
	}
	return fmt.Errorf("docker %T is not a manifest list record", dc)
}

func (e *env) annotateList(ctx context.Context, lists hub.Lists, c *hub.DockerManifestAnnotate) error {
	name, err := e.normalRef(ctx, c.List)
	if err != nil {
		return err
	}
	img, err := e.normalRef(ctx, c.Image)
	if err != nil {
		return err
	}
	l, err := lists.Load(name)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(l.Entries, func(en hub.ListEntry) bool { return en.Image == img })
	if i < 0 {
		return fmt.Errorf("manifest list %s has no image %s", name, img)
	}
	if c.Arch == "" {
		return errors.New("docker manifest annotate: give --arch (polyarch reads the os from the image)")
	}
	spec := c.OS
	if spec == "" {
		spec = "linux"
	}
	spec += "/" + c.Arch
	if c.Variant != "" {
		spec += "/" + c.Variant
	}
	p, err := platform.Parse(spec)
	if err != nil {
		return fmt.Errorf("docker manifest annotate: %w", err)
	}
	l.Entries[i].Platform = platform.Format(p)
	return lists.Save(l)
}

// pushManifestList serves docker manifest push: polyarch manifest create
// of the recorded list. Index entries take their platform from each
// image's config, so an annotation that contradicts it (an arm64 tag built
// from an amd64 base, say) is an error rather than a wrong index.
func (e *env) pushManifestList(ctx context.Context, c *hub.DockerManifestPush) error {
	name, err := e.normalRef(ctx, c.List)
	if err != nil {
		return err
	}
	lists := e.lists()
	l, err := lists.Load(name)
	if err != nil {
		return err
	}
	client, err := e.imageClient(ctx, nil)
	if err != nil {
		return err
	}
	for _, en := range l.Entries {
		if en.Platform == "" {
			continue
		}
		rd, err := client.Get(ctx, en.Image)
		if err != nil {
			return fmt.Errorf("%s: %w (push it first: docker push %s)", en.Image, err, en.Image)
		}
		if !rd.MediaType.IsImage() {
			return fmt.Errorf("%s is annotated as %s but is not a single-platform image", en.Image, en.Platform)
		}
		got, err := imagePlatform(rd)
		if err != nil {
			return fmt.Errorf("%s: %w", en.Image, err)
		}
		if gp, err := platform.Parse(got); err == nil && !platform.Equal(gp, platform.MustParse(en.Platform)) {
			return fmt.Errorf("%s is annotated as %s, but its config says %s: build it with --platform %s", en.Image, en.Platform, got, en.Platform)
		}
	}
	if err := e.runSub(ctx, append([]string{"manifest", "create", "-t", name}, l.Images()...)...); err != nil {
		return err
	}
	if c.Purge {
		return lists.Remove(name)
	}
	return nil
}
