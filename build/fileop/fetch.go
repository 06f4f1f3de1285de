package fileop

import (
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"mime"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"
	"unicode"
)

// FetchURL downloads an http(s) URL into the directory dir, as ADD of a
// URL does, and returns the file's path. The caller then copies it to the
// image with Copy (Src: a Union of dir; remote archives are not
// extracted, so Add stays false).
//
// The file is named after the last segment of the URL path, as the
// Dockerfile frontend names it; when the path has none, after the
// response's Content-Disposition filename; else "__unnamed__". It has mode
// 0600 and the Last-Modified time as mtime (the Unix epoch without one),
// as BuildKit's HTTP source gives it. checksum is ADD --checksum
// ("sha256:<hex>"; sha384 and sha512 also work): a mismatch fails with
// ErrChecksum and both digests. A nil client means http.DefaultClient.
func FetchURL(ctx context.Context, rawURL, dir, checksum string, client *http.Client) (string, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("ADD failed: %q is not an http(s) URL", redact(rawURL))
	}
	want, wantHash, err := parseChecksum(checksum)
	if err != nil {
		return "", err
	}
	if client == nil {
		client = http.DefaultClient
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return "", fmt.Errorf("ADD failed: %w", err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return "", fmt.Errorf("ADD failed: downloading %s: %w", redact(rawURL), err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return "", fmt.Errorf("ADD failed: downloading %s: invalid response status %s", redact(rawURL), resp.Status)
	}
	name := downloadName(u, resp)
	tmp, err := os.CreateTemp(dir, ".download-")
	if err != nil {
		return "", fmt.Errorf("ADD failed: %w", err)
	}
	defer os.Remove(tmp.Name())
	var w io.Writer = tmp
	if wantHash != nil {
		w = io.MultiWriter(tmp, wantHash)
	}
	_, err = io.Copy(w, resp.Body)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", fmt.Errorf("ADD failed: downloading %s: %w", redact(rawURL), err)
	}
	if want != "" {
		got := want[:strings.IndexByte(want, ':')+1] + hex.EncodeToString(wantHash.Sum(nil))
		if got != want {
			return "", fmt.Errorf("ADD failed: %w for %s: got %s, expected %s (check the URL or update --checksum)",
				ErrChecksum, redact(rawURL), got, want)
		}
	}
	return finishDownload(tmp.Name(), filepath.Join(dir, name), resp.Header.Get("Last-Modified"))
}

// finishDownload gives the downloaded file its mode and mtime and moves
// it to its name.
func finishDownload(tmp, final, lastModified string) (string, error) {
	mtime := time.Unix(0, 0)
	if lastModified != "" {
		if t, err := http.ParseTime(lastModified); err == nil {
			mtime = t
		}
	}
	if err := os.Chmod(tmp, 0o600); err != nil {
		return "", fmt.Errorf("ADD failed: %w", err)
	}
	if err := os.Chtimes(tmp, mtime, mtime); err != nil {
		return "", fmt.Errorf("ADD failed: %w", err)
	}
	if err := os.Rename(tmp, final); err != nil {
		return "", fmt.Errorf("ADD failed: %w", err)
	}
	return final, nil
}

// parseChecksum parses "algorithm:hex" and returns the normalised digest
// and a hash to compute it.
func parseChecksum(s string) (string, hash.Hash, error) {
	if s == "" {
		return "", nil, nil
	}
	algo, hexpart, ok := strings.Cut(strings.TrimSpace(s), ":")
	var h hash.Hash
	switch algo {
	case "sha256":
		h = sha256.New()
	case "sha384":
		h = sha512.New384()
	case "sha512":
		h = sha512.New()
	}
	hexpart = strings.ToLower(hexpart)
	if _, err := hex.DecodeString(hexpart); !ok || h == nil || err != nil || len(hexpart) != 2*h.Size() {
		return "", nil, fmt.Errorf("ADD failed: invalid --checksum %q: use sha256:<64 hex digits>", s)
	}
	return algo + ":" + hexpart, h, nil
}

// downloadName picks the file name of a download.
func downloadName(u *url.URL, resp *http.Response) string {
	if base := path.Base(u.Path); base != "." && base != "/" {
		return safeFileName(base)
	}
	if cd := resp.Header.Get("Content-Disposition"); cd != "" {
		if _, params, err := mime.ParseMediaType(cd); err == nil {
			if f := params["filename"]; f != "" && !strings.HasSuffix(f, "/") {
				return safeFileName(path.Base(filepath.ToSlash(f)))
			}
		}
	}
	return "__unnamed__"
}

// safeFileName keeps a name usable as one path component, as BuildKit's
// pathutil.SafeFileName does.
func safeFileName(s string) string {
	name := path.Base(strings.TrimSpace(s))
	if name == "" || name == "." || name == ".." || name == "/" {
		return "download"
	}
	for _, r := range name {
		if r == 0 || unicode.IsControl(r) {
			return "download"
		}
	}
	return name
}

// redact hides the credentials of a URL in messages.
func redact(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	u.User = url.User("xxxxx")
	return u.String()
}
