package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/polyarch/polyarch/binfmt"
)

// specFD is the file descriptor the parent passes the Spec on.
const specFD = 3

// Init is the child side of a sandbox: it reads the Spec from fd 3, prepares
// the namespaces and runs the command as its child, forwarding signals and
// reaping orphans as PID 1 of the sandbox. It returns the exit code to use:
// the command's, 128+signal, 127 when it cannot start, 125 when the
// sandbox itself fails.
func Init(stderr io.Writer, funcs map[string]func(args []string) error) int {
	// no_new_privs and the capability bounding set are per thread: keep
	// this goroutine on one thread, which also forks the command.
	runtime.LockOSThread()
	spec, raw, err := readSpec()
	if err == nil && lostCapabilities() && len(os.Args) < 3 {
		// newuidmap mapped us only after our exec, which therefore dropped
		// our capabilities: exec again, now as root of the namespace.
		err = reexec(raw)
	}
	if err == nil && spec.Func != "" {
		return runFunc(stderr, funcs, spec)
	}
	var h held
	if err == nil {
		h, err = prepare(spec)
	}
	defer h.close()
	if err != nil {
		fmt.Fprintf(stderr, "polyarch sandbox: %v\n", err)
		return 125
	}
	if spec.Minimal {
		err = execCommand(spec)
		fmt.Fprintf(stderr, "polyarch sandbox: %v\n", err)
		return 127
	}
	code, err := supervise(spec)
	if err != nil {
		fmt.Fprintf(stderr, "polyarch sandbox: %v\n", err)
	}
	if err := h.discard(); err != nil {
		fmt.Fprintf(stderr, "polyarch sandbox: %v\n", err)
	}
	return code
}

func readSpec() (Spec, []byte, error) {
	f := os.NewFile(specFD, "sandbox-spec")
	defer f.Close()
	raw, err := io.ReadAll(f)
	if err != nil {
		return Spec{}, nil, fmt.Errorf("reading sandbox spec: %w", err)
	}
	var spec Spec
	if err := json.Unmarshal(raw, &spec); err != nil {
		return Spec{}, nil, fmt.Errorf("reading sandbox spec: %w", err)
	}
	return spec, raw, nil
}

// lostCapabilities reports whether this process has no effective
// capabilities (it was exec'd before its user namespace had a mapping).
func lostCapabilities() bool {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "CapEff:"); ok {
			return strings.Trim(strings.TrimSpace(v), "0") == ""
		}
	}
	return false
}

// reexec executes this binary again with the spec on fd 3 (a memfd).
func reexec(raw []byte) error {
	fd, err := unix.MemfdCreate("sandbox-spec", 0)
	if err == nil {
		_, err = unix.Write(fd, raw)
	}
	if err == nil {
		_, err = unix.Seek(fd, 0, 0)
	}
	if err == nil && fd != specFD {
		err = unix.Dup3(fd, specFD, 0)
	}
	if err != nil {
		return fmt.Errorf("re-executing the sandbox after id mapping: %w", err)
	}
	return unix.Exec("/proc/self/exe", []string{os.Args[0], InitArg, "mapped"}, os.Environ())
}

// prepare sets up the namespaces. The returned handles keep the private
// binfmt_misc instance alive (pivot_root detaches the mount it lives on, and
// the kernel drops an instance with its last mount reference) and the
// directories to empty on exit reachable after pivot_root.
func prepare(spec Spec) (held, error) {
	var h held
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return h, fmt.Errorf("making mounts private: %w", err)
	}
	if len(spec.Binfmt) > 0 {
		f, err := privateBinfmt(spec.Binfmt)
		if err != nil {
			return h, err
		}
		h.binfmt = f
	}
	for _, d := range spec.Discard {
		f, err := os.Open(d)
		if err != nil {
			return h, fmt.Errorf("opening %s: %w", d, err)
		}
		h.discards = append(h.discards, f)
	}
	return h, enter(spec)
}

// enter builds the container's root and makes it the process's root.
func enter(spec Spec) error {
	if spec.Minimal {
		if err := unix.Chroot(spec.Root); err != nil {
			return fmt.Errorf("entering root %s: %w", spec.Root, err)
		}
		return unix.Chdir("/")
	}
	if spec.Network == "none" {
		if err := loopbackUp(); err != nil {
			return err
		}
	}
	host := spec.Hostname
	if host == "" {
		host = "polyarch"
	}
	if err := unix.Sethostname([]byte(host)); err != nil {
		return fmt.Errorf("setting hostname: %w", err)
	}
	if err := mountOverlay(spec); err != nil {
		return err
	}
	if err := setupRoot(spec); err != nil {
		return err
	}
	if err := pivot(spec.Root); err != nil {
		return err
	}
	if err := dropCapabilities(); err != nil {
		return err
	}
	return unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
}

