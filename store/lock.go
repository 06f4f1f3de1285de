package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// fileLock is an flock(2) lock on an open file. flock locks belong to the open
// file description, so two goroutines of one process that each open the lock
// file exclude each other exactly as two processes do, and the kernel drops
// the lock when a process dies.
type fileLock struct {
	f *os.File
}

// Lock polling bounds: flock has no timeout, so waiting is a LOCK_NB loop that
// also watches ctx.
const (
	lockPollMin = time.Millisecond
	lockPollMax = 50 * time.Millisecond
)

// lockFile opens (creating if needed) path and locks it with how (unix.LOCK_EX
// or unix.LOCK_SH), waiting until the lock is granted or ctx is done.
func lockFile(ctx context.Context, path string, how int) (*fileLock, error) {
	f, err := openLockFile(path)
	if err != nil {
		return nil, err
	}
	wait := lockPollMin
	for {
		ok, err := flockNB(f, how)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("locking %s: %w", path, err)
		}
		if ok {
			return &fileLock{f: f}, nil
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			f.Close()
			return nil, fmt.Errorf("waiting for lock %s: %w", path, ctx.Err())
		case <-t.C:
		}
		wait = min(wait*2, lockPollMax)
	}
}

// tryLockFile is lockFile without waiting: ok is false when another holder has
// a conflicting lock. A missing file is reported as os.ErrNotExist and is not
// created.
func tryLockFile(path string, how int) (l *fileLock, ok bool, err error) {
	f, err := os.OpenFile(path, os.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, false, err
	}
	ok, err = flockNB(f, how)
	if err != nil || !ok {
		f.Close()
		return nil, false, err
	}
	return &fileLock{f: f}, true, nil
}

func openLockFile(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|unix.O_CLOEXEC, 0o644)
	if err != nil {
		return nil, fmt.Errorf("opening lock file: %w", err)
	}
	return f, nil
}

// flockNB tries to take the lock once; ok is false on EWOULDBLOCK.
func flockNB(f *os.File, how int) (ok bool, err error) {
	for {
		err = unix.Flock(int(f.Fd()), how|unix.LOCK_NB)
		switch {
		case err == nil:
			return true, nil
		case errors.Is(err, unix.EINTR):
			continue
		case errors.Is(err, unix.EWOULDBLOCK):
			return false, nil
		default:
			return false, err
		}
	}
}

// lockFD locks an already open file (a temp file guarding itself) exclusively.
func lockFD(f *os.File) error {
	ok, err := flockNB(f, unix.LOCK_EX)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("temp file %s is unexpectedly locked", f.Name())
	}
	return nil
}

// Unlock releases the lock by closing the file; it is safe on a nil lock.
func (l *fileLock) Unlock() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	return err
}
