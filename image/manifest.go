package image

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// ErrManifestUnknown is matched (errors.Is) by Get's error when the
// registry has no manifest under the reference (HTTP 404, MANIFEST_UNKNOWN
// or NAME_UNKNOWN): the tag or digest, or the whole repository, is not
// there.
var ErrManifestUnknown = errors.New("manifest unknown")

// Get returns ref's manifest or index exactly as the registry serves it: no
// platform is selected and nothing is stored. The descriptor's Image (for a
// manifest) or ImageIndex (for an index) reads the rest lazily from the same
// registry with the same authenticated transport.
//
// Mirrors are not consulted: the manifest comes from the registry ref names.
// This is what `manifest create` needs: it publishes what the reference names
// now, and the images it returns remember their repository, so that Push to
// another repository of the same registry mounts their blobs (a cross-repo
// mount, no data sent) and Push to another registry streams them from this
// one (see CopyMode).
func (c *Client) Get(ctx context.Context, ref string) (*remote.Descriptor, error) {
	r, err := c.ParseReference(ref)
	if err != nil {
		return nil, err
	}
	rd, err := c.get(ctx, r, c.opts.backoff)
	if err != nil {
		err = fmt.Errorf("reading %s: %w", r.Name(), explain(r.Context().Registry, err))
		if isManifestUnknown(err) {
			return nil, manifestUnknownError{err}
		}
		return nil, err
	}
	return rd, nil
}

// isManifestUnknown reports whether err is a registry's "no such manifest".
func isManifestUnknown(err error) bool {
	var terr *transport.Error
	if !errors.As(err, &terr) {
		return false
	}
	if terr.StatusCode == http.StatusNotFound {
		return true
	}
	for _, d := range terr.Errors {
		if d.Code == transport.ManifestUnknownErrorCode || d.Code == transport.NameUnknownErrorCode {
			return true
		}
	}
	return false
}

type manifestUnknownError struct{ err error }

func (e manifestUnknownError) Error() string        { return e.err.Error() }
func (e manifestUnknownError) Unwrap() error        { return e.err }
func (e manifestUnknownError) Is(target error) bool { return target == ErrManifestUnknown }

// CopyMode says how Push gets a blob of a source image (one returned by Get,
// or a child of an index returned by Get) into the target repository.
type CopyMode int

const (
	// CopyExisting: the target repository has the blob already; nothing is
	// sent.
	CopyExisting CopyMode = iota
	// CopyMount: the source is another repository of the target's
	// registry; the registry is asked to mount the blob from there (POST
	// /v2/<target>/blobs/uploads/?mount=<digest>&from=<source>), so no data
	// passes through polyarch. Registries that refuse (or lack pull access
	// to the source) answer with a new upload, and the blob is streamed.
	CopyMount
	// CopyStream: the source is on another registry; the blob is read from
	// the source registry and uploaded to the target as it is read, never
	// stored on disk.
	CopyStream
)

func (m CopyMode) String() string {
	switch m {
	case CopyExisting:
		return "existing"
	case CopyMount:
		return "mount"
	case CopyStream:
		return "stream"
	}
	return fmt.Sprintf("CopyMode(%d)", int(m))
}

// PlanCopy tells how Push to target will bring over the blobs of an image
// read from source (both references as the user spells them), for progress
// messages and dry runs: CopyExisting within one repository, CopyMount
// between repositories of one registry, CopyStream between registries. It
// does not ask the registries; whatever the mode, ggcr first checks each blob
// (HEAD) and sends nothing for those the target repository has.
func (c *Client) PlanCopy(source, target string) (CopyMode, error) {
	s, err := c.ParseReference(source)
	if err != nil {
		return 0, err
	}
	t, err := c.ParseReference(target)
	if err != nil {
		return 0, err
	}
	if registryKey(s.Context().RegistryStr()) != registryKey(t.Context().RegistryStr()) {
		return CopyStream, nil
	}
	if s.Context().RepositoryStr() == t.Context().RepositoryStr() {
		return CopyExisting, nil
	}
	return CopyMount, nil
}

// IsAttestation reports whether an index entry is a buildx attestation
// (provenance, SBOM) rather than an image for a platform: annotation
// vnd.docker.reference.type=attestation-manifest, or platform
// unknown/unknown.
func IsAttestation(d v1.Descriptor) bool { return isAttestation(d) }
