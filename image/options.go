package image

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Option configures a Client, ParseReference (which reads only the insecure
// registries and the Config) and Login (which reads the insecure registries,
// the transport and the user agent).
type Option func(*options)

type options struct {
	keychain  authn.Keychain // nil: authFiles
	authFiles []string
	insecure  map[string]bool     // registryKey → true
	mirrors   map[string][]string // registryKey → "host[:port][/prefix]", in order
	backoff   remote.Backoff
	jobs      int
	progress  func(Event)
	transport http.RoundTripper
	userAgent string
	logger    *slog.Logger
}

// defaultBackoff makes 5 attempts, waiting 1s, 3s, 9s and 27s (±10%)
// between them.
func defaultBackoff() remote.Backoff {
	return remote.Backoff{Duration: time.Second, Factor: 3, Jitter: 0.1, Steps: 5}
}

// retryStatusCodes are the answers worth asking again: timeouts, rate limits
// (429, the distribution spec's TOOMANYREQUESTS) and server errors, as in
// ggcr's defaults.
func retryStatusCodes() []int {
	return []int{
		http.StatusRequestTimeout, http.StatusTooManyRequests,
		http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout,
	}
}

func newOptions() options {
	return options{
		insecure:  map[string]bool{},
		mirrors:   map[string][]string{},
		backoff:   defaultBackoff(),
		jobs:      4,
		transport: remote.DefaultTransport,
		userAgent: "polyarch",
		logger:    slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
}

// WithKeychain replaces how credentials are found. Default: the auth files
// given with WithAuthFile (anonymous access when there are none).
func WithKeychain(k authn.Keychain) Option {
	return func(o *options) { o.keychain = k }
}

// WithAuthFile adds a Docker config.json-format auth file (REGISTRY_AUTH_FILE,
// $DOCKER_CONFIG/config.json, ~/.docker/config.json, podman's auth.json) to
// consult for credentials. Repeat it to give several: they are consulted in
// the order given and the first with credentials for the registry wins.
// "auths" entries, "credHelpers" and "credsStore" are honoured as Docker does
// (a helper is the program docker-credential-<name> on PATH). A file that
// does not exist is skipped. Default: no files, so anonymous access.
func WithAuthFile(path string) Option {
	return func(o *options) {
		if path != "" {
			o.authFiles = append(o.authFiles, path)
		}
	}
}

// WithInsecureRegistries marks registries (host[:port]; "docker.io" means
// Docker Hub) as insecure, as Docker's insecure-registries: HTTPS is tried
// first without verifying the certificate, then plain HTTP. Repeatable.
// Default: none (localhost, 127.0.0.1 and [::1] fall back to HTTP anyway).
// Invalid names are reported by NewClient.
func WithInsecureRegistries(hosts ...string) Option {
	return func(o *options) {
		for _, h := range hosts {
			o.insecure[registryKey(h)] = true
		}
	}
}

// WithMirrors sets the mirrors of a registry ("docker.io" for Docker Hub):
// endpoints "host[:port]" or "host[:port]/path-prefix" asked in order for a
// manifest before the registry itself, which is the fallback when no mirror
// has it. The image is tagged in the store under its original name. Replaces
// earlier mirrors of that registry. Default: none.
func WithMirrors(registry string, mirrors ...string) Option {
	return func(o *options) {
		o.mirrors[registryKey(registry)] = append([]string(nil), mirrors...)
	}
}

// WithConfig applies a Config read by LoadConfig: its mirrors and insecure
// registries, as WithMirrors and WithInsecureRegistries would.
func WithConfig(cfg Config) Option {
	return func(o *options) {
		for host, r := range cfg.Registries {
			if r.Insecure {
				WithInsecureRegistries(host)(o)
			}
			if len(r.Mirrors) > 0 {
				WithMirrors(host, r.Mirrors...)(o)
			}
		}
	}
}

// WithRetryBackoff sets how requests failing with a connection reset, a
// timeout, 429 or a 5xx are retried, and how often an interrupted layer
// download is resumed (blobs already stored are kept). Steps is the number
// of attempts in all. Default: 5 attempts, waiting 1s, 3s, 9s, 27s (±10%).
func WithRetryBackoff(b remote.Backoff) Option {
	return func(o *options) { o.backoff = b }
}

// WithJobs bounds how many blobs are downloaded at once per registry.
// Default: 4. (The store bounds how many it writes at once too; see
// store.WithWriteConcurrency.)
func WithJobs(n int) Option {
	return func(o *options) { o.jobs = max(n, 1) }
}

// WithProgress sets a callback receiving an Event as layers are found in the
// store or downloaded. It is called from several goroutines at once and must
// not block for long. Default: none.
func WithProgress(fn func(Event)) Option {
	return func(o *options) { o.progress = fn }
}

// WithTransport sets the HTTP transport (proxies, extra CA certificates).
// For insecure registries an *http.Transport is cloned with certificate
// verification off; other RoundTrippers are used as they are. Default:
// remote.DefaultTransport (which honours HTTPS_PROXY and friends).
func WithTransport(t http.RoundTripper) Option {
	return func(o *options) { o.transport = t }
}

// WithUserAgent sets the User-Agent sent to registries. Default: "polyarch".
func WithUserAgent(ua string) Option {
	return func(o *options) { o.userAgent = ua }
}

// WithLogger sets where mirror fallbacks and retries are logged (at debug
// and info level). Default: discard.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) { o.logger = l }
}

// Client resolves and pulls images. It is safe for concurrent use.
type Client struct {
	opts     options
	mirrors  map[string][]mirror // registryKey → parsed mirrors
	keychain authn.Keychain
	// insecureTransport is opts.transport without certificate checks.
	insecureTransport http.RoundTripper

	// tagMu serialises the read-merge-write of per-platform tags (see
	// Pull) among this Client's goroutines.
	tagMu sync.Mutex
}

// NewClient returns a Client. It fails on invalid registry or mirror names.
func NewClient(opts ...Option) (*Client, error) {
	c := &Client{opts: newOptions(), mirrors: map[string][]mirror{}}
	for _, opt := range opts {
		opt(&c.opts)
	}
	for host := range c.opts.insecure {
		if _, err := checkRegistryHost(host); err != nil {
			return nil, fmt.Errorf("insecure registries: %w", err)
		}
	}
	for host, list := range c.opts.mirrors {
		if _, err := checkRegistryHost(host); err != nil {
			return nil, fmt.Errorf("mirrors: %w", err)
		}
		for _, s := range list {
			m, err := parseMirror(s)
			if err != nil {
				return nil, fmt.Errorf("mirrors of %s: %w", host, err)
			}
			c.mirrors[host] = append(c.mirrors[host], m)
		}
	}
	c.insecureTransport = makeInsecureTransport(c.opts.transport)
	c.keychain = c.opts.keychain
	if c.keychain == nil {
		c.keychain = fileKeychain{paths: c.opts.authFiles}
	}
	return c, nil
}

// ParseReference is the package's ParseReference with the Client's insecure
// registries.
func (c *Client) ParseReference(s string) (name.Reference, error) {
	return c.opts.parse(s)
}

// emit sends ev to the progress callback, if any.
func (c *Client) emit(ev Event) {
	if c.opts.progress != nil {
		c.opts.progress(ev)
	}
}

// sleep waits d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
