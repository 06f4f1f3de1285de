package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
)

// Stdio are the standard streams of the sandboxed process.
type Stdio struct {
	In  io.Reader
	Out io.Writer
	Err io.Writer
}

// Run runs spec in a sandbox by re-executing self (the polyarch binary) and
// returns the command's exit status: its exit code, or 128+signal when a
// signal killed it, as shells report. err is set only when the sandbox
// itself could not be started.
func Run(ctx context.Context, self string, spec Spec, stdio Stdio) (int, error) {
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
	cmd := exec.CommandContext(ctx, self, InitArg)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdio.In, stdio.Out, stdio.Err
	cmd.ExtraFiles = []*os.File{r}
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Cloneflags: syscall.CLONE_NEWUSER | syscall.CLONE_NEWNS,
		Pdeathsig:  syscall.SIGKILL,
	}
	setIDMaps(cmd.SysProcAttr, os.Getuid(), os.Getgid())
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGKILL) }
	err = cmd.Start()
	r.Close()
	if err != nil {
		return 0, fmt.Errorf("starting sandbox: %w", err)
	}
	_, werr := w.Write(data)
	w.Close()
	err = cmd.Wait()
	return exitStatus(err, werr)
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

// setIDMaps maps the sandbox's root to the caller. As root, every ID mapped
// in the current user namespace is mapped onto itself, so files keep their
// owners; otherwise the caller's own uid/gid become 0 (a single-id map).
func setIDMaps(a *syscall.SysProcAttr, uid, gid int) {
	if uid == 0 {
		a.UidMappings = identityMap("/proc/self/uid_map")
		a.GidMappings = identityMap("/proc/self/gid_map")
		return
	}
	a.UidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: uid, Size: 1}}
	a.GidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: gid, Size: 1}}
	a.GidMappingsEnableSetgroups = false
}

// identityMap maps each ID range of the current namespace (as listed in
// its uid_map/gid_map) onto itself; the full range when it cannot be read.
func identityMap(path string) []syscall.SysProcIDMap {
	all := []syscall.SysProcIDMap{{ContainerID: 0, HostID: 0, Size: 1<<32 - 1}}
	b, err := os.ReadFile(path)
	if err != nil {
		return all
	}
	var out []syscall.SysProcIDMap
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var inside, outside, count int
		if _, err := fmt.Sscan(line, &inside, &outside, &count); err == nil && count > 0 {
			out = append(out, syscall.SysProcIDMap{ContainerID: inside, HostID: inside, Size: count})
		}
	}
	if len(out) == 0 {
		return all
	}
	return out
}
