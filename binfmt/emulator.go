package binfmt

import (
	"bytes"
	"context"
	"debug/elf"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Emulator is a QEMU user-mode binary found on the host.
type Emulator struct {
	CPU     string `json:"cpu"`
	Path    string `json:"path"`
	Version string `json:"version,omitempty"` // e.g. "7.2.22 (Debian 1:7.2+dfsg-7+deb12u18)"
	Static  bool   `json:"static"`            // no ELF interpreter: works inside any rootfs
}

// ErrNoEmulator means no QEMU binary for a CPU was found.
var ErrNoEmulator = errors.New("emulator not found")

// Finder locates QEMU emulators. The zero value searches only Dirs.
type Finder struct {
	// Dirs are searched first, in order (e.g. --qemu-dir).
	Dirs []string
	// Path is the PATH list to search (the CLI passes $PATH).
	Path string
	// Libexec is Debian's binfmt wrapper directory; "" means
	// /usr/libexec/qemu-binfmt.
	Libexec string
}

// candidates returns the paths to try for cpu, best first: static binaries
// before dynamic ones, since an F-flag interpreter must not need the
// container's libraries.
func (f Finder) candidates(cpu string) []string {
	names := []string{"qemu-" + cpu + "-static", "qemu-" + cpu}
	var out []string
	dirs := append(append([]string{}, f.Dirs...), filepath.SplitList(f.Path)...)
	for _, d := range dirs {
		if d == "" {
			continue
		}
		for _, n := range names {
			out = append(out, filepath.Join(d, n))
		}
	}
	lib := f.Libexec
	if lib == "" {
		lib = "/usr/libexec/qemu-binfmt"
	}
	return append(out, filepath.Join(lib, cpu+"-binfmt-P"))
}

// Find returns the emulator for cpu: the first static candidate, else the
// first dynamic one. The version is read by running it (a host binary).
func (f Finder) Find(ctx context.Context, cpu string) (Emulator, error) {
	var dynamic *Emulator
	for _, p := range f.candidates(cpu) {
		real, err := filepath.EvalSymlinks(p)
		if err != nil {
			continue
		}
		if st, err := os.Stat(real); err != nil || st.IsDir() || st.Mode()&0o111 == 0 {
			continue
		}
		static, err := isStatic(real)
		if err != nil {
			continue
		}
		e := Emulator{CPU: cpu, Path: real, Static: static}
		if static {
			e.Version = version(ctx, real)
			return e, nil
		}
		if dynamic == nil {
			dynamic = &e
		}
	}
	if dynamic != nil {
		dynamic.Version = version(ctx, dynamic.Path)
		return *dynamic, nil
	}
	return Emulator{}, fmt.Errorf("qemu-%s: %w; install it with: apt-get install qemu-user-static (or pass --qemu-dir)", cpu, ErrNoEmulator)
}

// isStatic reports whether the ELF file at path has no program interpreter.
func isStatic(path string) (bool, error) {
	f, err := elf.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return false, nil
		}
	}
	return true, nil
}

// version runs "qemu-x -version" and returns what follows "version ".
func version(ctx context.Context, path string) string {
	out, err := exec.CommandContext(ctx, path, "-version").Output()
	if err != nil {
		return ""
	}
	line, _, _ := bytes.Cut(out, []byte("\n"))
	_, v, ok := strings.Cut(string(line), "version ")
	if !ok {
		return strings.TrimSpace(string(line))
	}
	return strings.TrimSpace(v)
}

// Version returns the version of the first QEMU emulator found for any CPU
// of the table, or "" when none is installed.
func (f Finder) Version(ctx context.Context) string {
	for _, h := range Table() {
		if e, err := f.Find(ctx, h.CPU); err == nil && e.Version != "" {
			return e.Version
		}
	}
	return ""
}

// Dynamic reports whether the interpreter at path needs a dynamic loader.
// Even with flag F such an emulator fails inside a rootfs of another arch:
// the kernel opens the emulator early, but its loader and libraries are
// looked up in the container.
func Dynamic(interpreter string) bool {
	static, err := isStatic(interpreter)
	return err == nil && !static
}

// KernelRelease returns the running kernel's release (uname -r).
func KernelRelease() string {
	b, err := os.ReadFile("/proc/sys/kernel/osrelease")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// PrivateSupported reports whether the kernel release is at least 6.7, the
// first with per-user-namespace binfmt_misc instances.
func PrivateSupported(release string) bool {
	var major, minor int
	if _, err := fmt.Sscanf(release, "%d.%d", &major, &minor); err != nil {
		return false
	}
	return major > 6 || (major == 6 && minor >= 7)
}
