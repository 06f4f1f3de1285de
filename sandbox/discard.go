package sandbox

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// held are the handles the sandbox's init keeps across pivot_root.
type held struct {
	binfmt   *os.File
	discards []*os.File
}

func (h held) close() {
	if h.binfmt != nil {
		h.binfmt.Close()
	}
	for _, f := range h.discards {
		f.Close()
	}
}

// discard empties every Discard directory through its open handle.
func (h held) discard() error {
	var errs []error
	for _, f := range h.discards {
		if err := emptyDirAt(int(f.Fd())); err != nil {
			errs = append(errs, fmt.Errorf("discarding %s: %w", f.Name(), err))
		}
	}
	return errors.Join(errs...)
}

// emptyDirAt removes everything inside the directory open as dirfd,
// without following symlinks and making directories writable as needed.
func emptyDirAt(dirfd int) error {
	d, err := unix.Openat(dirfd, ".", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	f := os.NewFile(uintptr(d), "dir")
	defer f.Close()
	names, err := f.Readdirnames(-1)
	if err != nil {
		return err
	}
	_ = unix.Fchmod(dirfd, 0o700)
	for _, n := range names {
		err := unix.Unlinkat(dirfd, n, 0)
		if err == nil || errors.Is(err, unix.ENOENT) {
			continue
		}
		sub, oerr := unix.Openat(dirfd, n, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if oerr != nil {
			return fmt.Errorf("removing %s: %w", n, err)
		}
		err = emptyDirAt(sub)
		unix.Close(sub)
		if err != nil {
			return err
		}
		if err := unix.Unlinkat(dirfd, n, unix.AT_REMOVEDIR); err != nil {
			return fmt.Errorf("removing %s: %w", n, err)
		}
	}
	return nil
}
