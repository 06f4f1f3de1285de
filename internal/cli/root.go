package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
)

// env is what the CLI reads from the process environment, gathered in one
// place so that the packages below never read it themselves.
type env struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
	// self is the path that re-executes this binary (for sandboxes).
	self string
	uid  int
}

// ExitError carries an exit code other than 1 out of a command.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit status %d", e.Code)
	}
	return e.Err.Error()
}

func (e *ExitError) Unwrap() error { return e.Err }

// Main runs the polyarch command line and returns the process exit code.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr, getenv: os.Getenv, self: "/proc/self/exe", uid: os.Geteuid()}
	root := newRoot(e)
	root.SetArgs(args[1:])
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		if ee.Err != nil {
			fmt.Fprintf(stderr, "polyarch: %v\n", ee.Err)
		}
		return ee.Code
	}
	fmt.Fprintf(stderr, "polyarch: %v\n", err)
	return 1
}

func newRoot(e *env) *cobra.Command {
	root := &cobra.Command{
		Use:           "polyarch",
		Short:         "Build, run and ship container images for every CPU architecture",
		Long:          "polyarch builds, runs and ships container images for every CPU architecture from one x86-64 Linux machine: no daemon, no privileged container, no global host changes.",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().String("root", "", "store directory (default /var/lib/polyarch as root, $XDG_DATA_HOME/polyarch otherwise)")
	root.AddCommand(newVersionCmd(e), newBinfmtCmd(e), newRunCmd(e), newPullCmd(e), newImagesCmd(e),
		newInspectCmd(e), newTagCmd(e), newRmiCmd(e), newPruneCmd(e), newLoginCmd(e), newLogoutCmd(e), newBuildCmd(e), newDuCmd(e))
	root.AddCommand(newCICmd(e))
	root.AddCommand(newManifestCmd(e))
	root.AddCommand(newBakeCmd(e))
	addHubCommands(root, e)
	return root
}
