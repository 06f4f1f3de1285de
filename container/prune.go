package container

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/polyarch/polyarch/store"
)

// lockName is the file a live container holds an exclusive flock on, so
// Prune can tell the dirs of killed processes from running ones.
const lockName = "lock"

// lock takes the container dir's lock for the container's lifetime.
func (c *Container) lock() error {
	f, err := os.OpenFile(filepath.Join(c.dir, lockName), os.O_CREATE|os.O_RDWR|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return fmt.Errorf("locking container dir: %w", err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		return fmt.Errorf("locking container dir: %w", err)
	}
	c.lockFile = f
	return nil
}

// Prune removes the container dirs that no live process holds: leftovers of
// a polyarch that was killed. It returns how many it removed.
func Prune(st *store.Store, opts ...Option) (int, error) {
	dir := newOptions(opts).runDir(st)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0, fmt.Errorf("listing %s: %w", dir, err)
	}
	n := 0
	var errs []error
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		f, err := os.OpenFile(filepath.Join(p, lockName), os.O_RDWR|unix.O_CLOEXEC, 0)
		if err == nil {
			err = unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
			if err != nil {
				f.Close()
				continue // in use
			}
		}
		if err := removeAll(p); err != nil {
			errs = append(errs, err)
		} else {
			n++
		}
		if f != nil {
			f.Close()
		}
	}
	return n, errors.Join(errs...)
}
