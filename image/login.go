package image

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/docker/cli/cli/config/credentials"
	"github.com/docker/docker-credential-helpers/client"
	helpers "github.com/docker/docker-credential-helpers/credentials"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// ErrNotLoggedIn is returned by Logout when there are no credentials to
// remove.
var ErrNotLoggedIn = errors.New("not logged in")

// Login checks username and password against registry ("docker.io" or ""
// for Docker Hub, else host[:port]) and, if the registry accepts them, saves
// them in authFile, a Docker config.json-format file (created 0600 with its
// directory if missing). The credentials go where Docker would put them: to
// the credential helper the file configures for the registry ("credHelpers",
// else "credsStore"), otherwise into "auths"[registry]["auth"] as
// base64(user:password), replacing that entry and keeping everything else in
// the file. The file is replaced atomically.
//
// The check is the registry's own: a ping (GET /v2/), a token request when
// the registry uses bearer tokens, and GET /v2/ with the credentials. Login
// reads WithInsecureRegistries, WithTransport, WithRetryBackoff and
// WithUserAgent from opts.
func Login(ctx context.Context, registry, username, password, authFile string, opts ...Option) error {
	o := newOptions()
	for _, opt := range opts {
		opt(&o)
	}
	if registry == "" {
		registry = "docker.io"
	}
	key, err := checkRegistryHost(registry)
	if err != nil {
		return fmt.Errorf("logging in: %w", err)
	}
	host := displayRegistry(key)
	switch {
	case username == "":
		return fmt.Errorf("logging in to %s: empty username", host)
	case password == "":
		return fmt.Errorf("logging in to %s as %s: empty password", host, username)
	case authFile == "":
		return fmt.Errorf("logging in to %s: no auth file path given", host)
	}
	if err := verifyLogin(ctx, &o, key, username, password); err != nil {
		return fmt.Errorf("logging in to %s as %s: %w", host, username, err)
	}
	if err := saveAuth(authFile, authKey(key), username, password); err != nil {
		return fmt.Errorf("logging in to %s: %w", host, err)
	}
	return nil
}

// verifyLogin asks the registry whether it accepts the credentials.
func verifyLogin(ctx context.Context, o *options, key, username, password string) error {
	var nopts []name.Option
	if o.plainHTTP(key) {
		nopts = append(nopts, name.Insecure)
	}
	tr := o.transport
	if o.insecure[key] {
		tr = makeInsecureTransport(tr)
	}
	reg, err := name.NewRegistry(key, nopts...)
	if err != nil {
		return err
	}
	tr = transport.NewRetry(tr,
		transport.WithRetryBackoff(o.backoff),
		transport.WithRetryStatusCodes(retryStatusCodes()...))
	tr = transport.NewUserAgent(tr, o.userAgent)
	auth := authn.FromConfig(authn.AuthConfig{Username: username, Password: password})
	rt, err := transport.NewWithContext(ctx, reg, auth, tr, []string{reg.Scope(transport.PullScope)})
	if err != nil {
		return loginError(reg, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, reg.Scheme()+"://"+reg.RegistryStr()+"/v2/", nil)
	if err != nil {
		return err
	}
	resp, err := (&http.Client{Transport: rt}).Do(req)
	if err != nil {
		return loginError(reg, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if err := transport.CheckError(resp, http.StatusOK); err != nil {
		return loginError(reg, err)
	}
	return nil
}

// loginError says what a failed login means.
func loginError(reg name.Registry, err error) error {
	var terr *transport.Error
	if errors.As(err, &terr) && (terr.StatusCode == http.StatusUnauthorized || terr.StatusCode == http.StatusForbidden) {
		return fmt.Errorf("the registry rejected the username or password: %w (check them; accounts with two-factor authentication need an access token as password)", err)
	}
	return explain(reg, err)
}

// saveAuth stores the credentials under key in the helper the file
// configures, or in the file's "auths".
func saveAuth(path, key, username, password string) error {
	doc, err := readAuthDoc(path)
	if err != nil {
		return err
	}
	if helper := doc.helper(key); helper != "" {
		creds := &helpers.Credentials{ServerURL: key, Username: username, Secret: password}
		if err := client.Store(helperProgram(helper), creds); err != nil {
			return fmt.Errorf("storing credentials: %w", helperError(helper, err))
		}
		return nil
	}
	auth, err := json.Marshal(base64.StdEncoding.EncodeToString([]byte(username + ":" + password)))
	if err != nil {
		return err
	}
	doc.auths[key] = map[string]json.RawMessage{"auth": auth}
	return doc.write()
}

// Logout removes registry's credentials ("docker.io" or "" for Docker Hub)
// from authFile: its "auths" entry (including legacy spellings of the key
// with a scheme or path) and, when the file configures a credential helper
// for the registry, the helper's entry. It fails with ErrNotLoggedIn when
// there was nothing to remove.
func Logout(registry, authFile string) error {
	if registry == "" {
		registry = "docker.io"
	}
	key, err := checkRegistryHost(registry)
	if err != nil {
		return fmt.Errorf("logging out: %w", err)
	}
	host := displayRegistry(key)
	akey := authKey(key)
	doc, err := readAuthDoc(authFile)
	if err != nil {
		return fmt.Errorf("logging out of %s: %w", host, err)
	}
	removed := false
	if helper := doc.helper(akey); helper != "" {
		var err error
		if removed, err = eraseFromHelper(helper, akey); err != nil {
			return fmt.Errorf("logging out of %s: %w", host, err)
		}
	}
	found := false
	for k := range doc.auths {
		if k == akey || registryKey(credentials.ConvertToHostname(k)) == key {
			delete(doc.auths, k)
			found = true
		}
	}
	if found {
		if err := doc.write(); err != nil {
			return fmt.Errorf("logging out of %s: %w", host, err)
		}
	}
	if !removed && !found {
		return fmt.Errorf("logging out of %s: %w: %s has no credentials for it", host, ErrNotLoggedIn, authFile)
	}
	return nil
}

// eraseFromHelper removes key's credentials from a helper and reports
// whether there were any. It asks first: helpers differ in how (and whether)
// they report erasing what they do not hold.
func eraseFromHelper(helper, key string) (bool, error) {
	prog := helperProgram(helper)
	_, err := client.Get(prog, key)
	if helpers.IsErrCredentialsNotFound(err) {
		return false, nil
	}
	if err == nil {
		err = client.Erase(prog, key)
	}
	if err != nil {
		return false, helperError(helper, err)
	}
	return true, nil
}
