package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/polyarch/polyarch/binfmt"
	"github.com/polyarch/polyarch/build"
	"github.com/polyarch/polyarch/build/dockerfile"
	"github.com/polyarch/polyarch/image"
	"github.com/polyarch/polyarch/platform"
	"github.com/polyarch/polyarch/sandbox"
	"github.com/polyarch/polyarch/store"
)

type buildFlags struct {
	file, target, platforms, network, progress, metadataFile, iidFile, manifest, format, snapshotter string
	tags, buildArgs, labels, outputs, secrets, ssh, annotations, cacheFrom, cacheTo, noCacheFilter   []string
	push, load, noCache, pull, tlsVerify, keepGoing, pushPartial, pushByDigest                       bool
	jobs                                                                                             int
	runTimeout                                                                                       time.Duration
	// dockerfileSrc, when set, is the Dockerfile to build (polyarch bake's
	// rewritten or preprocessed one); file then only names it.
	dockerfileSrc []byte
}

func newBuildCmd(e *env) *cobra.Command {
	var f buildFlags
	cmd := &cobra.Command{
		Use:   "build [flags] CONTEXT",
		Short: "Build an image from a Dockerfile, for one or many platforms at once",
		Long: `build runs a Dockerfile for every --platform in parallel: RUN steps in a
sandbox, emulated through a private binfmt_misc instance for foreign
platforms; COPY and ADD on the host. The result goes to the local store (so
polyarch run can use it at once), and with --push or -o to a registry or
files. Several platforms give one multi-platform index in the requested order.`,
		Aliases: []string{"bud"},
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runBuild(cmd, e, f, args[0])
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.file, "file", "f", "", "Dockerfile (default CONTEXT/Dockerfile; - reads stdin)")
	fl.StringArrayVarP(&f.tags, "tag", "t", nil, "name the result (repeatable)")
	fl.StringVar(&f.platforms, "platform", "", "target platforms, comma-separated (default: this host's); any spelling")
	fl.StringArrayVar(&f.buildArgs, "build-arg", nil, "set a build argument NAME=VALUE (NAME alone takes it from the environment)")
	fl.StringVar(&f.target, "target", "", "build this stage")
	fl.BoolVar(&f.push, "push", false, "push the result to the registry of each -t")
	fl.BoolVar(&f.load, "load", false, "keep the result in the local store (always done)")
	fl.StringArrayVarP(&f.outputs, "output", "o", nil, "output: type=registry|oci|docker|local|tar|image[,dest=…][,name=…]")
	fl.StringArrayVar(&f.labels, "label", nil, "add a label KEY=VALUE to the image")
	fl.StringArrayVar(&f.annotations, "annotation", nil, "annotate: [manifest|manifest[PLATFORM]|index|manifest-descriptor:]KEY=VALUE (default: every manifest)")
	fl.StringArrayVar(&f.secrets, "secret", nil, "secret for RUN --mount=type=secret: id=ID,src=PATH|env=VAR")
	fl.StringArrayVar(&f.ssh, "ssh", nil, "SSH agent for RUN --mount=type=ssh: default or ID[=SOCKET] (default socket: $SSH_AUTH_SOCK)")
	fl.BoolVar(&f.noCache, "no-cache", false, "do not use the build cache")
	fl.StringSliceVar(&f.noCacheFilter, "no-cache-filter", nil, "do not use the build cache for these stages")
	fl.BoolVar(&f.pull, "pull", false, "always pull base images again")
	fl.StringVar(&f.network, "network", "host", "network of RUN steps: host or none")
	fl.StringVar(&f.progress, "progress", "auto", "progress output: auto, plain, tty, json or quiet (also BUILDKIT_PROGRESS)")
	fl.StringVar(&f.metadataFile, "metadata-file", "", "write the result's digest and names as JSON to this file")
	fl.StringVar(&f.iidFile, "iidfile", "", "write the image (or index) digest to this file")
	fl.IntVarP(&f.jobs, "jobs", "j", 0, "steps run at once (default: CPU count; 1 = one at a time)")
	fl.StringVar(&f.manifest, "manifest", "", "buildah: name the multi-platform result (like -t)")
	fl.BoolVar(&f.tlsVerify, "tls-verify", true, "buildah: verify registry TLS (false allows plain HTTP)")
	fl.StringVar(&f.format, "format", "oci", "buildah: image format (oci)")
	fl.StringArrayVar(&f.cacheFrom, "cache-from", nil, "import build cache: type=registry,ref=REPO:TAG or type=local,src=DIR")
	fl.StringArrayVar(&f.cacheTo, "cache-to", nil, "export build cache: type=registry,ref=REPO:TAG[,mode=min|max] or type=local,dest=DIR")
	fl.BoolVar(&f.pushByDigest, "push-by-digest", false, "push each image by digest only, moving no tag (for a later polyarch manifest create)")
	fl.StringVar(&f.snapshotter, "snapshotter", "auto", "overlay, copy (no overlayfs: full-walk diffs) or auto (also POLYARCH_SNAPSHOTTER)")
	fl.BoolVar(&f.keepGoing, "keep-going", false, "build the other platforms when one fails, and report each")
	fl.BoolVar(&f.pushPartial, "push-partial", false, "with --keep-going: tag and push the platforms that succeeded")
	fl.DurationVar(&f.runTimeout, "run-timeout", 0, "stop a RUN step that runs longer than this (e.g. 30m)")
	return cmd
}

