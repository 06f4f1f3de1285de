package cli

import (
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/polyarch/polyarch/sandbox"
)

// runSandbox runs spec with the CLI's stdio: a pseudo-terminal in raw mode
// with window-size forwarding for -t, stdin only with -i.
func (e *env) runSandbox(cmd *cobra.Command, spec sandbox.Spec, f runFlags) (int, error) {
	warn := sandbox.WithWarnings(func(w string) { fmt.Fprintf(e.stderr, "polyarch: warning: %s\n", w) })
	if !f.tty {
		stdio := sandbox.Stdio{Out: e.stdout, Err: e.stderr}
		if f.interactive {
			stdio.In = e.stdin
		}
		return sandbox.Run(cmd.Context(), e.self, spec, stdio, warn)
	}
	master, slave, err := sandbox.OpenPTY()
	if err != nil {
		return 0, err
	}
	defer master.Close()
	in, isFile := e.stdin.(*os.File)
	if isFile && sandbox.IsTerminal(int(in.Fd())) {
		sandbox.CopyWinsize(int(in.Fd()), int(master.Fd()))
		if restore, err := sandbox.MakeRaw(int(in.Fd())); err == nil {
			defer restore()
		}
		winch := make(chan os.Signal, 1)
		signal.Notify(winch, syscall.SIGWINCH)
		defer signal.Stop(winch)
		go func() {
			for range winch {
				sandbox.CopyWinsize(int(in.Fd()), int(master.Fd()))
			}
		}()
	}
	if f.interactive {
		go func() { _, _ = io.Copy(master, e.stdin) }()
	}
	done := make(chan struct{})
	go func() { _, _ = io.Copy(e.stdout, master); close(done) }()
	code, err := sandbox.Run(cmd.Context(), e.self, spec, sandbox.Stdio{In: slave, Out: slave, Err: slave}, warn)
	slave.Close()
	<-done // the master reads EIO once every slave fd is closed
	return code, err
}
