package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// Stdio are the standard streams of the sandboxed process.
type Stdio struct {
	In  io.Reader
	Out io.Writer
	Err io.Writer
}

// Option changes how Run starts a sandbox.
type Option func(*runConfig)

type runConfig struct {
	idmap IDMap
	warn  func(string)
	grace time.Duration
}

// WithIDMap sets the user-namespace mapping (default: DefaultIDMap for the
// calling user).
func WithIDMap(m IDMap) Option { return func(c *runConfig) { c.idmap = m } }

// WithWarnings receives warnings such as a single-id map fallback (default:
// dropped).
func WithWarnings(f func(string)) Option { return func(c *runConfig) { c.warn = f } }

// WithGracePeriod is how long a cancelled sandbox gets after SIGTERM before
// it is killed (default 10s).
func WithGracePeriod(d time.Duration) Option { return func(c *runConfig) { c.grace = d } }

// Run runs spec in a sandbox by re-executing self (the polyarch binary) and
// returns the command's exit status: its exit code, or 128+signal when a
// signal killed it, as shells report. err is set only when the sandbox
// itself could not be started. Cancelling ctx sends SIGTERM to the command,
// then SIGKILL to the whole sandbox after the grace period; the sandbox's
// processes die with it (PID namespace) and its mounts with its mount
// namespace, so nothing is left behind on any exit path.
func Run(ctx context.Context, self string, spec Spec, stdio Stdio, opts ...Option) (int, error) {
	cfg := runConfig{warn: func(string) {}, grace: 10 * time.Second}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.idmap.UIDs == nil {
		m, warning := DefaultIDMap()
		if warning != "" {
			cfg.warn(warning)
		}
		cfg.idmap = m
	}
	if len(spec.Args) == 0 {
		return 0, fmt.Errorf("sandbox: no command given")
	}
	data, err := json.Marshal(spec)
	if err != nil {
		return 0, fmt.Errorf("encoding sandbox spec: %w", err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		return 0, fmt.Errorf("creating sandbox spec pipe: %w", err)
	}
	defer w.Close()
	cmd := exec.Command(self, InitArg)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdio.In, stdio.Out, stdio.Err
	cmd.ExtraFiles = []*os.File{r}
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: cloneFlags(spec), Pdeathsig: syscall.SIGKILL}
	cfg.idmap.apply(cmd.SysProcAttr)
	err = cmd.Start()
	r.Close()
	if err != nil {
		return 0, fmt.Errorf("starting sandbox: %w", err)
	}
	if err := cfg.idmap.applyExternal(ctx, cmd.Process.Pid); err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return 0, err
	}
	_, werr := w.Write(data)
	w.Close()
	return exitStatus(waitOrStop(ctx, cmd, cfg.grace), werr)
}

func cloneFlags(spec Spec) uintptr {
	flags := uintptr(syscall.CLONE_NEWUSER | syscall.CLONE_NEWNS)
	if spec.Minimal || spec.Func != "" {
		return flags
	}
	flags |= syscall.CLONE_NEWPID | syscall.CLONE_NEWUTS | syscall.CLONE_NEWIPC
	if spec.Network == "none" {
		flags |= syscall.CLONE_NEWNET
	}
	return flags
}

// waitOrStop waits for cmd; when ctx ends first it sends SIGTERM (the
// sandbox's init forwards it), then SIGKILL after grace.
func waitOrStop(ctx context.Context, cmd *exec.Cmd, grace time.Duration) error {
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-done:
		return err
	case <-time.After(grace):
		_ = cmd.Process.Kill()
		return <-done
	}
}

func exitStatus(waitErr, writeErr error) (int, error) {
	var ee *exec.ExitError
	switch {
	case waitErr == nil && writeErr != nil:
		return 0, fmt.Errorf("sending sandbox spec: %w", writeErr)
	case waitErr == nil:
		return 0, nil
	case errors.As(waitErr, &ee):
		if st, ok := ee.Sys().(syscall.WaitStatus); ok && st.Signaled() {
			return 128 + int(st.Signal()), nil
		}
		return ee.ExitCode(), nil
	}
	return 0, fmt.Errorf("running sandbox: %w", waitErr)
}
