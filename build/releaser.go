package build

import (
	"context"
	"errors"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// releaser collects what a RUN step holds (cache-mount locks, temporary
// dirs) and lets it go when the step ends.
type releaser struct {
	fns []func()
}

func (r *releaser) add(f func()) { r.fns = append(r.fns, f) }

func (r *releaser) release() {
	for i := len(r.fns) - 1; i >= 0; i-- {
		r.fns[i]()
	}
	r.fns = nil
}

var errBusy = errors.New("busy")

// lock takes an exclusive flock on path, waiting (wait) or failing with
// errBusy when another holder has it.
func (r *releaser) lock(ctx context.Context, path string, wait bool) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return err
	}
	for {
		err = unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		if err == nil {
			r.add(func() { f.Close() })
			return nil
		}
		if !errors.Is(err, unix.EWOULDBLOCK) || !wait {
			f.Close()
			return errBusy
		}
		select {
		case <-ctx.Done():
			f.Close()
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}
