package cli

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/polyarch/polyarch/hub"
)

// addHubCommands registers hub, migrate, push and the hidden docker (the
// shim), and lets POLYARCH_ROOT
// name the store when --root is not given: the docker shim and the
// polyarch commands in build hooks find the store of the hub build that
// runs them through it.
func addHubCommands(root *cobra.Command, e *env) {
	f := root.PersistentFlags().Lookup("root")
	f.Usage += "; POLYARCH_ROOT sets it too"
	if r := e.getenv("POLYARCH_ROOT"); r != "" {
		f.DefValue = r
		_ = f.Value.Set(r)
	}
	root.AddCommand(newHubCmd(e), newMigrateCmd(e), newPushCmd(e), newDockerShimCmd(e))
}

func newHubCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "hub",
		Short: "Run Docker Hub automated builds (with their build hooks) through polyarch",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(newHubBuildCmd(e))
	return cmd
}

type hubBuildFlags struct {
	repo, tag, dockerfile, platform, branch, commit, message string
	env                                                      []string
	push                                                     bool
}

func newHubBuildCmd(e *env) *cobra.Command {
	var f hubBuildFlags
	cmd := &cobra.Command{
		Use:   "build [flags] [DIR]",
		Short: "Run a Docker Hub build directory's hooks and default steps, as Docker Hub did",
		Long: `build runs the automated build of DIR (the build context, default .) as
Docker Hub did: the hooks in DIR/hooks (or next to the Dockerfile) in the
order post_checkout, pre_build, build, post_build, pre_test, test,
post_test, pre_push, push, post_push, each in DIR with SOURCE_BRANCH,
SOURCE_COMMIT, COMMIT_MSG (from git), DOCKER_REPO, DOCKER_TAG, IMAGE_NAME,
DOCKERFILE_PATH, CACHE_TAG and BUILD_PATH set. A build, test or push hook
replaces the default step:

  build  docker build -f $DOCKERFILE_PATH -t $IMAGE_NAME .  (this host's platform, or --platform)
  test   docker-compose.test.yml's sut service: not run by polyarch (said, and skipped)
  push   docker push $IMAGE_NAME  (the push phases run only with --push)

The hooks find a "docker" command on their PATH that polyarch serves for
build, push, tag, login and manifest create/annotate/push, into and from
polyarch's store; the classic "docker run --privileged
multiarch/qemu-user-static:register --reset" (or tonistiigi/binfmt
--install all) is skipped with a note, since polyarch's emulation needs no
registration. Any other docker command fails and names itself. A failing
hook stops the build with its exit code.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := "."
			if len(args) == 1 {
				dir = args[0]
			}
			return e.hubBuild(cmd, f, dir)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.repo, "repo", "", "DOCKER_REPO, the repository built (default localhost/<DIR's name>; required with --push)")
	fl.StringVar(&f.tag, "tag", "latest", "DOCKER_TAG, the tag built")
	fl.StringVar(&f.dockerfile, "dockerfile", "Dockerfile", "DOCKERFILE_PATH, relative to DIR")
	fl.StringVar(&f.platform, "platform", "", "platforms of the default build step, also DOCKER_DEFAULT_PLATFORM for the hooks' docker build (default: the hooks decide; the default step builds this host's)")
	fl.BoolVar(&f.push, "push", false, "run the push phases: pre_push, push (default: docker push $IMAGE_NAME), post_push")
	fl.StringVar(&f.branch, "source-branch", "", "SOURCE_BRANCH (default: the checked-out branch or tag)")
	fl.StringVar(&f.commit, "source-commit", "", "SOURCE_COMMIT (default: HEAD's commit)")
	fl.StringVar(&f.message, "commit-msg", "", "COMMIT_MSG (default: HEAD's message)")
	fl.StringArrayVarP(&f.env, "env", "e", nil, "a build environment variable KEY=VALUE for the hooks, as set in Docker Hub's build settings (repeatable)")
	return cmd
}

func (e *env) hubBuild(cmd *cobra.Command, f hubBuildFlags, dir string) error {
	ctx := cmd.Context()
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	if st, err := os.Stat(abs); err != nil || !st.IsDir() {
		return fmt.Errorf("%s is not a directory: give the build context of the automated build", dir)
	}
	if filepath.IsAbs(f.dockerfile) {
		return fmt.Errorf("--dockerfile %s: give the path relative to %s, as Docker Hub's Dockerfile location is", f.dockerfile, dir)
	}
	for _, kv := range f.env {
		if k, _, ok := strings.Cut(kv, "="); !ok || k == "" {
			return fmt.Errorf("--env %q: want KEY=VALUE", kv)
		}
	}
	info, err := e.hubInfo(cmd, f, abs)
	if err != nil {
		return err
	}
	hooks, err := hub.FindHooks(abs, info.Dockerfile)
	if err != nil {
		return err
	}
	work, err := os.MkdirTemp("", "polyarch-hub-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	shimDir, err := makeShimDir(work)
	if err != nil {
		return err
	}
	storeRoot := e.storeRoot(cmd)
	extra := []string{
		"PATH=" + shimDir + string(os.PathListSeparator) + e.getenv("PATH"),
		"POLYARCH_ROOT=" + storeRoot,
		manifestListsEnv + "=" + filepath.Join(work, "manifests"),
	}
	if f.platform != "" {
		extra = append(extra, "DOCKER_DEFAULT_PLATFORM="+f.platform)
	}
	note := func(format string, args ...any) { fmt.Fprintf(e.stderr, format+"\n", args...) }
	if hooks.Dir != "" {
		note("=> hooks from %s", hooks.Dir)
	}
	note("=> building %s from %s", info.ImageName(), describeSource(info))
	r := hub.Runner{
		Hooks: hooks, Push: f.push, Note: note,
		Defaults: e.hubDefaults(abs, storeRoot, info, f.platform, note),
		RunHook: hub.HookCmd{Dir: abs, Env: mergeEnv(os.Environ(), f.env, info.Environ(), extra),
			Stdin: e.stdin, Stdout: e.stdout, Stderr: e.stderr, Note: note}.Run,
	}
	err = r.Run(ctx)
	var he *hub.HookError
	if errors.As(err, &he) && he.Code > 0 {
		return &ExitError{Code: he.Code, Err: err}
	}
	if err != nil {
		return err
	}
	note("=> %s: every phase succeeded", info.ImageName())
	return nil
}

// hubInfo gathers the hooks' environment from git, flags and defaults.
func (e *env) hubInfo(cmd *cobra.Command, f hubBuildFlags, dir string) (hub.Info, error) {
	src, _ := hub.ReadGit(cmd.Context(), dir)
	info := hub.Info{SourceBranch: src.Branch, SourceCommit: src.Commit, CommitMsg: src.Message,
		Repo: f.repo, Tag: f.tag, Dockerfile: filepath.ToSlash(f.dockerfile), BuildPath: src.BuildPath}
	fl := cmd.Flags()
	for name, v := range map[string]*string{"source-branch": &info.SourceBranch, "source-commit": &info.SourceCommit, "commit-msg": &info.CommitMsg} {
		if fl.Changed(name) {
			*v, _ = fl.GetString(name)
		}
	}
	if info.Repo == "" {
		if f.push {
			return info, errors.New("--push needs --repo: the repository to push, as Docker Hub's DOCKER_REPO (e.g. docker.io/you/app)")
		}
		info.Repo = "localhost/" + hub.RepoComponent(filepath.Base(dir))
	}
	c, err := e.imageClient(cmd.Context(), nil)
	if err != nil {
		return info, err
	}
	if _, err := c.ParseReference(info.ImageName()); err != nil {
		return info, fmt.Errorf("--repo %s --tag %s: %w", info.Repo, info.Tag, err)
	}
	return info, nil
}

// describeSource names the commit built, for the log.
func describeSource(i hub.Info) string {
	if i.SourceCommit == "" {
		return "a directory outside git"
	}
	commit := i.SourceCommit
	if len(commit) > 12 {
		commit = commit[:12]
	}
	return fmt.Sprintf("%s at %s", cmp.Or(i.SourceBranch, "a detached HEAD"), commit)
}

// hubDefaults are the steps Docker Hub ran where no hook replaced them,
// run in this process.
func (e *env) hubDefaults(dir, storeRoot string, info hub.Info, plat string, note func(string, ...any)) hub.Defaults {
	rootFlag := "--root=" + storeRoot
	return hub.Defaults{
		Build: func(ctx context.Context) error {
			args := []string{rootFlag, "build", "-f", filepath.Join(dir, filepath.FromSlash(info.Dockerfile)), "-t", info.ImageName()}
			if plat != "" {
				args = append(args, "--platform", plat)
			}
			return e.runSub(ctx, append(args, dir)...)
		},
		Test: func(context.Context) error {
			for _, name := range []string{"docker-compose.test.yml", "docker-compose.test.yaml"} {
				if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
					note("=> %s found: polyarch does not run compose services, so the autotest (its sut service) is skipped; run it yourself", name)
				}
			}
			return nil
		},
		Push: func(ctx context.Context) error {
			return e.runSub(ctx, rootFlag, "push", info.ImageName())
		},
	}
}

// runSub runs a polyarch command line in this process, with e's streams.
func (e *env) runSub(ctx context.Context, args ...string) error {
	root := newRoot(e)
	root.SetArgs(args)
	root.SetIn(e.stdin)
	root.SetOut(e.stdout)
	root.SetErr(e.stderr)
	return root.ExecuteContext(ctx)
}

// makeShimDir makes dir/bin holding "docker" and "polyarch" links to this
// binary, for the hooks' PATH.
func makeShimDir(dir string) (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("finding the polyarch binary for the docker shim: %w", err)
	}
	bin := filepath.Join(dir, "bin")
	if err := os.Mkdir(bin, 0o755); err != nil {
		return "", err
	}
	for _, name := range []string{"docker", "polyarch"} {
		if err := os.Symlink(exe, filepath.Join(bin, name)); err != nil {
			return "", err
		}
	}
	return bin, nil
}

// mergeEnv joins KEY=VALUE lists; a later list's KEY replaces an earlier
// one's, keeping the first position.
func mergeEnv(lists ...[]string) []string {
	var out []string
	at := map[string]int{}
	for _, l := range lists {
		for _, kv := range l {
			k, _, _ := strings.Cut(kv, "=")
			if i, ok := at[k]; ok {
				out[i] = kv
				continue
			}
			at[k] = len(out)
			out = append(out, kv)
		}
	}
	return out
}
