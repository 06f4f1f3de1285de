package image

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/BurntSushi/toml"
)

// Config is polyarch's registry configuration, read by LoadConfig from the
// TOML file whose format doc.go describes, and applied with WithConfig.
type Config struct {
	// Registries maps a registry to its settings. Keys are normalised: lower
	// case, and every Docker Hub alias (docker.io, index.docker.io,
	// registry-1.docker.io) is "index.docker.io".
	Registries map[string]RegistryConfig
}

// RegistryConfig is one [registry."host"] table.
type RegistryConfig struct {
	// Mirrors are tried in order before the registry itself:
	// "host[:port]" or "host[:port]/path-prefix".
	Mirrors []string
	// Insecure allows plain HTTP and unverified certificates.
	Insecure bool
}

// fileConfig is the TOML shape of Config.
type fileConfig struct {
	Registry map[string]struct {
		Mirrors  []string `toml:"mirrors"`
		Insecure bool     `toml:"insecure"`
	} `toml:"registry"`
}

// LoadConfig reads the config file at path (the CLI passes
// $XDG_CONFIG_HOME/polyarch/config.toml). A missing file is an empty
// Config. Unknown keys, invalid registry or mirror names and a registry
// listed twice (e.g. as docker.io and index.docker.io) are errors naming the
// file.
func LoadConfig(path string) (Config, error) {
	raw, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Config{Registries: map[string]RegistryConfig{}}, nil
	}
	if err != nil {
		return Config{}, fmt.Errorf("reading config: %w", err)
	}
	cfg, err := parseConfig(raw)
	if err != nil {
		return Config{}, fmt.Errorf("config file %s: %w", path, err)
	}
	return cfg, nil
}

// parseConfig decodes and validates a config file's content.
func parseConfig(raw []byte) (Config, error) {
	var fc fileConfig
	md, err := toml.Decode(string(raw), &fc)
	if err != nil {
		return Config{}, err
	}
	if undecoded := md.Undecoded(); len(undecoded) > 0 {
		keys := make([]string, len(undecoded))
		for i, k := range undecoded {
			keys[i] = k.String()
		}
		return Config{}, fmt.Errorf("unknown key %s (a [registry.\"host\"] table takes mirrors = [...] and insecure = true|false)",
			strings.Join(keys, ", "))
	}
	cfg := Config{Registries: map[string]RegistryConfig{}}
	for host, r := range fc.Registry {
		key, err := checkRegistryHost(host)
		if err != nil {
			return Config{}, fmt.Errorf("[registry.%q]: %w", host, err)
		}
		if _, dup := cfg.Registries[key]; dup {
			return Config{}, fmt.Errorf("[registry.%q]: %s is configured twice (under another spelling)", host, displayRegistry(key))
		}
		for _, m := range r.Mirrors {
			if _, err := parseMirror(m); err != nil {
				return Config{}, fmt.Errorf("[registry.%q]: %w", host, err)
			}
		}
		cfg.Registries[key] = RegistryConfig{Mirrors: r.Mirrors, Insecure: r.Insecure}
	}
	return cfg, nil
}
