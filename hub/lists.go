package hub

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
)

// ErrNoList reports a manifest list that docker manifest create has not
// recorded.
var ErrNoList = errors.New("no such manifest list")

// List is a manifest list recorded by docker manifest create, waiting for
// docker manifest push, as the docker CLI keeps it in
// ~/.docker/manifests.
type List struct {
	Name    string      `json:"name"`
	Entries []ListEntry `json:"entries"`
}

// ListEntry is one image of a List.
type ListEntry struct {
	Image string `json:"image"`
	// Platform is what docker manifest annotate set (os/arch[/variant]),
	// "" when it was not annotated.
	Platform string `json:"platform,omitempty"`
}

// Add appends images not listed yet.
func (l *List) Add(images ...string) {
	for _, img := range images {
		if !slices.ContainsFunc(l.Entries, func(e ListEntry) bool { return e.Image == img }) {
			l.Entries = append(l.Entries, ListEntry{Image: img})
		}
	}
}

// Images returns the entries' images in order.
func (l List) Images() []string {
	out := make([]string, len(l.Entries))
	for i, e := range l.Entries {
		out[i] = e.Image
	}
	return out
}

// Lists stores List records in a directory, one JSON file each.
type Lists struct{ Dir string }

func (s Lists) path(name string) string {
	sum := sha256.Sum256([]byte(name))
	return filepath.Join(s.Dir, hex.EncodeToString(sum[:16])+".json")
}

// Load returns the list called name; ErrNoList when it was not created.
func (s Lists) Load(name string) (List, error) {
	b, err := os.ReadFile(s.path(name))
	if errors.Is(err, fs.ErrNotExist) {
		return List{}, fmt.Errorf("%s: %w (create it first: docker manifest create %s IMAGE...)", name, ErrNoList, name)
	}
	if err != nil {
		return List{}, err
	}
	var l List
	if err := json.Unmarshal(b, &l); err != nil {
		return List{}, fmt.Errorf("reading manifest list %s: %w", name, err)
	}
	return l, nil
}

// Save records l, replacing what was recorded under its name.
func (s Lists) Save(l List) error {
	if err := os.MkdirAll(s.Dir, 0o700); err != nil {
		return err
	}
	b, err := json.MarshalIndent(l, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(s.Dir, ".list-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), s.path(l.Name))
}

// Remove forgets the list called name; a missing list is no error.
func (s Lists) Remove(name string) error {
	err := os.Remove(s.path(name))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}
