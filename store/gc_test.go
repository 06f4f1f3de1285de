package store

import (
	"context"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
)

func listDir(t *testing.T, dir string) map[string]bool {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, e := range entries {
		out[e.Name()] = true
	}
	return out
}

// unpackImage unpacks every layer of the image (by its config's diffIDs).
func unpackImage(t *testing.T, s *Store, h v1.Hash) {
	t.Helper()
	img, err := s.Image(h)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range cf.RootFS.DiffIDs {
		if _, err := s.Unpacked(t.Context(), d, fillTree); err != nil {
			t.Fatal(err)
		}
	}
}

func writeRandom(t *testing.T, s *Store) v1.Hash {
	t.Helper()
	img, err := random.Image(300, 2)
	if err != nil {
		t.Fatal(err)
	}
	d, err := s.WriteImage(t.Context(), img)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// gcFixture fills s with live data (tags, extra roots), then garbage, and
// returns the extra roots and the report GC must produce.
func gcFixture(t *testing.T, s *Store) (roots []v1.Hash, want GCReport, keepBlobs, keepDirs map[string]bool) {
	ctx := t.Context()
	a, err := s.WriteImage(ctx, platformImage(t))
	if err != nil {
		t.Fatal(err)
	}
	unpackImage(t, s, a)
	idx, err := s.WriteIndex(ctx, nestedIndex(t))
	if err != nil {
		t.Fatal(err)
	}
	for ref, d := range map[string]v1.Hash{"a": a, "i": idx} {
		if err := s.Tag(ctx, ref, v1.Descriptor{Digest: d}); err != nil {
			t.Fatal(err)
		}
	}
	cacheImg := writeRandom(t, s) // kept only as an extra root
	cacheDir := hashOf([]byte("cache record's diffID"))
	if _, err := s.Unpacked(ctx, cacheDir, fillTree); err != nil {
		t.Fatal(err)
	}
	roots = []v1.Hash{cacheImg, cacheDir}
	keepBlobs, keepDirs = listDir(t, s.blobsDir()), listDir(t, s.unpackedDir())

	// Garbage: an untagged image with unpacked layers, a stray blob, an
	// untagged image, an orphan unpacked dir.
	unpackImage(t, s, writeRandom(t, s))
	if _, _, err := s.WriteBlob(ctx, v1.Hash{}, -1, stringReader("stray")); err != nil {
		t.Fatal(err)
	}
	if err := s.Tag(ctx, "gone", v1.Descriptor{Digest: writeRandom(t, s)}); err != nil {
		t.Fatal(err)
	}
	if err := s.Untag(ctx, "gone"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Unpacked(ctx, hashOf([]byte("orphan")), fillTree); err != nil {
		t.Fatal(err)
	}
	for name := range listDir(t, s.blobsDir()) {
		if !keepBlobs[name] {
			fi, err := os.Stat(filepath.Join(s.blobsDir(), name))
			if err != nil {
				t.Fatal(err)
			}
			want.BlobsRemoved++
			want.BytesFreed += fi.Size()
		}
	}
	want.DirsRemoved = len(listDir(t, s.unpackedDir())) - len(keepDirs)
	want.BytesFreed += int64(want.DirsRemoved) * treeBytes

	// Stale temp entries: an unlocked temp file, an unpack dir with no lock
	// holder, a dir a crashed GC left, an unknown file.
	must(t, os.WriteFile(filepath.Join(s.tmpDir(), tmpFilePrefix+"stale"), make([]byte, 10), 0o644))
	for _, name := range []string{tmpUnpackPrefix + hashOf(nil).Hex + "-1", tmpGCPrefix + "old"} {
		dir := filepath.Join(s.tmpDir(), name)
		must(t, os.Mkdir(dir, 0o755))
		must(t, fillTree(ctx, dir))
	}
	must(t, os.WriteFile(filepath.Join(s.tmpDir(), "junk"), make([]byte, 5), 0o644))
	want.TmpRemoved = 4
	want.BytesFreed += 10 + 2*treeBytes + 5
	return roots, want, keepBlobs, keepDirs
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestGC(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	roots, want, keepBlobs, keepDirs := gcFixture(t, s)
	live, err := s.createTemp() // a write in progress
	if err != nil {
		t.Fatal(err)
	}
	if _, err := live.Write(make([]byte, 7)); err != nil {
		t.Fatal(err)
	}

	steps := []struct {
		name  string
		setup func()
		want  GCReport
	}{
		{"collect", func() {}, want},
		{"nothing left", func() {}, GCReport{}},
		{"write finished", func() { live.Close() }, GCReport{TmpRemoved: 1, BytesFreed: 7}},
	}
	for _, st := range steps {
		st.setup()
		got, err := s.GC(ctx, roots...)
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if got != st.want {
			t.Errorf("%s: report %+v, want %+v", st.name, got, st.want)
		}
		if b := listDir(t, s.blobsDir()); !maps.Equal(b, keepBlobs) {
			t.Errorf("%s: blobs %v, want %v", st.name, slices.Sorted(maps.Keys(b)), slices.Sorted(maps.Keys(keepBlobs)))
		}
		if d := listDir(t, s.unpackedDir()); !maps.Equal(d, keepDirs) {
			t.Errorf("%s: unpacked %v, want %v", st.name, d, keepDirs)
		}
	}
	if left := tmpEntries(t, s); len(left) != 0 {
		t.Errorf("temp entries left: %v", left)
	}
	for _, ref := range []string{"a", "i"} {
		d, err := s.Resolve(ref)
		if err != nil {
			t.Fatal(err)
		}
		if d.MediaType.IsIndex() {
			_, err = s.Index(d.Digest)
		} else {
			_, err = s.Image(d.Digest)
		}
		if err != nil {
			t.Errorf("%s after GC: %v", ref, err)
		}
	}
	u, err := s.DiskUsage()
	if err != nil || u.BlobCount != len(keepBlobs) || u.UnpackedCount != len(keepDirs) ||
		u.Unpacked != int64(len(keepDirs))*treeBytes || u.Tmp != 0 {
		t.Errorf("DiskUsage = %+v, %v", u, err)
	}
}

func TestGCGracePeriod(t *testing.T) {
	root := filepath.Join(t.TempDir(), "store")
	graceful, err := Open(t.Context(), root, WithGCGracePeriod(time.Hour), WithUnpackSync(false))
	if err != nil {
		t.Fatal(err)
	}
	unpackImage(t, graceful, writeRandom(t, graceful))
	if rep, err := graceful.GC(t.Context()); err != nil || rep != (GCReport{}) {
		t.Errorf("GC within grace period: %+v, %v; want nothing removed", rep, err)
	}
	eager, err := Open(t.Context(), root, WithGCGracePeriod(0))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := eager.GC(t.Context())
	if err != nil || rep.BlobsRemoved != 4 || rep.DirsRemoved != 2 {
		t.Errorf("GC without grace: %+v, %v; want 4 blobs, 2 dirs", rep, err)
	}
}

func TestGCWaitsForHold(t *testing.T) {
	s := newStore(t)
	release, err := s.Hold(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	if _, err := s.GC(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("GC during Hold: %v, want DeadlineExceeded", err)
	}
	must(t, release())
	if _, err := s.GC(t.Context()); err != nil {
		t.Errorf("GC after release: %v", err)
	}
}

func TestGCDanglingTag(t *testing.T) {
	s := newStore(t)
	d := writeRandom(t, s)
	must(t, s.Tag(t.Context(), "dangling", v1.Descriptor{Digest: d}))
	must(t, os.Remove(s.BlobPath(d)))
	rep, err := s.GC(t.Context())
	if err != nil || rep.BlobsRemoved != 3 { // config + 2 layers
		t.Errorf("GC = %+v, %v; want the 3 orphaned blobs removed", rep, err)
	}
}

func stringReader(s string) *strings.Reader { return strings.NewReader(s) }
