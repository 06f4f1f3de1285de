package cli

import (
	"context"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/polyarch/polyarch/container"
	"github.com/polyarch/polyarch/image"
	"github.com/polyarch/polyarch/platform"
	"github.com/polyarch/polyarch/store"
)

// storeRoot is --root, else /var/lib/polyarch for root and
// $XDG_DATA_HOME/polyarch (~/.local/share/polyarch) for everyone else.
func (e *env) storeRoot(cmd *cobra.Command) string {
	if r, _ := cmd.Flags().GetString("root"); r != "" {
		return r
	}
	if e.uid == 0 {
		return "/var/lib/polyarch"
	}
	if x := e.getenv("XDG_DATA_HOME"); x != "" {
		return filepath.Join(x, "polyarch")
	}
	return filepath.Join(e.getenv("HOME"), ".local", "share", "polyarch")
}

func (e *env) openStore(cmd *cobra.Command, opts ...store.Option) (*store.Store, error) {
	if e.uid != 0 { // files of subordinate ids are deleted from inside the user namespace
		opts = append([]store.Option{store.WithRemover(container.Remover(e.self))}, opts...)
	}
	return store.Open(cmd.Context(), e.storeRoot(cmd), opts...)
}

// SandboxFuncs are the functions sandboxes run inside user namespaces.
func SandboxFuncs() map[string]func([]string) error { return container.Funcs() }

// configPath is $XDG_CONFIG_HOME/polyarch/config.toml (~/.config/…).
func (e *env) configPath() string {
	dir := e.getenv("XDG_CONFIG_HOME")
	if dir == "" {
		dir = filepath.Join(e.getenv("HOME"), ".config")
	}
	return filepath.Join(dir, "polyarch", "config.toml")
}

// authFile is where credentials live: REGISTRY_AUTH_FILE, else
// $DOCKER_CONFIG/config.json, else ~/.docker/config.json.
func (e *env) authFile() string {
	if f := e.getenv("REGISTRY_AUTH_FILE"); f != "" {
		return f
	}
	if d := e.getenv("DOCKER_CONFIG"); d != "" {
		return filepath.Join(d, "config.json")
	}
	return filepath.Join(e.getenv("HOME"), ".docker", "config.json")
}

// imageClient builds the registry client from the environment and config.
func (e *env) imageClient(ctx context.Context, progress func(image.Event)) (*image.Client, error) {
	cfg, err := image.LoadConfig(e.configPath())
	if err != nil {
		return nil, err
	}
	opts := []image.Option{image.WithConfig(cfg), image.WithAuthFile(e.authFile())}
	if progress != nil {
		opts = append(opts, image.WithProgress(progress))
	}
	return image.NewClient(opts...)
}

// parsePlatformFlag parses --platform; "" means nil (the image's own).
func parsePlatformFlag(s string) (*platform.Platform, error) {
	if s == "" {
		return nil, nil
	}
	p, err := platform.Parse(s)
	if err != nil {
		return nil, err
	}
	return &p, nil
}
