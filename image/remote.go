package image

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// transportFor returns the HTTP transport for a registry: for an insecure
// one, a clone of the configured *http.Transport that does not verify
// certificates (Docker's insecure-registries accept self-signed ones too).
func (c *Client) transportFor(reg name.Registry) http.RoundTripper {
	if !c.opts.insecure[registryKey(reg.RegistryStr())] {
		return c.opts.transport
	}
	return c.insecureTransport
}

// makeInsecureTransport clones t with certificate verification off, or
// returns t itself if it is not an *http.Transport.
func makeInsecureTransport(t http.RoundTripper) http.RoundTripper {
	ht, ok := t.(*http.Transport)
	if !ok {
		return t
	}
	ht = ht.Clone()
	if ht.TLSClientConfig == nil {
		ht.TLSClientConfig = &tls.Config{}
	}
	ht.TLSClientConfig.InsecureSkipVerify = true //nolint:gosec // the user listed the registry as insecure
	return ht
}

// remoteOptions are the ggcr options for talking to reg: auth, transport,
// retries (ggcr's retry transport retries connection resets, 429 and 5xx
// with exponential backoff) and download parallelism.
func (c *Client) remoteOptions(ctx context.Context, reg name.Registry, backoff remote.Backoff) []remote.Option {
	return []remote.Option{
		remote.WithContext(ctx),
		remote.WithAuthFromKeychain(c.keychain),
		remote.WithTransport(c.transportFor(reg)),
		remote.WithJobs(c.opts.jobs),
		remote.WithRetryBackoff(backoff),
		remote.WithRetryStatusCodes(retryStatusCodes()...),
		remote.WithUserAgent(c.opts.userAgent),
	}
}

// fetch gets ref's manifest or index, from the first of the registry's
// mirrors that has it, else from the registry itself. It returns the
// descriptor (whose Image or ImageIndex keeps fetching from the same
// endpoint with the same authenticated transport) and the reference on the
// endpoint that answered.
func (c *Client) fetch(ctx context.Context, ref name.Reference) (*remote.Descriptor, name.Reference, error) {
	for _, m := range c.mirrors[registryKey(ref.Context().RegistryStr())] {
		mref, err := m.on(ref, c.opts.plainHTTP(m.host))
		if err != nil {
			c.opts.logger.Info("skipping mirror", "mirror", m.String(), "ref", ref.Name(), "err", err)
			continue
		}
		// A failing mirror gets one retry, not the full backoff: the
		// registry itself is the fallback.
		b := c.opts.backoff
		b.Steps = min(b.Steps, 2)
		d, err := c.get(ctx, mref, b)
		if err == nil {
			c.opts.logger.Debug("using mirror", "mirror", m.String(), "ref", mref.Name())
			return d, mref, nil
		}
		if ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		c.opts.logger.Info("mirror failed, trying the next endpoint", "mirror", m.String(), "ref", mref.Name(), "err", err)
	}
	d, err := c.get(ctx, ref, c.opts.backoff)
	if err != nil {
		return nil, nil, explain(ref.Context().Registry, err)
	}
	return d, ref, nil
}

func (c *Client) get(ctx context.Context, ref name.Reference, b remote.Backoff) (*remote.Descriptor, error) {
	p, err := remote.NewPuller(c.remoteOptions(ctx, ref.Context().Registry, b)...)
	if err != nil {
		return nil, err
	}
	return p.Get(ctx, ref)
}

// displayRegistry names a registry the way users type it (docker.io, not
// index.docker.io).
func displayRegistry(reg string) string {
	if reg == dockerHub {
		return "docker.io"
	}
	return reg
}

// explain adds what to do next to a registry error.
func explain(reg name.Registry, err error) error {
	host := displayRegistry(reg.RegistryStr())
	var terr *transport.Error
	if errors.As(err, &terr) {
		switch terr.StatusCode {
		case http.StatusUnauthorized, http.StatusForbidden:
			return fmt.Errorf("%w (if the image is private, log in first: polyarch login %s)", err, host)
		case http.StatusNotFound:
			return fmt.Errorf("%w (check the repository name and tag; some registries answer this for private images too: polyarch login %s)", err, host)
		case http.StatusTooManyRequests:
			return fmt.Errorf("%w (the registry is rate-limiting: log in to %s for a higher limit, configure a mirror, or wait)", err, host)
		}
	}
	if strings.Contains(err.Error(), "server gave HTTP response to HTTPS client") {
		return fmt.Errorf("%w (%s speaks plain HTTP: mark it insecure in the polyarch config file)", err, host)
	}
	if strings.Contains(err.Error(), "x509:") || strings.Contains(err.Error(), "tls:") {
		return fmt.Errorf("%w (%s's certificate is not trusted: install its CA, or mark it insecure in the polyarch config file)", err, host)
	}
	return err
}
