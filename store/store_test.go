package store

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
)

// helperEnv makes the test binary act as a separate polyarch process (see
// runHelper) instead of running tests.
const helperEnv = "POLYARCH_STORE_TEST_HELPER"

type helperArgs struct {
	Mode    string // "tag" or "gc"
	Root    string
	Prefix  string
	N       int
	DiffID  string
	Counter string
}

func TestMain(m *testing.M) {
	if raw := os.Getenv(helperEnv); raw != "" {
		if err := runHelper(raw); err != nil {
			fmt.Fprintln(os.Stderr, "helper:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func runHelper(raw string) error {
	var a helperArgs
	if err := json.Unmarshal([]byte(raw), &a); err != nil {
		return err
	}
	ctx := context.Background()
	s, err := Open(ctx, a.Root, WithGCGracePeriod(0), WithUnpackSync(false))
	if err != nil {
		return err
	}
	switch a.Mode {
	case "tag":
		return helperTag(ctx, s, a)
	case "gc":
		rep, err := s.GC(ctx)
		if err != nil {
			return err
		}
		return json.NewEncoder(os.Stdout).Encode(rep)
	}
	return fmt.Errorf("unknown mode %q", a.Mode)
}

// helperTag writes and tags a.N random images and asks for one shared
// unpacked layer, counting fills in a.Counter.
func helperTag(ctx context.Context, s *Store, a helperArgs) error {
	diffID, err := v1.NewHash(a.DiffID)
	if err != nil {
		return err
	}
	for i := range a.N {
		img, err := random.Image(64, 1)
		if err != nil {
			return err
		}
		d, err := s.WriteImage(ctx, img)
		if err != nil {
			return err
		}
		if err := s.Tag(ctx, fmt.Sprintf("%s:%d", a.Prefix, i), v1.Descriptor{Digest: d}); err != nil {
			return err
		}
		if i == a.N/2 {
			if _, err := s.Unpacked(ctx, diffID, countingFill(a.Counter)); err != nil {
				return err
			}
		}
	}
	return nil
}

// countingFill appends one line to counter per call (O_APPEND works across
// processes) and writes a file, slowly enough for callers to overlap.
func countingFill(counter string) func(context.Context, string) error {
	return func(ctx context.Context, dir string) error {
		f, err := os.OpenFile(counter, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
		if err != nil {
			return err
		}
		if _, err := f.WriteString("fill\n"); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
		time.Sleep(50 * time.Millisecond)
		return os.WriteFile(filepath.Join(dir, "file"), []byte("content"), 0o644)
	}
}

func countLines(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	return strings.Count(string(b), "\n")
}

// newStore opens a store in a fresh temp dir with no GC grace period and no
// syncfs (tests do not need durability).
func newStore(t *testing.T, opts ...Option) *Store {
	t.Helper()
	opts = append([]Option{WithGCGracePeriod(0), WithUnpackSync(false)}, opts...)
	s, err := Open(t.Context(), filepath.Join(t.TempDir(), "store"), opts...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// tmpEntries lists what is left in tmp/.
func tmpEntries(t *testing.T, s *Store) []string {
	t.Helper()
	entries, err := os.ReadDir(s.tmpDir())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestOpenCreatesLayout(t *testing.T) {
	root := filepath.Join(t.TempDir(), "a", "b")
	for range 2 { // a second Open must keep what the first wrote
		s, err := Open(t.Context(), root)
		if err != nil {
			t.Fatal(err)
		}
		if s.Root() != root {
			t.Errorf("Root() = %q, want %q", s.Root(), root)
		}
		if err := s.Tag(t.Context(), "x", mustWriteImage(t, s)); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range []string{"oci/oci-layout", "oci/index.json", "oci/blobs/sha256", "unpacked", "tmp", "locks"} {
		if _, err := os.Stat(filepath.Join(root, p)); err != nil {
			t.Errorf("missing %s: %v", p, err)
		}
	}
	b, err := os.ReadFile(filepath.Join(root, "oci", "oci-layout"))
	if err != nil || string(b) != ociLayoutFile {
		t.Errorf("oci-layout = %q, %v", b, err)
	}
	if _, err := Open(t.Context(), ""); err == nil {
		t.Error("Open with empty root succeeded")
	}
}

// mustWriteImage stores a small random image and returns its descriptor
// (digest only, as a caller would pass it to Tag).
func mustWriteImage(t *testing.T, s *Store) v1.Descriptor {
	t.Helper()
	img, err := random.Image(128, 2)
	if err != nil {
		t.Fatal(err)
	}
	d, err := s.WriteImage(t.Context(), img)
	if err != nil {
		t.Fatal(err)
	}
	return v1.Descriptor{Digest: d}
}
