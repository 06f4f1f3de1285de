package store

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
)

// checkAllTagged asserts that every ref prefix-i (i < n, for each prefix)
// resolves to a manifest whose image reads back.
func checkAllTagged(t *testing.T, s *Store, prefixes []string, n int) {
	t.Helper()
	recs, err := s.Tags()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != len(prefixes)*n {
		t.Errorf("%d tags, want %d", len(recs), len(prefixes)*n)
	}
	for _, p := range prefixes {
		for i := range n {
			d, err := s.Resolve(fmt.Sprintf("%s:%d", p, i))
			if err != nil {
				t.Errorf("lost tag: %v", err)
				continue
			}
			if _, err := s.Image(d.Digest); err != nil {
				t.Errorf("tag %s:%d: %v", p, i, err)
			}
		}
	}
}

func TestConcurrentGoroutines(t *testing.T) {
	s := newStore(t)
	const workers, n = 8, 5
	shared, err := random.Image(256, 2) // every worker also writes this one
	if err != nil {
		t.Fatal(err)
	}
	var prefixes []string
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		p := fmt.Sprintf("localhost:5000/w%d", w)
		prefixes = append(prefixes, p)
		wg.Go(func() {
			for i := range n {
				img := shared
				if i > 0 {
					var err error
					if img, err = random.Image(64, 1); err != nil {
						errs <- err
						return
					}
				}
				d, err := s.WriteImage(t.Context(), img)
				if err == nil {
					err = s.Tag(t.Context(), fmt.Sprintf("%s:%d", p, i), v1.Descriptor{Digest: d})
				}
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	checkAllTagged(t, s, prefixes, n)
	if left := tmpEntries(t, s); len(left) != 0 {
		t.Errorf("temp files left: %v", left)
	}
}

// TestConcurrentProcesses runs separate processes (this test binary in helper
// mode) that write and tag images and unpack one shared layer.
func TestConcurrentProcesses(t *testing.T) {
	s := newStore(t)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	const procs, n = 4, 6
	counter := filepath.Join(t.TempDir(), "fills")
	diffID := hashOf([]byte("shared layer"))
	var prefixes []string
	var cmds []*exec.Cmd
	for p := range procs {
		a := helperArgs{Mode: "tag", Root: s.Root(), Prefix: fmt.Sprintf("localhost:5000/p%d", p),
			N: n, DiffID: diffID.String(), Counter: counter}
		prefixes = append(prefixes, a.Prefix)
		raw, _ := json.Marshal(a)
		cmd := exec.CommandContext(t.Context(), exe, "-test.run=^$")
		cmd.Env = append(os.Environ(), helperEnv+"="+string(raw))
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if t.Failed() && stderr.Len() > 0 {
				t.Logf("helper %d stderr: %s", p, stderr.String())
			}
		})
		cmds = append(cmds, cmd)
	}
	for _, c := range cmds {
		if err := c.Wait(); err != nil {
			t.Errorf("helper: %v", err)
		}
	}
	checkAllTagged(t, s, prefixes, n)
	if got := countLines(t, counter); got != 1 {
		t.Errorf("shared layer filled %d times across processes, want 1", got)
	}
	if !s.HasUnpacked(diffID) {
		t.Error("shared layer not unpacked")
	}
}
