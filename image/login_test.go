package image

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

const (
	testUser = "alice"
	testPass = "s3cret"
	testTok  = "tok-123"
)

// basicAuth makes the registry demand HTTP basic auth.
func basicAuth(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != testUser || p != testPass {
			w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
			unauthorized(w)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// bearerAuth makes the registry demand a token, which /token hands out for
// the right basic credentials (the Docker Hub scheme).
func bearerAuth(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/token" {
			if u, p, ok := r.BasicAuth(); !ok || u != testUser || p != testPass {
				unauthorized(w)
				return
			}
			fmt.Fprintf(w, `{"token":%q}`, testTok)
			return
		}
		if r.Header.Get("Authorization") != "Bearer "+testTok {
			w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer realm="http://%s/token",service="test"`, r.Host))
			unauthorized(w)
			return
		}
		h.ServeHTTP(w, r)
	})
}

func unauthorized(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusUnauthorized)
	fmt.Fprint(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`)
}

// existingAuthFile has fields polyarch does not know, which must survive.
const existingAuthFile = `{
	"auths": {"other.example": {"auth": "b3RoZXI6cGFzcw==", "email": "o@example.com"}},
	"HttpHeaders": {"X-Test": "1"},
	"unknownThing": {"a": [1, 2]}
}`

func readJSON(t *testing.T, path string) map[string]any {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestLoginPullLogout(t *testing.T) {
	for _, tt := range []struct {
		name string
		wrap func(http.Handler) http.Handler
	}{{"basic", basicAuth}, {"bearer", bearerAuth}} {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			reg := newRegistry(t, tt.wrap)
			img := platformImage(t, "linux/amd64")
			if err := pushAuthed(reg.host+"/private/app:1", img); err != nil {
				t.Fatal(err)
			}
			ref := reg.host + "/private/app:1"
			authFile := filepath.Join(t.TempDir(), "docker", "config.json")
			if err := os.MkdirAll(filepath.Dir(authFile), 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(authFile, []byte(existingAuthFile), 0o644); err != nil {
				t.Fatal(err)
			}
			withAuth := []Option{WithAuthFile(filepath.Join(t.TempDir(), "missing.json")), WithAuthFile(authFile)}

			// Anonymous: refused, with what to do.
			_, err := newTestClient(t, withAuth...).Pull(ctx, ref, nil, openStore(t))
			if err == nil || !strings.Contains(err.Error(), "polyarch login "+reg.host) {
				t.Fatalf("anonymous pull: %v", err)
			}

			// A wrong password is refused and changes nothing.
			err = Login(ctx, reg.host, testUser, "wrong", authFile, WithRetryBackoff(fastBackoff()))
			if err == nil || !strings.Contains(err.Error(), "rejected the username or password") {
				t.Fatalf("login with a wrong password: %v", err)
			}
			if raw, _ := os.ReadFile(authFile); string(raw) != existingAuthFile {
				t.Errorf("a failed login changed the file:\n%s", raw)
			}

			if err := Login(ctx, reg.host, testUser, testPass, authFile); err != nil {
				t.Fatal(err)
			}
			if fi, err := os.Stat(authFile); err != nil || fi.Mode().Perm() != 0o600 {
				t.Errorf("auth file mode %v, %v; want 0600", fi.Mode(), err)
			}
			m := readJSON(t, authFile)
			auths := m["auths"].(map[string]any)
			wantAuth := base64.StdEncoding.EncodeToString([]byte(testUser + ":" + testPass))
			if got := auths[reg.host].(map[string]any)["auth"]; got != wantAuth {
				t.Errorf("auths[%s].auth = %v, want %s", reg.host, got, wantAuth)
			}
			if other := auths["other.example"].(map[string]any); other["email"] != "o@example.com" {
				t.Errorf("other entry damaged: %v", other)
			}
			if m["unknownThing"] == nil || m["HttpHeaders"] == nil {
				t.Errorf("unknown fields lost: %v", m)
			}

			p, err := newTestClient(t, withAuth...).Pull(ctx, ref, nil, openStore(t))
			if err != nil || p.Digest != digestOf(t, img) {
				t.Fatalf("pull with credentials: %v", err)
			}

			if err := Logout(reg.host, authFile); err != nil {
				t.Fatal(err)
			}
			auths = readJSON(t, authFile)["auths"].(map[string]any)
			if _, ok := auths[reg.host]; ok || auths["other.example"] == nil {
				t.Errorf("after logout auths = %v", auths)
			}
			if _, err := newTestClient(t, withAuth...).Pull(ctx, ref, nil, openStore(t)); err == nil {
				t.Error("pull after logout worked")
			}
			if err := Logout(reg.host, authFile); !errors.Is(err, ErrNotLoggedIn) {
				t.Errorf("second logout: %v, want ErrNotLoggedIn", err)
			}
		})
	}
}

// pushAuthed pushes with the test credentials.
func pushAuthed(ref string, img v1.Image) error {
	r, err := name.ParseReference(ref)
	if err != nil {
		return err
	}
	return remote.Write(r, img, remote.WithAuth(&authn.Basic{Username: testUser, Password: testPass}))
}

func TestAuthFileKeys(t *testing.T) {
	path := filepath.Join(t.TempDir(), "auth.json")
	legacy := base64.StdEncoding.EncodeToString([]byte("bob:pw"))
	if err := os.WriteFile(path, []byte(`{"auths":{"http://legacy.example:5000/v1/":{"auth":"`+legacy+`"}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	// Docker Hub's credentials live under Docker's historical key.
	if err := saveAuth(path, authKey(registryKey("docker.io")), "hubuser", "hubpass"); err != nil {
		t.Fatal(err)
	}
	if _, ok := readJSON(t, path)["auths"].(map[string]any)["https://index.docker.io/v1/"]; !ok {
		t.Fatalf("no https://index.docker.io/v1/ entry: %v", readJSON(t, path))
	}
	kc := fileKeychain{paths: []string{path}}
	for _, tt := range []struct{ ref, user string }{
		{"busybox", "hubuser"},
		{"docker.io/library/alpine:3", "hubuser"},
		{"legacy.example:5000/app", "bob"},
		{"elsewhere.example/app", ""},
	} {
		r, err := ParseReference(tt.ref)
		if err != nil {
			t.Fatal(err)
		}
		a, err := authn.Resolve(context.Background(), kc, r.Context())
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := a.Authorization()
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Username != tt.user {
			t.Errorf("%s: user %q, want %q", tt.ref, cfg.Username, tt.user)
		}
	}
	for _, reg := range []string{"docker.io", "legacy.example:5000"} {
		if err := Logout(reg, path); err != nil {
			t.Errorf("logout %s: %v", reg, err)
		}
	}
	if auths := readJSON(t, path)["auths"].(map[string]any); len(auths) != 0 {
		t.Errorf("after logouts: %v", auths)
	}
	if err := Logout("docker.io", filepath.Join(t.TempDir(), "none.json")); !errors.Is(err, ErrNotLoggedIn) {
		t.Errorf("logout without a file: %v", err)
	}
	if err := os.WriteFile(path, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := authn.Resolve(context.Background(), kc, name.MustParseReference("busybox").Context()); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("a broken auth file: %v", err)
	}
}

// fakeHelper is a docker-credential-helpers program keeping one file per
// server under its own directory.
const fakeHelper = `#!/bin/sh
dir="$(dirname "$0")/creds"
mkdir -p "$dir"
input=$(cat)
case "$1" in
store)
	server=$(printf '%s' "$input" | sed -n 's/.*"ServerURL":"\([^"]*\)".*/\1/p')
	printf '%s' "$input" > "$dir/$(printf '%s' "$server" | tr '/:' '__')" ;;
get|erase)
	f="$dir/$(printf '%s' "$input" | tr '/:' '__')"
	if [ ! -f "$f" ]; then echo "credentials not found in native keychain"; exit 1; fi
	if [ "$1" = get ]; then cat "$f"; else rm "$f"; fi ;;
esac
`

func TestCredentialHelper(t *testing.T) {
	bin := t.TempDir()
	if err := os.WriteFile(filepath.Join(bin, "docker-credential-polyarchtest"), []byte(fakeHelper), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	ctx := context.Background()
	reg := newRegistry(t, basicAuth)
	img := platformImage(t, "linux/amd64")
	if err := pushAuthed(reg.host+"/app:1", img); err != nil {
		t.Fatal(err)
	}
	authFile := filepath.Join(t.TempDir(), "config.json")
	conf := `{"credHelpers":{"` + reg.host + `":"polyarchtest"}}`
	if err := os.WriteFile(authFile, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}

	if err := Login(ctx, reg.host, testUser, testPass, authFile); err != nil {
		t.Fatal(err)
	}
	if raw, _ := os.ReadFile(authFile); string(raw) != conf {
		t.Errorf("login with a helper wrote the file:\n%s", raw)
	}
	if _, err := newTestClient(t, WithAuthFile(authFile)).Pull(ctx, reg.host+"/app:1", nil, openStore(t)); err != nil {
		t.Fatalf("pull through the helper: %v", err)
	}
	if err := Logout(reg.host, authFile); err != nil {
		t.Fatal(err)
	}
	if err := Logout(reg.host, authFile); !errors.Is(err, ErrNotLoggedIn) {
		t.Errorf("second logout: %v", err)
	}

	// A helper that is not installed is reported as such.
	missing := `{"credsStore":"polyarch-no-such-helper"}`
	if err := os.WriteFile(authFile, []byte(missing), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := newTestClient(t, WithAuthFile(authFile)).Pull(ctx, reg.host+"/app:1", nil, openStore(t))
	if err == nil || !strings.Contains(err.Error(), "docker-credential-polyarch-no-such-helper") {
		t.Errorf("missing helper: %v", err)
	}
}

func TestLoginArguments(t *testing.T) {
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "a.json")
	for _, tt := range []struct{ reg, user, pass, file, err string }{
		{"localhost:5000", "", "p", file, "empty username"},
		{"localhost:5000", "u", "", file, "empty password"},
		{"localhost:5000", "u", "p", "", "no auth file"},
		{"bad host!", "u", "p", file, "invalid registry name"},
	} {
		if err := Login(ctx, tt.reg, tt.user, tt.pass, tt.file); err == nil || !strings.Contains(err.Error(), tt.err) {
			t.Errorf("Login(%q, %q, %q, %q) = %v, want %q", tt.reg, tt.user, tt.pass, tt.file, err, tt.err)
		}
	}
}