func runBuild(cmd *cobra.Command, e *env, f buildFlags, ctxDir string) error {
	if f.manifest != "" {
		f.tags = append(f.tags, f.manifest)
	}
	st, res, err := e.buildPlan(cmd.Context(), cmd, f, ctxDir)
	var pe *build.PartialError
	if errors.As(err, &pe) {
		e.reportPlatforms(res)
		if !f.pushPartial || pe.Failed == pe.Total {
			return fmt.Errorf("%w; nothing was tagged or pushed (--push-partial keeps the rest)", err)
		}
		res = succeeded(res)
	} else if err != nil {
		var re *build.RunError
		if errors.As(err, &re) {
			return &ExitError{Code: re.Code, Err: err}
		}
		return err
	}
	return e.finishBuild(cmd, st, res, f)
}

// buildPlan builds f's Dockerfile (f.dockerfileSrc when set) in ctxDir for
// every platform and returns the store and the result, untagged. With
// f.keepGoing a *build.PartialError comes with a result.
func (e *env) buildPlan(ctx context.Context, cmd *cobra.Command, f buildFlags, ctxDir string) (*store.Store, *build.Result, error) {
	if f.network != "host" && f.network != "none" {
		return nil, nil, fmt.Errorf("--network %q: polyarch offers host or none (it never creates bridges)", f.network)
	}
	plan, bctx, cleanup, err := e.loadPlan(cmd, f, ctxDir)
	if err != nil {
		return nil, nil, err
	}
	defer cleanup()
	for _, w := range plan.Warnings {
		fmt.Fprintf(e.stderr, "warning: %s:%d: %s\n", plan.File, w.Line, w.Message)
	}
	if len(plan.UnusedBuildArgs) > 0 {
		fmt.Fprintf(e.stderr, "warning: build args not consumed by any stage: %s\n", strings.Join(plan.UnusedBuildArgs, ", "))
	}
	st, err := e.openStore(cmd)
	if err != nil {
		return nil, nil, err
	}
	src, err := e.buildImageSource(cmd, st, f.pull)
	if err != nil {
		return nil, nil, err
	}
	caches, err := cacheOptions(f, src.client)
	if err != nil {
		return nil, nil, err
	}
	prog, err := e.newProgress(f.progress)
	if err != nil {
		return nil, nil, err
	}
	opts := []build.Option{build.WithFinder(e.finder()), build.WithEvents(prog.event), build.WithNetwork(f.network),
		build.WithLabels(keyValues(f.labels)), build.WithNoCache(f.noCache), build.WithKeepGoing(f.keepGoing),
		build.WithRunTimeout(f.runTimeout), build.WithNoCacheFilter(f.noCacheFilter...)}
	opts = append(opts, caches...)
	ann, err := parseBuildAnnotations(f.annotations)
	if err != nil {
		return nil, nil, err
	}
	opts = append(opts, build.WithManifestAnnotations(func(p platform.Platform) map[string]string { return forPlatform(ann.manifest, p) }))
	snap, err := e.snapshotter(cmd, f.snapshotter)
	if err != nil {
		return nil, nil, err
	}
	opts = append(opts, build.WithSnapshotter(snap))
	if f.jobs > 0 {
		opts = append(opts, build.WithJobs(f.jobs))
	}
	if epoch, ok, err := sourceDateEpoch(e, f.buildArgs); err != nil {
		return nil, nil, err
	} else if ok {
		opts = append(opts, build.WithSourceDateEpoch(epoch))
	}
	res, err := build.New(st, src, e.self, opts...).Build(ctx, plan, bctx)
	if res != nil {
		prog.summary(res.Summaries)
	}
	return st, res, err
}