// privateBinfmt mounts a binfmt_misc instance of this user namespace and
// registers entries there. The F flag makes the kernel open each emulator
// now, while host paths are still visible.
func privateBinfmt(entries []binfmt.Entry) (*os.File, error) {
	mnt := binfmt.DefaultMount
	if err := binfmt.Mount(mnt); err != nil {
		return nil, fmt.Errorf("%w (private binfmt_misc instances need Linux ≥ 6.7; this is %s)", err, binfmt.KernelRelease())
	}
	for _, e := range entries {
		if err := binfmt.Register(mnt, e); err != nil {
			return nil, err
		}
	}
	f, err := os.Open(mnt) // O_CLOEXEC: the command does not inherit it
	if err != nil {
		return nil, fmt.Errorf("holding the private binfmt_misc instance: %w", err)
	}
	return f, nil
}

func execCommand(spec Spec) error {
	argv0, err := lookPath(spec.Args[0], spec.Env)
	if err != nil {
		return err
	}
	if err := unix.Exec(argv0, spec.Args, spec.Env); err != nil {
		return fmt.Errorf("starting %s: %w", spec.Args[0], err)
	}
	return nil
}

// supervise runs the command as a child of this PID 1, forwards signals to
// it, reaps every orphan and returns the command's exit status.
func supervise(spec Spec) (int, error) {
	argv0, err := lookPath(spec.Args[0], spec.Env)
	if err != nil {
		return 127, err
	}
	dir := spec.Dir
	if dir == "" {
		dir = "/"
	}
	if err := os.MkdirAll(dir, 0o755); err != nil { // as Docker does for a missing WORKDIR
		return 125, fmt.Errorf("creating working directory %s: %w", dir, err)
	}
	sigs := make(chan os.Signal, 16)
	signal.Notify(sigs)
	defer signal.Stop(sigs)
	cmd := &exec.Cmd{Path: argv0, Args: spec.Args, Env: spec.Env, Dir: dir,
		Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr}
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Credential: &syscall.Credential{Uid: spec.UID, Gid: spec.GID, Groups: spec.Groups},
		Setsid:     spec.TTY,
		Setctty:    spec.TTY,
	}
	if err := cmd.Start(); err != nil {
		if errors.Is(err, unix.ENOEXEC) {
			return 126, fmt.Errorf("starting %s: %w (no emulator registered for this binary's arch?)", spec.Args[0], err)
		}
		return 127, fmt.Errorf("starting %s: %w", spec.Args[0], err)
	}
	return reap(cmd.Process.Pid, sigs), nil
}

// reap waits for every child until pid exits, forwarding signals to pid.
func reap(pid int, sigs chan os.Signal) int {
	for {
		var ws unix.WaitStatus
		got, err := unix.Wait4(-1, &ws, unix.WNOHANG, nil)
		if err == nil && got == pid {
			if ws.Signaled() {
				return 128 + int(ws.Signal())
			}
			return ws.ExitStatus()
		}
		if got > 0 {
			continue
		}
		if err != nil && !errors.Is(err, unix.EINTR) {
			return 125
		}
		select {
		case s := <-sigs:
			if s != unix.SIGCHLD && s != unix.SIGURG {
				_ = unix.Kill(pid, s.(syscall.Signal))
			}
		case <-time.After(time.Second): // a SIGCHLD lost to a full channel must not hang us
		}
	}
}

// DefaultPath is the PATH a container gets when its image sets none.
const DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// lookPath resolves name like execvp does, with the PATH of env (inside the
// new root, which is the current root by now).
func lookPath(name string, env []string) (string, error) {
	if strings.Contains(name, "/") {
		return name, nil
	}
	path := DefaultPath
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			path = v
		}
	}
	for _, dir := range filepath.SplitList(path) {
		p := filepath.Join(dir, name)
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("starting %s: executable file not found in PATH (%s)", name, path)
}

// runFunc runs a registered function in the namespace: exit 0 on success.
func runFunc(stderr io.Writer, funcs map[string]func([]string) error, spec Spec) int {
	f, ok := funcs[spec.Func]
	if !ok {
		fmt.Fprintf(stderr, "polyarch sandbox: no function %q\n", spec.Func)
		return 125
	}
	if err := f(spec.FuncArgs); err != nil {
		fmt.Fprintf(stderr, "polyarch sandbox: %s: %v\n", spec.Func, err)
		return 1
	}
	return 0
}

// RunFunc runs the function registered as name (cmd/polyarch passes them
// to Init) in a user namespace with the caller's ID mapping, and returns
// its error output when it fails.
func RunFunc(ctx context.Context, self, name string, args ...string) error {
	var stderr bytes.Buffer
	code, err := Run(ctx, self, Spec{Func: name, FuncArgs: args, Args: []string{name}}, Stdio{Err: &stderr})
	if err != nil {
		return err
	}
	if code != 0 {
		return fmt.Errorf("%s in the user namespace: %s", name, strings.TrimSpace(stderr.String()))
	}
	return nil
}
