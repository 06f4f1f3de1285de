package binfmt

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// Line returns the registration line for e as written to <mount>/register:
// ":name:M:offset:magic:mask:interpreter:flags", magic and mask escaped \xNN
// byte by byte so that ':' or NUL in them cannot break the line.
func Line(e Entry) (string, error) {
	if err := validate(e); err != nil {
		return "", err
	}
	return fmt.Sprintf(":%s:M:%d:%s:%s:%s:%s", e.Name, e.Offset, escape(e.Magic), escape(e.Mask), e.Interpreter, e.Flags), nil
}

func escape(b []byte) string {
	var sb strings.Builder
	for _, c := range b {
		fmt.Fprintf(&sb, "\\x%02x", c)
	}
	return sb.String()
}

func validate(e Entry) error {
	switch {
	case e.Name == "" || strings.ContainsAny(e.Name, ":/") || e.Name == "." || e.Name == ".." || e.Name == "register" || e.Name == "status":
		return fmt.Errorf("invalid binfmt_misc entry name %q", e.Name)
	case len(e.Magic) == 0 || len(e.Mask) > len(e.Magic):
		return fmt.Errorf("binfmt_misc entry %s: magic must be non-empty and at least as long as mask", e.Name)
	case e.Interpreter == "" || !filepath.IsAbs(e.Interpreter) || strings.ContainsAny(e.Interpreter, ": \n"):
		return fmt.Errorf("binfmt_misc entry %s: interpreter %q must be an absolute path without ':' or spaces", e.Name, e.Interpreter)
	case strings.Trim(e.Flags, "POCF") != "":
		return fmt.Errorf("binfmt_misc entry %s: flags %q: only P, O, C, F exist", e.Name, e.Flags)
	}
	return nil
}

// Register writes e into the binfmt_misc mounted at mount, in one write()
// as the kernel requires. Kernel errors are turned into messages that say
// what to do.
func Register(mount string, e Entry) error {
	line, err := Line(e)
	if err != nil {
		return err
	}
	if err := checkMounted(mount); err != nil {
		return err
	}
	f, err := os.OpenFile(filepath.Join(mount, "register"), os.O_WRONLY, 0)
	if err != nil {
		return registerError(e, err)
	}
	defer f.Close()
	if _, err := f.Write([]byte(line)); err != nil { // one write(): the kernel parses it whole
		return registerError(e, err)
	}
	return nil
}

func registerError(e Entry, err error) error {
	var msg string
	switch {
	case errors.Is(err, unix.EEXIST):
		msg = "an entry with this name exists already; remove it first (polyarch binfmt uninstall)"
	case errors.Is(err, unix.EPERM), errors.Is(err, unix.EACCES):
		msg = "not permitted: host-wide registration needs root; without root use a private instance (polyarch binfmt test --private), which polyarch's sandboxes use by default"
	case errors.Is(err, unix.ENOENT):
		msg = fmt.Sprintf("interpreter %s not found (flag F opens it at registration); install qemu-user-static", e.Interpreter)
	case errors.Is(err, unix.EINVAL):
		msg = "the kernel rejected the line (bad magic/mask or flag)"
	default:
		msg = "writing the register file failed"
	}
	return fmt.Errorf("registering %s: %s: %w", e.Name, msg, err)
}

// ErrNotOwned is returned when asked to remove an entry polyarch did not
// register.
var ErrNotOwned = errors.New("not a polyarch entry")

// Unregister removes polyarch's entry name from the binfmt_misc at mount by
// writing -1 to the entry's own file. Entries without the polyarch- prefix
// are refused; a missing entry is not an error.
func Unregister(mount, name string) error {
	if !strings.HasPrefix(name, EntryPrefix) || strings.ContainsAny(name, "/") {
		return fmt.Errorf("removing %s: %w: polyarch only removes entries named %s*", name, ErrNotOwned, EntryPrefix)
	}
	if err := checkMounted(mount); err != nil {
		return err
	}
	f, err := os.OpenFile(filepath.Join(mount, name), os.O_WRONLY, 0)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("removing %s: %w", name, err)
	}
	defer f.Close()
	if _, err := f.Write([]byte("-1")); err != nil && !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("removing %s: %w", name, err)
	}
	return nil
}

// EntryFor builds polyarch's entry for handler h run by interpreter, with
// flags F and P, plus C when credential is set (setuid binaries then work,
// but the emulator runs with the binary's credentials: opt-in only).
func EntryFor(h Handler, interpreter string, credential bool) Entry {
	flags := "PF"
	if credential {
		flags = "PCF"
	}
	return Entry{Name: h.EntryName(), Enabled: true, Interpreter: interpreter, Flags: flags, Magic: h.Magic, Mask: h.Mask}
}

// Mount mounts a binfmt_misc filesystem at target. Inside a user namespace
// on Linux ≥ 6.7 this creates a private instance that shadows the host's.
// This is the only mount polyarch makes outside the sandbox package.
func Mount(target string) error {
	if err := unix.Mount("binfmt_misc", target, "binfmt_misc", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, ""); err != nil {
		if errors.Is(err, unix.EPERM) {
			return fmt.Errorf("mounting binfmt_misc at %s: not permitted (needs root, or a user namespace on Linux ≥ 6.7): %w", target, err)
		}
		return fmt.Errorf("mounting binfmt_misc at %s: %w", target, err)
	}
	return nil
}
