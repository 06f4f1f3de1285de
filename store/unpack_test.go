package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"golang.org/x/sys/unix"
)

// treeBytes is the apparent size of what fillTree writes.
const treeBytes = 150

// fillTree writes a tree the way an unpacked layer can look: a read-only
// (0500) directory with a file inside and a read-only (0555) root.
func fillTree(_ context.Context, dir string) error {
	if err := os.WriteFile(filepath.Join(dir, "a"), make([]byte, 100), 0o644); err != nil {
		return err
	}
	ro := filepath.Join(dir, "ro")
	if err := os.Mkdir(ro, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(ro, "b"), make([]byte, 50), 0o400); err != nil {
		return err
	}
	if err := os.Chmod(ro, 0o500); err != nil {
		return err
	}
	return os.Chmod(dir, 0o555)
}

func TestUnpackedConcurrentFillsOnce(t *testing.T) {
	s := newStore(t, WithUnpackSync(true))
	diffID := hashOf([]byte("layer"))
	counter := filepath.Join(t.TempDir(), "fills")
	const callers = 8
	dirs := make([]string, callers)
	errs := make([]error, callers)
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() {
			dirs[i], errs[i] = s.Unpacked(t.Context(), diffID, countingFill(counter))
		})
	}
	wg.Wait()
	for i := range callers {
		if errs[i] != nil || dirs[i] != s.UnpackedPath(diffID) {
			t.Errorf("caller %d: %q, %v", i, dirs[i], errs[i])
		}
	}
	if n := countLines(t, counter); n != 1 {
		t.Errorf("fill ran %d times, want 1", n)
	}
	if b, err := os.ReadFile(filepath.Join(s.UnpackedPath(diffID), "file")); err != nil || string(b) != "content" {
		t.Errorf("unpacked content = %q, %v", b, err)
	}
	if fi, err := os.Stat(s.UnpackedPath(diffID)); err != nil || fi.Mode().Perm() != 0o755 {
		t.Errorf("unpacked root mode = %v, %v; want 0755", fi.Mode(), err)
	}
}

func TestUnpacked(t *testing.T) {
	errFill := errors.New("bad tar")
	failing := func(ctx context.Context, dir string) error {
		if err := fillTree(ctx, dir); err != nil {
			return err
		}
		return errFill // leaves read-only dirs behind for cleanup
	}
	timeout := func(ctx context.Context) (context.Context, context.CancelFunc) {
		return context.WithTimeout(ctx, 50*time.Millisecond)
	}
	tests := []struct {
		name     string
		diffID   v1.Hash
		fill     func(context.Context, string) error
		holdLock bool // another holder keeps the layer's lock: Unpacked must wait
		wantErr  error
		wantMode os.FileMode
	}{
		{name: "read-only tree", diffID: hashOf([]byte("1")), fill: fillTree, wantMode: 0o555},
		{name: "fill fails", diffID: hashOf([]byte("2")), fill: failing, wantErr: errFill},
		{name: "waits for lock", diffID: hashOf([]byte("3")), fill: fillTree, holdLock: true, wantErr: context.DeadlineExceeded},
		{name: "bad digest", diffID: v1.Hash{Algorithm: "sha256", Hex: "../x"}, fill: fillTree, wantErr: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStore(t)
			ctx, cancel := timeout(t.Context())
			defer cancel()
			if tt.holdLock {
				l, err := lockFile(t.Context(), s.unpackLockPath(tt.diffID.Hex), unix.LOCK_EX)
				if err != nil {
					t.Fatal(err)
				}
				defer l.Unlock()
			}
			dir, err := s.Unpacked(ctx, tt.diffID, tt.fill)
			if tt.wantMode == 0 {
				if err == nil || (tt.wantErr != nil && !errors.Is(err, tt.wantErr)) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				if s.HasUnpacked(tt.diffID) {
					t.Error("a failed unpack left a trusted dir")
				}
				if left := tmpEntries(t, s); len(left) != 0 {
					t.Errorf("temp entries left: %v", left)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			fi, err := os.Stat(dir)
			if err != nil || fi.Mode().Perm() != tt.wantMode {
				t.Errorf("mode = %v, %v; want %v", fi.Mode(), err, tt.wantMode)
			}
			if got := diskUsage(dir); got != treeBytes {
				t.Errorf("unpacked %d bytes, want %d", got, treeBytes)
			}
		})
	}
}

func TestRemoveAllReadOnly(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "tree")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := fillTree(t.Context(), dir); err != nil {
		t.Fatal(err)
	}
	outside := filepath.Join(t.TempDir(), "outside")
	if err := os.Mkdir(outside, 0o500); err != nil {
		t.Fatal(err)
	}
	// A symlink to a directory must be removed, never followed and chmodded.
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o500); err != nil {
		t.Fatal(err)
	}
	if err := makeOwnerWritable(t.Context(), dir); err != nil {
		t.Fatal(err)
	}
	if err := removeAll(t.Context(), dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(dir); !os.IsNotExist(err) {
		t.Errorf("tree still there: %v", err)
	}
	if fi, err := os.Stat(outside); err != nil || fi.Mode().Perm() != 0o500 {
		t.Errorf("symlink target touched: %v %v", fi.Mode(), err)
	}
	if err := removeAll(t.Context(), dir); err != nil {
		t.Errorf("removing a missing tree: %v", err)
	}
}
