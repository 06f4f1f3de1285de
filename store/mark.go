package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// marker is GC's mark phase: the set of reachable blobs and of diffIDs whose
// unpacked dirs some reachable image config lists.
type marker struct {
	s       *Store
	blobs   map[v1.Hash]bool
	diffIDs map[string]bool // hex
}

func newMarker(s *Store) *marker {
	return &marker{s: s, blobs: map[v1.Hash]bool{}, diffIDs: map[string]bool{}}
}

// mark records h and everything it references: an index's children, an
// image's config and layers, a config's rootfs.diff_ids. mt is the media type
// the referrer's descriptor gives ("" for roots of unknown kind: sniffed).
//
// A missing blob (a dangling tag, a foreign layer) is skipped. A blob that
// cannot be read for another reason aborts GC: deleting with an incomplete
// mark could remove live data.
func (m *marker) mark(h v1.Hash, mt types.MediaType) error {
	if h.Algorithm != "sha256" || !isHex64(h.Hex) || m.blobs[h] {
		return nil
	}
	m.blobs[h] = true
	if mt.IsLayer() {
		return nil // never JSON; do not read gigabytes
	}
	fi, err := os.Stat(m.s.BlobPath(h))
	if errors.Is(err, fs.ErrNotExist) {
		m.s.opts.logger.Debug("store: gc: referenced blob is missing", "digest", h, "mediaType", mt)
		return nil
	}
	if err != nil {
		return fmt.Errorf("marking %s: %w", h, err)
	}
	if fi.Size() > maxManifestSize {
		return nil
	}
	raw, err := os.ReadFile(m.s.BlobPath(h))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("marking %s: %w", h, err)
	}
	var p sniffed
	if json.Unmarshal(raw, &p) != nil {
		return nil // opaque: reachable, references nothing
	}
	if mt == "" {
		mt = p.kind()
	}
	return m.children(mt, &p)
}

func (m *marker) children(mt types.MediaType, p *sniffed) error {
	switch {
	case mt.IsIndex():
		for _, c := range p.Manifests {
			if err := m.mark(c.Digest, c.MediaType); err != nil {
				return err
			}
		}
	case mt.IsImage():
		if p.Config != nil {
			if err := m.mark(p.Config.Digest, p.Config.MediaType); err != nil {
				return err
			}
		}
		for _, l := range p.Layers {
			if err := m.mark(l.Digest, l.MediaType); err != nil {
				return err
			}
		}
	case mt.IsConfig() || (mt == "" && p.RootFS != nil):
		if p.RootFS == nil {
			return nil
		}
		for _, d := range p.RootFS.DiffIDs {
			if hex, ok := strings.CutPrefix(d, "sha256:"); ok {
				m.diffIDs[hex] = true
			}
		}
	}
	return nil
}

// markRoots marks everything index.json lists, the caller's extra roots (blobs,
// or diffIDs naming unpacked dirs) and, within the grace period, every recent
// blob as a root of its own, so a manifest written moments ago by another
// process keeps its (possibly older) layers.
func (m *marker) markRoots(extra []v1.Hash, recent []v1.Hash) error {
	im, err := m.s.readIndexJSON()
	if err != nil {
		return err // never sweep with unknown roots
	}
	for _, d := range im.Manifests {
		if err := m.mark(d.Digest, d.MediaType); err != nil {
			return err
		}
	}
	for _, h := range extra {
		if m.s.HasUnpacked(h) {
			m.diffIDs[h.Hex] = true
		}
		if err := m.mark(h, ""); err != nil {
			return err
		}
	}
	for _, h := range recent {
		if err := m.mark(h, ""); err != nil {
			return err
		}
	}
	return nil
}