// reportPlatforms prints each platform's outcome of a --keep-going build.
func (e *env) reportPlatforms(res *build.Result) {
	for i, p := range res.Platforms {
		if res.Errors[i] != nil {
			fmt.Fprintf(e.stderr, "%-14s FAILED: %v\n", platform.Format(p), res.Errors[i])
		} else {
			fmt.Fprintf(e.stderr, "%-14s ok\n", platform.Format(p))
		}
	}
}

// succeeded keeps the platforms that built.
func succeeded(res *build.Result) *build.Result {
	out := &build.Result{Summaries: res.Summaries}
	for i, img := range res.Images {
		if res.Errors[i] == nil && img != nil {
			out.Platforms = append(out.Platforms, res.Platforms[i])
			out.Images = append(out.Images, img)
			out.Errors = append(out.Errors, nil)
		}
	}
	return out
}

// loadPlan reads the Dockerfile and context and parses the Plan.
func (e *env) loadPlan(cmd *cobra.Command, f buildFlags, ctxDir string) (*dockerfile.Plan, build.Context, func(), error) {
	cleanup := func() {}
	ctxDir, cleanup, err := e.contextDir(ctxDir)
	if err != nil {
		return nil, build.Context{}, cleanup, err
	}
	dfPath, src := f.file, f.dockerfileSrc
	if src == nil {
		if dfPath, src, err = e.readDockerfile(f.file, ctxDir); err != nil {
			return nil, build.Context{}, cleanup, err
		}
	}
	plats := []platform.Platform{platform.Host()}
	if f.platforms != "" {
		if plats, err = platform.ParseList(f.platforms); err != nil {
			return nil, build.Context{}, cleanup, fmt.Errorf("--platform: %w", err)
		}
	}
	args, err := e.buildArgs(f.buildArgs)
	if err != nil {
		return nil, build.Context{}, cleanup, err
	}
	plan, err := dockerfile.Parse(cmd.Context(), src, dockerfile.WithFile(filepath.Base(dfPath)),
		dockerfile.WithPlatforms(plats...), dockerfile.WithBuildArgs(args), dockerfile.WithTarget(f.target))
	if err != nil {
		return nil, build.Context{}, cleanup, err
	}
	bctx, err := e.buildContext(ctxDir, dfPath, f.secrets, f.ssh)
	return plan, bctx, func() { cleanup(); removeEnvSecrets(bctx) }, err
}

func (e *env) readDockerfile(file, ctxDir string) (string, []byte, error) {
	if file == "-" {
		b, err := readAll(e.stdin)
		return "Dockerfile", b, err
	}
	if file == "" {
		file = filepath.Join(ctxDir, "Dockerfile")
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return "", nil, fmt.Errorf("reading the Dockerfile: %w (give one with -f)", err)
	}
	return file, b, nil
}

