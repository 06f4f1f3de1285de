package image

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestParseConfig(t *testing.T) {
	tests := []struct {
		name string
		toml string
		want map[string]RegistryConfig
		err  string
	}{
		{name: "empty", toml: "", want: map[string]RegistryConfig{}},
		{
			name: "doc example",
			toml: `
[registry."docker.io"]
mirrors = ["mirror.example:5000", "harbor.example/dockerhub"]

[registry."registry.lan:5000"]
insecure = true
`,
			want: map[string]RegistryConfig{
				"index.docker.io":   {Mirrors: []string{"mirror.example:5000", "harbor.example/dockerhub"}},
				"registry.lan:5000": {Insecure: true},
			},
		},
		{
			name: "both settings, upper case host",
			toml: "[registry.\"Registry.LAN\"]\nmirrors = [\"m:1\"]\ninsecure = true\n",
			want: map[string]RegistryConfig{"registry.lan": {Mirrors: []string{"m:1"}, Insecure: true}},
		},
		{name: "typo in a key", toml: "[registry.\"docker.io\"]\nmirror = [\"m:1\"]\n", err: `unknown key registry."docker.io".mirror`},
		{name: "unknown table", toml: "[registries.\"docker.io\"]\ninsecure = true\n", err: "unknown key registries"},
		{name: "wrong type", toml: "[registry.\"docker.io\"]\ninsecure = \"yes\"\n", err: "insecure"},
		{name: "bad registry name", toml: "[registry.\"not a host\"]\ninsecure = true\n", err: "invalid registry name"},
		{name: "registry with a path", toml: "[registry.\"host/path\"]\ninsecure = true\n", err: "invalid registry name"},
		{name: "bad mirror", toml: "[registry.\"docker.io\"]\nmirrors = [\"bad mirror\"]\n", err: `mirror "bad mirror"`},
		{name: "same registry twice", toml: "[registry.\"docker.io\"]\ninsecure = true\n[registry.\"index.docker.io\"]\ninsecure = true\n", err: "configured twice"},
		{name: "not TOML", toml: "[registry\n", err: "toml: line"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := parseConfig([]byte(tt.toml))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(cfg.Registries, tt.want) {
				t.Errorf("got %#v, want %#v", cfg.Registries, tt.want)
			}
		})
	}
}

func TestLoadConfig(t *testing.T) {
	dir := t.TempDir()
	cfg, err := LoadConfig(filepath.Join(dir, "polyarch", "config.toml"))
	if err != nil || len(cfg.Registries) != 0 {
		t.Fatalf("missing file: %+v, %v", cfg, err)
	}
	path := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(path, []byte("[registry.\"docker.io\"]\nmirrors = [\"mirror.example:5000\"]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err = LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewClient(WithConfig(cfg))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.mirrors[dockerHub]; len(got) != 1 || got[0].String() != "mirror.example:5000" {
		t.Errorf("mirrors = %v", got)
	}
	if err := os.WriteFile(path, []byte("[registry.\"docker.io\"]\nmirorrs = []\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadConfig(path); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("a bad file's error must name it: %v", err)
	}
}

func TestNewClientRejectsBadNames(t *testing.T) {
	for _, opt := range []Option{
		WithMirrors("docker.io", "not a host"),
		WithMirrors("bad host", "m:1"),
		WithInsecureRegistries("x/y"),
	} {
		if _, err := NewClient(opt); err == nil {
			t.Error("NewClient accepted a bad name")
		}
	}
}

func FuzzParseConfig(f *testing.F) {
	f.Add([]byte("[registry.\"docker.io\"]\nmirrors = [\"mirror.example:5000\", \"h/p\"]\ninsecure = true\n"))
	f.Add([]byte("[registry.\"[::1]:5000\"]\ninsecure = false\n"))
	f.Add([]byte("registry = 1"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := parseConfig(data)
		if err != nil {
			return
		}
		// Whatever parses must be usable.
		if _, err := NewClient(WithConfig(cfg)); err != nil {
			t.Fatalf("parsed config %+v rejected by NewClient: %v", cfg, err)
		}
	})
}
