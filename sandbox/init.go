package sandbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/polyarch/polyarch/binfmt"
)

// specFD is the file descriptor the parent passes the Spec on.
const specFD = 3

// Init is the child side of a sandbox: it reads the Spec from fd 3, prepares
// the namespaces and execs the command. It returns only on failure, with the
// exit code to use (127 when the command cannot be started, as shells do).
func Init(stderr io.Writer) int {
	spec, err := readSpec()
	if err == nil {
		err = prepare(spec)
	}
	if err == nil {
		err = execCommand(spec)
	}
	fmt.Fprintf(stderr, "polyarch sandbox: %v\n", err)
	if errors.Is(err, unix.ENOEXEC) {
		return 126
	}
	return 127
}

func readSpec() (Spec, error) {
	f := os.NewFile(specFD, "sandbox-spec")
	defer f.Close()
	var spec Spec
	if err := json.NewDecoder(f).Decode(&spec); err != nil {
		return Spec{}, fmt.Errorf("reading sandbox spec: %w", err)
	}
	return spec, nil
}

func prepare(spec Spec) error {
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("making mounts private: %w", err)
	}
	if len(spec.Binfmt) > 0 {
		if err := privateBinfmt(spec.Binfmt); err != nil {
			return err
		}
	}
	if err := unix.Chroot(spec.Root); err != nil {
		return fmt.Errorf("entering root %s: %w", spec.Root, err)
	}
	dir := spec.Dir
	if dir == "" {
		dir = "/"
	}
	if err := unix.Chdir(dir); err != nil {
		return fmt.Errorf("changing to working directory %s: %w", dir, err)
	}
	return nil
}

// privateBinfmt mounts a binfmt_misc instance of this user namespace and
// registers entries there. The F flag makes the kernel open each emulator
// now, while host paths are still visible.
func privateBinfmt(entries []binfmt.Entry) error {
	mnt := binfmt.DefaultMount
	if err := binfmt.Mount(mnt); err != nil {
		return fmt.Errorf("%w (private binfmt_misc instances need Linux ≥ 6.7; this is %s)", err, binfmt.KernelRelease())
	}
	for _, e := range entries {
		if err := binfmt.Register(mnt, e); err != nil {
			return err
		}
	}
	return nil
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