func (e *env) buildContext(dir, dfPath string, secrets, ssh []string) (build.Context, error) {
	bctx := build.Context{Dir: dir}
	patterns, err := dockerfile.LoadIgnore(dir, dfPath)
	if err != nil {
		return bctx, err
	}
	if len(patterns) > 0 {
		m, err := dockerfile.NewMatcher(patterns)
		if err != nil {
			return bctx, fmt.Errorf(".dockerignore: %w", err)
		}
		bctx.Ignore = m.Excluded
		bctx.IgnoreExceptions = m.Exclusions()
	}
	if bctx.Secrets, err = e.secretFlags(secrets); err != nil {
		return bctx, err
	}
	bctx.SSH, err = e.sshFlags(ssh)
	return bctx, err
}

// sshFlags parses --ssh default|ID[=SOCKET].
func (e *env) sshFlags(list []string) (map[string]string, error) {
	out := map[string]string{}
	for _, s := range list {
		id, sock, _ := strings.Cut(s, "=")
		if sock == "" {
			sock = e.getenv("SSH_AUTH_SOCK")
		}
		if sock == "" {
			return nil, fmt.Errorf("--ssh %s: no socket given and SSH_AUTH_SOCK is not set (start ssh-agent, or give ID=SOCKET)", s)
		}
		if strings.Contains(sock, ",") {
			return nil, fmt.Errorf("--ssh %s: key files are not supported; load them into an ssh-agent and pass its socket", s)
		}
		if _, err := os.Stat(sock); err != nil {
			return nil, fmt.Errorf("--ssh %s: %w", id, err)
		}
		out[id] = sock
	}
	return out, nil
}

func keyValues(list []string) map[string]string {
	out := map[string]string{}
	for _, kv := range list {
		k, v, _ := strings.Cut(kv, "=")
		out[k] = v
	}
	return out
}

// buildArgs parses --build-arg; a bare NAME takes the environment's value.
func (e *env) buildArgs(list []string) (map[string]string, error) {
	out := map[string]string{}
	for _, a := range list {
		k, v, ok := strings.Cut(a, "=")
		if k == "" {
			return nil, fmt.Errorf("--build-arg %q: want NAME=VALUE", a)
		}
		if !ok {
			val, set := os.LookupEnv(k)
			if !set {
				continue
			}
			v = val
		}
		out[k] = v
	}
	return out, nil
}

func cacheOptions(f buildFlags, c *image.Client) ([]build.Option, error) {
	var opts []build.Option
	for _, s := range f.cacheFrom {
		ref, err := parseCacheFlag(s, false, c)
		if err != nil {
			return nil, err
		}
		opts = append(opts, build.WithCacheFrom(ref))
	}
	for _, s := range f.cacheTo {
		ref, err := parseCacheFlag(s, true, c)
		if err != nil {
			return nil, err
		}
		opts = append(opts, build.WithCacheTo(ref))
	}
	return opts, nil
}

// snapshotter resolves --snapshotter: auto probes overlayfs once and falls
// back to the copy snapshotter, saying so.
func (e *env) snapshotter(cmd *cobra.Command, flag string) (string, error) {
	if v := e.getenv("POLYARCH_SNAPSHOTTER"); v != "" && !cmd.Flags().Changed("snapshotter") {
		flag = v
	}
	switch flag {
	case "overlay", "copy":
		return flag, nil
	case "auto", "":
		// The probe's answer is kept per kernel in the store, so that warm
		// builds do not pay for it.
		memo := filepath.Join(e.storeRoot(cmd), "overlay-probe")
		stamp := binfmt.KernelRelease() + " ok\n"
		if b, err := os.ReadFile(memo); err == nil && string(b) == stamp {
			return "overlay", nil
		}
		if err := sandbox.CheckOverlay(cmd.Context(), e.self); err != nil {
			fmt.Fprintf(e.stderr, "polyarch: overlayfs unavailable (%v); RUN steps use full-walk diffs, which are slower\n", err)
			return "copy", nil
		}
		_ = os.WriteFile(memo, []byte(stamp), 0o644)
		return "overlay", nil
	}
	return "", fmt.Errorf("--snapshotter %q: use auto, overlay or copy", flag)
}
