package hub

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"

	"github.com/polyarch/polyarch/ciconfig"
)

// HookError reports a hook that failed; Code is its exit code (128+N for
// a hook killed by signal N).
type HookError struct {
	Hook string // the phase, e.g. pre_build
	Path string
	Code int
	Err  error
}

func (e *HookError) Error() string {
	if e.Code > 0 {
		return fmt.Sprintf("hook %s failed with exit code %d (%s)", e.Hook, e.Code, e.Path)
	}
	return fmt.Sprintf("hook %s (%s): %v", e.Hook, e.Path, e.Err)
}

func (e *HookError) Unwrap() error { return e.Err }

// Defaults are the steps Docker Hub ran where no hook replaced them.
type Defaults struct {
	Build func(ctx context.Context) error // docker build -f $DOCKERFILE_PATH -t $IMAGE_NAME .
	Test  func(ctx context.Context) error // docker-compose.test.yml's sut service, if any
	Push  func(ctx context.Context) error // docker push $IMAGE_NAME
}

// Runner runs a build's phases in Docker Hub's order.
type Runner struct {
	Hooks Hooks
	// Push runs pre_push, push and post_push; without it they are skipped.
	Push     bool
	Defaults Defaults
	// RunHook runs one hook file (see HookCmd.Run).
	RunHook func(ctx context.Context, name, path string) error
	// Note tells people what happens; nil discards.
	Note func(format string, args ...any)
}

// Run runs every phase in order and stops at the first failure: a hook's
// failure is a *HookError naming it.
func (r Runner) Run(ctx context.Context) error {
	note := r.Note
	if note == nil {
		note = func(string, ...any) {}
	}
	if !r.Push {
		note("=> --push not given: pre_push, push and post_push do not run")
	}
	for _, name := range Order() {
		if IsPushPhase(name) && !r.Push {
			continue
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		path, ok := r.Hooks.Paths[name]
		if ok {
			if reason := skipHook(name, path); reason != "" {
				note("=> Skipping hooks/%s: %s", name, reason)
				continue
			}
			note("=> Executing hooks/%s", name)
			if err := r.RunHook(ctx, name, path); err != nil {
				return err
			}
			continue
		}
		step := r.defaultStep(name)
		if step == nil {
			continue
		}
		note("=> Default %s step", name)
		if err := step(ctx); err != nil {
			return fmt.Errorf("the default %s step: %w", name, err)
		}
	}
	return nil
}

func (r Runner) defaultStep(name string) func(context.Context) error {
	switch name {
	case Build:
		return r.Defaults.Build
	case Test:
		return r.Defaults.Test
	case Push:
		return r.Defaults.Push
	}
	return nil
}

// skipHook says why a hook need not run here, or "". The pre_build hook
// "polyarch ci init --provider dockerhub" writes fetches polyarch and QEMU
// with docker run on Docker Hub's builder; under polyarch hub build,
// polyarch is running already and finds QEMU itself.
func skipHook(name, path string) string {
	if name != PreBuild {
		return ""
	}
	b, err := os.ReadFile(path)
	if err != nil || ciconfig.Inspect(b) != ciconfig.Pristine {
		return ""
	}
	return "written by polyarch ci init to install polyarch and QEMU on Docker Hub's builder; polyarch is running already"
}

// HookCmd runs hook files as Docker Hub did: in the build context, with
// its environment.
type HookCmd struct {
	Dir    string   // working directory: the build context
	Env    []string // the whole environment, KEY=VALUE
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// Note tells people about hooks run through an interpreter because
	// they are not executable; nil discards.
	Note func(format string, args ...any)
}

// Run runs the hook at path. An executable hook is executed; one without
// the executable bit (a checkout that lost it) runs through its #!
// interpreter, or bash when it names none.
func (h HookCmd) Run(ctx context.Context, name, path string) error {
	argv, err := hookArgv(path)
	if err != nil {
		return &HookError{Hook: name, Path: path, Err: err}
	}
	if len(argv) > 1 && h.Note != nil {
		h.Note("hooks/%s is not executable: running it with %s", name, strings.Join(argv[:len(argv)-1], " "))
	}
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir, cmd.Env = h.Dir, h.Env
	cmd.Stdin, cmd.Stdout, cmd.Stderr = h.Stdin, h.Stdout, h.Stderr
	err = cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ee):
		code := ee.ExitCode()
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			code = 128 + int(ws.Signal())
		}
		return &HookError{Hook: name, Path: path, Code: code, Err: err}
	default:
		return &HookError{Hook: name, Path: path, Err: err}
	}
}

// hookArgv returns the command line that runs the hook at path.
func hookArgv(path string) ([]string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if st.Mode().Perm()&0o111 != 0 {
		return []string{path}, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	head := make([]byte, 256)
	n, _ := io.ReadFull(f, head)
	line, _, _ := bytes.Cut(head[:n], []byte("\n"))
	if interp, ok := bytes.CutPrefix(line, []byte("#!")); ok {
		if fields := strings.Fields(string(interp)); len(fields) > 0 {
			return append(fields, path), nil
		}
	}
	return []string{"bash", path}, nil
}
