package cli

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/polyarch/polyarch/container"
	"github.com/polyarch/polyarch/platform"
	"github.com/polyarch/polyarch/sandbox"
)

type runFlags struct {
	platform, workdir, user, network, entrypoint, keep, hostname string
	env, envFiles, volumes                                       []string
	interactive, tty, rm                                         bool
	entrypointSet                                                bool
}

func newRunCmd(e *env) *cobra.Command {
	var f runFlags
	cmd := &cobra.Command{
		Use:   "run [flags] IMAGE [COMMAND [ARG...]]",
		Short: "Run a command in a container of any architecture (rootless, daemonless)",
		Long: `run starts IMAGE's command (or COMMAND) in a sandbox: new user, mount, PID,
UTS and IPC namespaces over an overlay of the image's layers. A foreign-arch
image runs through QEMU registered in the sandbox's own binfmt_misc instance:
nothing on the host changes. The container's changes are discarded (--rm is
implied); --keep DIR keeps them.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f.entrypointSet = cmd.Flags().Changed("entrypoint")
			return runContainer(cmd, e, f, args)
		},
	}
	cmd.Flags().SetInterspersed(false)
	fl := cmd.Flags()
	fl.StringVar(&f.platform, "platform", "", "platform of the image to run (default: the image's own; any spelling)")
	fl.BoolVarP(&f.interactive, "interactive", "i", false, "keep stdin open")
	fl.BoolVarP(&f.tty, "tty", "t", false, "allocate a terminal")
	fl.BoolVar(&f.rm, "rm", true, "remove the container's changes afterwards (always; see --keep)")
	fl.StringArrayVarP(&f.env, "env", "e", nil, "set an environment variable KEY=VALUE (or KEY: take it from here)")
	fl.StringArrayVar(&f.envFiles, "env-file", nil, "read environment variables from a file")
	fl.StringArrayVarP(&f.volumes, "volume", "v", nil, "bind mount HOST:CONTAINER[:ro]")
	fl.StringVarP(&f.workdir, "workdir", "w", "", "working directory inside the container")
	fl.StringVarP(&f.user, "user", "u", "", "USER[:GROUP] to run as (names or ids)")
	fl.StringVar(&f.network, "network", "host", "host or none (a fresh network namespace with loopback only)")
	fl.StringVar(&f.entrypoint, "entrypoint", "", "override the image's entrypoint")
	fl.StringVar(&f.hostname, "hostname", "", "container hostname")
	fl.StringVar(&f.keep, "keep", "", "keep the container's changed files (its overlay upper dir) in this new directory")
	return cmd
}

func runContainer(cmd *cobra.Command, e *env, f runFlags, args []string) error {
	if f.network != "host" && f.network != "none" {
		return fmt.Errorf("--network %q: polyarch offers host or none (it never creates bridges)", f.network)
	}
	opts, err := containerOptions(e, f, args[1:])
	if err != nil {
		return err
	}
	st, err := e.openStore(cmd)
	if err != nil {
		return err
	}
	img, err := e.getImage(cmd, st, args[0], f.platform)
	if err != nil {
		return err
	}
	ctr, err := container.Prepare(cmd.Context(), st, img, opts...)
	if err != nil {
		return err
	}
	defer ctr.Cleanup()
	if ctr.HostBinfmt {
		fmt.Fprintf(e.stderr, "polyarch: this kernel has no private binfmt_misc instances; using the host's registration for %s\n", platform.Format(ctr.Platform))
	}
	code, err := e.runSandbox(cmd, ctr.Spec, f)
	if err != nil {
		return err
	}
	if f.keep != "" {
		if err := ctr.Keep(f.keep); err != nil {
			return err
		}
	}
	if code != 0 {
		return &ExitError{Code: code}
	}
	return nil
}

func containerOptions(e *env, f runFlags, args []string) ([]container.Option, error) {
	env, err := envFlags(e, f.env, f.envFiles)
	if err != nil {
		return nil, err
	}
	mounts, err := volumeFlags(f.volumes)
	if err != nil {
		return nil, err
	}
	opts := []container.Option{container.WithEnv(env...), container.WithMounts(mounts...),
		container.WithNetwork(f.network), container.WithTTY(f.tty), container.WithFinder(e.finder()),
		container.WithWorkdir(f.workdir), container.WithUser(f.user), container.WithHostname(f.hostname),
		container.WithKeepChanges(f.keep != ""), container.WithSelf(e.self)}
	if len(args) > 0 {
		opts = append(opts, container.WithArgs(args...))
	}
	if f.entrypointSet {
		opts = append(opts, container.WithEntrypoint(f.entrypoint))
	}
	return opts, nil
}

func envFlags(e *env, vals, files []string) ([]string, error) {
	var out []string
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("--env-file: %w", err)
		}
		for _, line := range strings.Split(string(b), "\n") {
			if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
				vals = append([]string{line}, vals...)
			}
		}
	}
	for _, v := range vals {
		if !strings.Contains(v, "=") {
			val, ok := os.LookupEnv(v)
			if !ok {
				continue // docker drops unset variables named without a value
			}
			v += "=" + val
		}
		out = append(out, v)
	}
	return out, nil
}

func volumeFlags(vols []string) ([]sandbox.Mount, error) {
	var out []sandbox.Mount
	for _, v := range vols {
		parts := strings.Split(v, ":")
		if len(parts) < 2 || len(parts) > 3 || parts[0] == "" || !strings.HasPrefix(parts[1], "/") {
			return nil, fmt.Errorf("-v %q: want HOST:CONTAINER[:ro] with an absolute CONTAINER path", v)
		}
		m := sandbox.Mount{Source: parts[0], Target: parts[1]}
		if len(parts) == 3 {
			switch parts[2] {
			case "ro":
				m.ReadOnly = true
			case "rw":
			default:
				return nil, fmt.Errorf("-v %q: option %q: use ro or rw", v, parts[2])
			}
		}
		if _, err := os.Stat(m.Source); err != nil {
			return nil, fmt.Errorf("-v %q: %w", v, err)
		}
		out = append(out, m)
	}
	return out, nil
}
