package image

import (
	"fmt"
	"net"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
)

// dockerHub is the registry name ggcr gives Docker Hub references
// ("busybox" is index.docker.io/library/busybox:latest).
const dockerHub = name.DefaultRegistry

// ParseReference parses an image reference the way Docker does: a missing
// registry is Docker Hub (index.docker.io), a missing namespace there is
// "library/", a missing tag is "latest" (busybox →
// index.docker.io/library/busybox:latest), and "repo:tag@sha256:…" pins the
// digest.
//
// Registries on this machine (localhost, *.localhost, 127.0.0.0/8, [::1],
// with or without a port) may be reached over plain HTTP after HTTPS fails,
// as Docker allows; so may registries named by WithInsecureRegistries or
// marked insecure in a Config given with WithConfig, and, because ggcr
// decides so, RFC 1918 addresses (10/8, 172.16/12, 192.168/16). ParseReference reads only those
// two options and ignores the others.
func ParseReference(s string, opts ...Option) (name.Reference, error) {
	o := newOptions()
	for _, opt := range opts {
		opt(&o)
	}
	return o.parse(s)
}

// parse is ParseReference with resolved options.
func (o *options) parse(s string) (name.Reference, error) {
	if strings.TrimSpace(s) == "" {
		return nil, fmt.Errorf("parsing image reference: empty string (want e.g. busybox, docker.io/library/alpine:3.20 or localhost:5000/app@sha256:<hex>)")
	}
	ref, err := name.ParseReference(s)
	if err != nil {
		return nil, fmt.Errorf("parsing image reference %q: %w (want e.g. busybox, docker.io/library/alpine:3.20 or localhost:5000/app@sha256:<hex>)", s, err)
	}
	if !o.plainHTTP(ref.Context().RegistryStr()) {
		return ref, nil
	}
	ref, err = name.ParseReference(s, name.Insecure)
	if err != nil {
		return nil, fmt.Errorf("parsing image reference %q: %w", s, err)
	}
	return ref, nil
}

// plainHTTP reports whether a registry may be reached over plain HTTP (after
// HTTPS fails): it is listed as insecure or is on this machine.
func (o *options) plainHTTP(reg string) bool {
	return o.insecure[registryKey(reg)] || isLoopback(reg)
}

// isLoopback reports whether a registry host[:port] is this machine:
// localhost, *.localhost or a loopback address (127.0.0.0/8, ::1), with or
// without a port. Docker treats those as insecure registries; ggcr already
// does for some spellings (localhost:port, 127.0.0.1, [::1]) but not for
// "localhost" without a port or 127.0.0.2.
func isLoopback(reg string) bool {
	host := reg
	if h, _, err := net.SplitHostPort(reg); err == nil {
		host = h
	}
	host = strings.ToLower(strings.Trim(host, "[]"))
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// registryKey is the form in which registry names are compared: lower case,
// and Docker Hub's aliases (docker.io, index.docker.io, registry-1.docker.io)
// folded into the name ggcr uses. It does not validate.
func registryKey(host string) string {
	host = strings.ToLower(strings.TrimSpace(host))
	host = strings.TrimPrefix(strings.TrimPrefix(host, "https://"), "http://")
	host = strings.TrimSuffix(host, "/")
	switch host {
	case "docker.io", "index.docker.io", "registry-1.docker.io":
		return dockerHub
	}
	return host
}

// checkRegistryHost validates a registry host[:port] from a config file or
// an option and returns its key.
func checkRegistryHost(host string) (string, error) {
	key := registryKey(host)
	if key == "" {
		return "", fmt.Errorf("empty registry name (want host[:port], e.g. docker.io or localhost:5000)")
	}
	if _, err := name.NewRegistry(key, name.StrictValidation); err != nil || strings.Contains(key, "/") {
		return "", fmt.Errorf("invalid registry name %q (want host[:port], e.g. docker.io or localhost:5000)", host)
	}
	return key, nil
}

// mirror is one endpoint serving a registry's repositories: a host and an
// optional path prefix put before the repository (a Harbor proxy project,
// say: harbor.example/dockerhub → harbor.example/dockerhub/library/busybox).
type mirror struct {
	host   string
	prefix string
}

// parseMirror reads "host[:port][/prefix]".
func parseMirror(s string) (mirror, error) {
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(strings.TrimPrefix(s, "https://"), "http://")
	host, prefix, _ := strings.Cut(strings.Trim(s, "/"), "/")
	key, err := checkRegistryHost(host)
	if err != nil {
		return mirror{}, fmt.Errorf("mirror %q: %w", s, err)
	}
	if prefix != "" {
		if _, err := name.NewRepository(key+"/"+prefix, name.StrictValidation); err != nil {
			return mirror{}, fmt.Errorf("mirror %q: invalid path %q: %w", s, prefix, err)
		}
	}
	return mirror{host: key, prefix: prefix}, nil
}

func (m mirror) String() string {
	if m.prefix == "" {
		return m.host
	}
	return m.host + "/" + m.prefix
}

// on returns ref as served by the mirror: same repository path (after the
// prefix), same tag or digest.
func (m mirror) on(ref name.Reference, insecure bool) (name.Reference, error) {
	repo := ref.Context().RepositoryStr()
	if m.prefix != "" {
		repo = m.prefix + "/" + repo
	}
	sep := ":"
	if _, ok := ref.(name.Digest); ok {
		sep = "@"
	}
	var opts []name.Option
	if insecure {
		opts = append(opts, name.Insecure)
	}
	return name.ParseReference(m.host+"/"+repo+sep+ref.Identifier(), opts...)
}
