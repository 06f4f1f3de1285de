package image

import (
	"context"
	"crypto/tls"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/registry"

	"github.com/polyarch/polyarch/platform"
)

func TestMirrors(t *testing.T) {
	img := platformImage(t, "linux/arm64")
	tests := []struct {
		name       string
		mirrors    []string // "has", "empty", "down", "prefix": which kind of mirror, in order
		wantServer int      // index into mirrors of the one that serves; -1: the origin
	}{
		{name: "mirror has the image", mirrors: []string{"has"}, wantServer: 0},
		{name: "mirror lacks it: fall back to the registry", mirrors: []string{"empty"}, wantServer: -1},
		{name: "mirror down: fall back to the registry", mirrors: []string{"down"}, wantServer: -1},
		{name: "tried in order", mirrors: []string{"empty", "down", "has", "has"}, wantServer: 2},
		{name: "mirror with a path prefix", mirrors: []string{"prefix"}, wantServer: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			origin := newRegistry(t, nil)
			pushImage(t, origin.host+"/library/app:1", img)
			var regs []*testRegistry
			var hosts []string
			for _, kind := range tt.mirrors {
				m := newRegistry(t, nil)
				host := m.host
				switch kind {
				case "has":
					pushImage(t, m.host+"/library/app:1", img)
				case "prefix":
					pushImage(t, m.host+"/hub-proxy/library/app:1", img)
					host += "/hub-proxy"
				case "down":
					m.srv.Close()
				}
				regs = append(regs, m)
				hosts = append(hosts, host)
			}
			st := openStore(t)
			c := newTestClient(t, WithMirrors(origin.host, hosts...))
			p, err := c.Pull(context.Background(), origin.host+"/library/app:1", nil, st)
			if err != nil {
				t.Fatal(err)
			}
			if p.Ref != origin.host+"/library/app:1" || p.Digest != digestOf(t, img) {
				t.Errorf("pulled %s %s", p.Ref, p.Digest)
			}
			for i, m := range regs {
				served := m.hitCount("GET blobs") > 0
				if served != (i == tt.wantServer) {
					t.Errorf("mirror %d (%s) served blobs: %v", i, tt.mirrors[i], served)
				}
			}
			fromOrigin := origin.hitCount("GET manifests") > 0
			if fromOrigin != (tt.wantServer == -1) {
				t.Errorf("origin asked for the manifest: %v", fromOrigin)
			}
			// Tagged under the original name, whoever served it.
			if _, err := c.LocalImage(st, origin.host+"/library/app:1", nil); err != nil {
				t.Error(err)
			}
		})
	}
}

// dialTo makes a transport that connects every address to addr, so a test
// can use a registry name that is not a loopback address.
func dialTo(addr string) *http.Transport {
	d := &net.Dialer{}
	return &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
		return d.DialContext(ctx, network, addr)
	}}
}

func TestInsecureRegistries(t *testing.T) {
	img := platformImage(t, "linux/amd64")
	quiet := registry.Logger(log.New(io.Discard, "", 0))
	plain := httptest.NewServer(registry.New(quiet))
	defer plain.Close()
	selfSigned := httptest.NewTLSServer(registry.New(quiet))
	defer selfSigned.Close()
	// Push through the loopback names, which need no configuration.
	pushImage(t, strings.TrimPrefix(plain.URL, "http://")+"/app:1", img)
	tlsPush := &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}
	if err := pushWith(strings.TrimPrefix(selfSigned.URL, "https://")+"/app:1", img, tlsPush); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name     string
		server   *httptest.Server
		insecure bool
		err      string
	}{
		{name: "plain HTTP needs insecure", server: plain, err: "speaks plain HTTP: mark it insecure"},
		{name: "plain HTTP when insecure", server: plain, insecure: true},
		{name: "self-signed needs insecure", server: selfSigned, err: "certificate is not trusted"},
		{name: "self-signed when insecure", server: selfSigned, insecure: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := tt.server.Listener.Addr().String()
			_, port, _ := net.SplitHostPort(addr)
			host := "registry.lan:" + port
			opts := []Option{WithTransport(dialTo(addr))}
			if tt.insecure {
				opts = append(opts, WithConfig(Config{Registries: map[string]RegistryConfig{host: {Insecure: true}}}))
			}
			c := newTestClient(t, opts...)
			p, err := c.Pull(context.Background(), host+"/app:1", ptr(platform.MustParse("linux/amd64")), openStore(t))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.Digest != digestOf(t, img) {
				t.Errorf("digest %s", p.Digest)
			}
		})
	}
}
