package image

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/polyarch/polyarch/platform"
	"github.com/polyarch/polyarch/store"
)

// Pulled is an image in the store for one platform.
type Pulled struct {
	// Ref is the normalised full reference (ref.Name()), which is also the
	// store tag: index.docker.io/library/busybox:latest.
	Ref string
	// Digest is the platform's image manifest digest.
	Digest v1.Hash
	// Image is read from the store.
	Image v1.Image
	// Platform is the image's platform, normalised: from the index entry
	// that was selected, or from the config of a single-platform image.
	Platform platform.Platform
}

// Pull resolves ref (trying the registry's mirrors first), selects want's
// image manifest and writes that image into st, then tags it; see doc.go for
// how the tag keeps several platforms. Layers are verified while they are
// stored; blobs already in st are not downloaded again, and an image already
// complete in st costs only the manifest requests. An interrupted download is
// resumed (the blobs finished are kept) as WithRetryBackoff allows.
//
// want nil means: the host's platform (platform.Host) when ref is an index,
// and the image's own platform when ref is a single-platform image. A
// single-platform image of another platform than a non-nil want is an error
// (*PlatformError), so is an index entry whose image config says another
// architecture than the entry.
func (c *Client) Pull(ctx context.Context, ref string, want *platform.Platform, st *store.Store) (Pulled, error) {
	r, err := c.ParseReference(ref)
	if err != nil {
		return Pulled{}, err
	}
	release, err := st.Hold(ctx) // keep GC away until the image is tagged
	if err != nil {
		return Pulled{}, fmt.Errorf("pulling %s: %w", r.Name(), err)
	}
	defer release()
	var t *target
	err = c.retrying(ctx, r.Name(), func() (err error) {
		t, err = c.resolve(ctx, r, want, st)
		return err
	})
	if err != nil {
		return Pulled{}, wrapRef("pulling", r, err)
	}
	d, err := c.write(ctx, st, t)
	if err != nil {
		return Pulled{}, fmt.Errorf("pulling %s (%s): %w", r.Name(), platform.Format(t.platform), err)
	}
	if err := c.tagPulled(ctx, st, t); err != nil {
		return Pulled{}, fmt.Errorf("pulling %s: %w", r.Name(), err)
	}
	img, err := st.Image(d)
	if err != nil {
		return Pulled{}, fmt.Errorf("pulling %s: %w", r.Name(), err)
	}
	return Pulled{Ref: r.Name(), Digest: d, Image: img, Platform: t.platform}, nil
}

// Resolve returns the descriptor of ref's image manifest for want (nil: as
// in Pull) without pulling: its digest, size, media type and platform. It
// reads the manifest (and index) and the image config, whose platform is
// checked as Pull checks it.
func (c *Client) Resolve(ctx context.Context, ref string, want *platform.Platform) (v1.Descriptor, error) {
	r, err := c.ParseReference(ref)
	if err != nil {
		return v1.Descriptor{}, err
	}
	var t *target
	err = c.retrying(ctx, r.Name(), func() (err error) {
		t, err = c.resolve(ctx, r, want, nil)
		return err
	})
	if err != nil {
		return v1.Descriptor{}, wrapRef("resolving", r, err)
	}
	return t.desc, nil
}

// wrapRef wraps err with the operation and the reference, leaving out the
// reference when err names it already.
func wrapRef(op string, r name.Reference, err error) error {
	var pe *PlatformError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", op, err)
	}
	return fmt.Errorf("%s %s: %w", op, r.Name(), err)
}

// target is what a reference resolves to for one platform.
type target struct {
	ref       name.Reference    // as the user named it
	desc      v1.Descriptor     // the platform's image manifest; Platform set, normalised
	platform  platform.Platform // normalised
	img       v1.Image          // remote and lazy, from the endpoint that answered
	fromIndex bool              // ref names an index
}

// resolve fetches ref's manifest and selects want's image. The image config
// is read from st when st has it (st may be nil).
func (c *Client) resolve(ctx context.Context, ref name.Reference, want *platform.Platform, st *store.Store) (*target, error) {
	rd, src, err := c.fetch(ctx, ref)
	if err != nil {
		return nil, err
	}
	t := &target{ref: ref}
	switch {
	case rd.MediaType.IsIndex():
		err = c.resolveIndex(t, rd, want, st)
	case rd.MediaType.IsImage():
		err = resolveImage(t, rd, want, st)
	default:
		err = fmt.Errorf("%s is a %s, not an image or an image index", src.Name(), rd.MediaType)
	}
	if err != nil {
		return nil, err
	}
	t.desc.Platform = toV1(t.platform)
	return t, nil
}

