package image

import (
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
)

func TestParseReference(t *testing.T) {
	const dig = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	tests := []struct {
		in       string
		insecure []string
		name     string // ref.Name()
		scheme   string // of the registry: "http" means plain HTTP is allowed
		err      string
	}{
		{in: "busybox", name: "index.docker.io/library/busybox:latest", scheme: "https"},
		{in: "busybox:1.36", name: "index.docker.io/library/busybox:1.36", scheme: "https"},
		{in: "docker.io/library/busybox", name: "index.docker.io/library/busybox:latest", scheme: "https"},
		{in: "user/app", name: "index.docker.io/user/app:latest", scheme: "https"},
		{in: "busybox@" + dig, name: "index.docker.io/library/busybox@" + dig, scheme: "https"},
		{in: "busybox:1.36@" + dig, name: "index.docker.io/library/busybox@" + dig, scheme: "https"},
		{in: "ghcr.io/o/app:v1", name: "ghcr.io/o/app:v1", scheme: "https"},
		{in: "localhost:5000/x:1", name: "localhost:5000/x:1", scheme: "http"},
		{in: "localhost/x", name: "localhost/x:latest", scheme: "http"},
		{in: "127.0.0.2:5000/x", name: "127.0.0.2:5000/x:latest", scheme: "http"},
		{in: "app.localhost/x", name: "app.localhost/x:latest", scheme: "http"},
		{in: "127.0.0.1:5000/x", name: "127.0.0.1:5000/x:latest", scheme: "http"},
		{in: "[::1]:5000/x", name: "[::1]:5000/x:latest", scheme: "http"},
		{in: "registry.lan:5000/x", name: "registry.lan:5000/x:latest", scheme: "https"},
		{in: "registry.lan:5000/x", insecure: []string{"registry.lan:5000"}, name: "registry.lan:5000/x:latest", scheme: "http"},
		{in: "Registry.LAN:5000/x", insecure: []string{"registry.lan:5000"}, name: "Registry.LAN:5000/x:latest", scheme: "http"},
		{in: "registry.lan/x", insecure: []string{"registry.lan:5000"}, name: "registry.lan/x:latest", scheme: "https"},
		{in: "busybox", insecure: []string{"docker.io"}, name: "index.docker.io/library/busybox:latest", scheme: "http"},
		{in: "", err: "empty string"},
		{in: "Busybox", err: "want e.g. busybox"},
		{in: "https://ghcr.io/o/app", err: "URL scheme"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			ref, err := ParseReference(tt.in, WithInsecureRegistries(tt.insecure...))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if ref.Name() != tt.name || ref.Context().Scheme() != tt.scheme {
				t.Errorf("got %s (%s), want %s (%s)", ref.Name(), ref.Context().Scheme(), tt.name, tt.scheme)
			}
		})
	}
}

func TestMirrorOn(t *testing.T) {
	ref, err := name.ParseReference("busybox:1.36")
	if err != nil {
		t.Fatal(err)
	}
	dref, err := name.ParseReference("busybox@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		mirror string
		ref    name.Reference
		want   string
	}{
		{"mirror.example:5000", ref, "mirror.example:5000/library/busybox:1.36"},
		{"https://mirror.example:5000/", ref, "mirror.example:5000/library/busybox:1.36"},
		{"harbor.example/dockerhub", ref, "harbor.example/dockerhub/library/busybox:1.36"},
		{"mirror.example", dref, "mirror.example/library/busybox@" + dref.Identifier()},
	}
	for _, tt := range tests {
		m, err := parseMirror(tt.mirror)
		if err != nil {
			t.Fatal(err)
		}
		got, err := m.on(tt.ref, false)
		if err != nil || got.Name() != tt.want {
			t.Errorf("%s on %s = %v, %v; want %s", tt.mirror, tt.ref, got, err, tt.want)
		}
	}
}
