package image

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/docker/cli/cli/config/configfile"
	"github.com/docker/cli/cli/config/credentials"
	"github.com/docker/docker-credential-helpers/client"
	helpers "github.com/docker/docker-credential-helpers/credentials"
	"github.com/google/go-containerregistry/pkg/authn"
)

// fileKeychain finds credentials in Docker config.json-format files with the
// semantics of authn.DefaultKeychain (keys tried: the repository, then the
// registry, Docker Hub's being https://index.docker.io/v1/; "credHelpers"
// before "credsStore" before "auths"), but only in the files it is given:
// DefaultKeychain reads DOCKER_CONFIG, REGISTRY_AUTH_FILE and HOME itself,
// and package image leaves the environment to the CLI.
type fileKeychain struct {
	paths []string
}

func (k fileKeychain) Resolve(r authn.Resource) (authn.Authenticator, error) {
	return k.ResolveContext(context.Background(), r)
}

// ResolveContext returns the first credentials found for r, in file order,
// or authn.Anonymous.
func (k fileKeychain) ResolveContext(_ context.Context, r authn.Resource) (authn.Authenticator, error) {
	for _, path := range k.paths {
		cf, err := loadAuthFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		for _, key := range authKeys(r.String(), r.RegistryStr()) {
			ac, err := lookupAuth(cf, key)
			if err != nil {
				return nil, fmt.Errorf("reading credentials for %s from %s: %w", key, path, err)
			}
			if ac != (authn.AuthConfig{}) {
				return authn.FromConfig(ac), nil
			}
		}
	}
	return authn.Anonymous, nil
}

// loadAuthFile parses a config.json with docker/cli's parser, which decodes
// the base64 "auth" fields.
func loadAuthFile(path string) (*configfile.ConfigFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("opening auth file: %w", err)
	}
	defer f.Close()
	cf := configfile.New(path)
	if err := cf.LoadFromReader(f); err != nil {
		return nil, fmt.Errorf("parsing auth file %s: %w (fix the JSON, or log in again to rewrite it)", path, err)
	}
	return cf, nil
}

// authKeys lists the config keys for a repository (registry/path) and its
// registry, most specific first; Docker Hub's registry key is historical.
func authKeys(repo, registry string) []string {
	var keys []string
	for _, k := range []string{repo, authKey(registry)} {
		if k != "" && (len(keys) == 0 || keys[0] != k) {
			keys = append(keys, k)
		}
	}
	return keys
}

// authKey is the key Docker stores a registry's credentials under.
func authKey(registry string) string {
	if registryKey(registry) == dockerHub {
		return authn.DefaultAuthKey
	}
	return registry
}

// lookupAuth returns the credentials stored for key: from the credential
// helper configured for it, else from "auths" (whose legacy keys with a
// scheme or path also match, as in Docker).
func lookupAuth(cf *configfile.ConfigFile, key string) (authn.AuthConfig, error) {
	if helper := credentialHelper(cf.CredentialHelpers, cf.CredentialsStore, key); helper != "" {
		creds, err := client.Get(helperProgram(helper), key)
		if helpers.IsErrCredentialsNotFound(err) {
			return authn.AuthConfig{}, nil
		}
		if err != nil {
			return authn.AuthConfig{}, helperError(helper, err)
		}
		if creds.Username == "<token>" { // the helper protocol's identity-token marker
			return authn.AuthConfig{IdentityToken: creds.Secret}, nil
		}
		return authn.AuthConfig{Username: creds.Username, Password: creds.Secret}, nil
	}
	ac, err := credentials.NewFileStore(cf).Get(key)
	if err != nil {
		return authn.AuthConfig{}, err
	}
	return authn.AuthConfig{
		Username:      ac.Username,
		Password:      ac.Password,
		IdentityToken: ac.IdentityToken,
		RegistryToken: ac.RegistryToken,
	}, nil
}

// credentialHelper returns the helper for key: its "credHelpers" entry, else
// the "credsStore" default, else "".
func credentialHelper(perRegistry map[string]string, store, key string) string {
	if h, ok := perRegistry[key]; ok {
		return h
	}
	return store
}

// helperProgram runs docker-credential-<name>, found on PATH as Docker does.
func helperProgram(helper string) client.ProgramFunc {
	return client.NewShellProgramFunc("docker-credential-" + helper)
}

func helperError(helper string, err error) error {
	return fmt.Errorf("credential helper docker-credential-%s: %w (install it on PATH, or remove it from the auth file's credHelpers/credsStore)", helper, err)
}