func (c *Client) resolveIndex(t *target, rd *remote.Descriptor, want *platform.Platform, st *store.Store) error {
	idx, err := rd.ImageIndex()
	if err != nil {
		return err
	}
	w := platform.Host()
	if want != nil {
		w = *want
	}
	d, err := SelectManifest(idx, w)
	if err != nil {
		var pe *PlatformError
		if errors.As(err, &pe) {
			pe.Ref = t.ref.Name()
		}
		return err
	}
	t.desc, t.fromIndex = d, true
	t.platform = platform.Normalize(fromV1(d.Platform))
	if t.img, err = idx.Image(d.Digest); err != nil {
		return fmt.Errorf("reading the %s manifest %s: %w", platform.Format(t.platform), d.Digest, err)
	}
	cp, err := configPlatform(t.img, st)
	if err != nil {
		return err
	}
	return checkEntry(t.ref.Name(), t.platform, cp)
}

func resolveImage(t *target, rd *remote.Descriptor, want *platform.Platform, st *store.Store) error {
	img, err := rd.Image()
	if err != nil {
		return err
	}
	p, err := configPlatform(img, st)
	if err != nil {
		return err
	}
	if err := checkSingle(t.ref.Name(), p, want); err != nil {
		return err
	}
	t.img, t.platform = img, p
	t.desc = v1.Descriptor{MediaType: rd.MediaType, Size: rd.Size, Digest: rd.Digest}
	return nil
}

// configPlatform reads the platform of img's config, from st when it has
// the config blob (st may be nil), else from img.
func configPlatform(img v1.Image, st *store.Store) (platform.Platform, error) {
	m, err := img.Manifest()
	if err != nil {
		return platform.Platform{}, fmt.Errorf("reading manifest: %w", err)
	}
	if st == nil || !st.HasBlob(m.Config.Digest) {
		return imagePlatform(img)
	}
	rc, err := st.OpenBlob(m.Config.Digest)
	if err != nil {
		return platform.Platform{}, err
	}
	defer rc.Close()
	cf, err := v1.ParseConfigFile(rc)
	if err != nil {
		return platform.Platform{}, fmt.Errorf("parsing stored config %s: %w", m.Config.Digest, err)
	}
	return platform.Normalize(fromV1(cf.Platform())), nil
}

// write stores t's image, reporting progress, and tries again (keeping the
// blobs already stored) when a download was cut off.
func (c *Client) write(ctx context.Context, st *store.Store, t *target) (v1.Hash, error) {
	img := t.img
	if c.opts.progress != nil {
		m, err := img.Manifest()
		if err != nil {
			return v1.Hash{}, err
		}
		ev := Event{Ref: t.ref.Name(), Platform: t.platform, Kind: LayerCached}
		for _, l := range m.Layers {
			if st.HasBlob(l.Digest) {
				ev.Layer, ev.Done, ev.Total = l.Digest, l.Size, l.Size
				c.emit(ev)
			}
		}
		img = &progressImage{Image: img, emit: c.opts.progress, event: Event{Ref: t.ref.Name(), Platform: t.platform}}
	}
	var d v1.Hash
	err := c.retrying(ctx, t.ref.Name(), func() (err error) {
		d, err = st.WriteImage(ctx, img)
		return err
	})
	return d, err
}

// retrying calls fn until it succeeds, fails for good, or the attempts of
// the retry backoff are used up. ggcr retries failed requests, but not a
// response body cut off halfway: this covers those (blobs already stored
// are kept, so a retried write resumes).
func (c *Client) retrying(ctx context.Context, ref string, fn func() error) error {
	b := c.opts.backoff
	for attempt := 1; ; attempt++ {
		err := fn()
		if err == nil || attempt >= max(c.opts.backoff.Steps, 1) || !retryable(err) || ctx.Err() != nil {
			return err
		}
		c.opts.logger.Info("transfer interrupted, trying again", "ref", ref, "attempt", attempt, "err", err)
		if err := sleep(ctx, b.Step()); err != nil {
			return err
		}
	}
}

// retryable reports whether a failed download is worth resuming: the
// connection broke or timed out while a body was read. Error answers (429,
// 5xx) are not: ggcr's transport has retried those already, and retrying
// its retries would multiply the waits.
func retryable(err error) bool {
	var nerr net.Error
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.EPIPE), errors.Is(err, net.ErrClosed):
		return true
	case errors.As(err, &nerr) && nerr.Timeout():
		return true
	}
	return false
}
