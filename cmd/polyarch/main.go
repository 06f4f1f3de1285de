// Command polyarch builds, runs and ships container images for every CPU
// architecture from one x86-64 Linux machine, without a daemon.
package main

import (
	"context"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"syscall"

	"github.com/polyarch/polyarch/internal/cli"
	"github.com/polyarch/polyarch/sandbox"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == sandbox.InitArg {
		os.Exit(sandbox.Init(os.Stderr, cli.SandboxFuncs())) // the child side of a sandbox; see package sandbox
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	run := cli.Main
	if filepath.Base(os.Args[0]) == "docker" {
		run = cli.DockerShim // the docker shim polyarch hub build puts on its hooks' PATH
	}
	if prof := os.Getenv("POLYARCH_CPUPROFILE"); prof != "" { // for finding where time goes
		if f, err := os.Create(prof); err == nil {
			_ = pprof.StartCPUProfile(f)
			defer f.Close()
		}
	}
	code := run(ctx, os.Args, os.Stdin, os.Stdout, os.Stderr)
	pprof.StopCPUProfile()
	stop()
	os.Exit(code)
}
