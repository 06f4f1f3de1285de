package fileop

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestFetchURL(t *testing.T) {
	body := "archive bytes"
	sum := sha256.Sum256([]byte(body))
	good := "sha256:" + hex.EncodeToString(sum[:])
	bad := "sha256:" + strings.Repeat("0", 64)
	lastMod := time.Date(2021, 3, 4, 5, 6, 7, 0, time.UTC)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("cd") != "" {
			w.Header().Set("Content-Disposition", `attachment; filename="../report.pdf"`)
		}
		switch r.URL.Path {
		case "/missing.tgz":
			http.NotFound(w, r)
			return
		case "/t.tar.gz":
			w.Header().Set("Last-Modified", lastMod.Format(http.TimeFormat))
		}
		w.Write([]byte(body))
	}))
	defer srv.Close()

	tests := []struct {
		name     string
		path     string
		checksum string
		wantName string
		mtime    time.Time
		err      string
	}{
		{name: "named by the URL, Last-Modified mtime", path: "/t.tar.gz", wantName: "t.tar.gz", mtime: lastMod},
		{name: "checksum matches", path: "/t.tar.gz", checksum: good, wantName: "t.tar.gz", mtime: lastMod},
		{name: "checksum mismatch names both digests", path: "/t.tar.gz", checksum: bad,
			err: "checksum mismatch for " + srv.URL + "/t.tar.gz: got " + good + ", expected " + bad},
		{name: "Content-Disposition when the path has no name", path: "/?cd=1", wantName: "report.pdf", mtime: time.Unix(0, 0)},
		{name: "the last path segment wins", path: "/dl/?cd=1", wantName: "dl", mtime: time.Unix(0, 0)},
		{name: "no name at all", path: "", wantName: "__unnamed__", mtime: time.Unix(0, 0)},
		{name: "HTTP error", path: "/missing.tgz", err: "invalid response status 404 Not Found"},
		{name: "bad checksum syntax", path: "/t.tar.gz", checksum: "md5:abc", err: "invalid --checksum"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			p, err := FetchURL(context.Background(), srv.URL+tc.path, dir, tc.checksum, srv.Client())
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				if strings.Contains(tc.err, "mismatch") && !errors.Is(err, ErrChecksum) {
					t.Errorf("err is not ErrChecksum")
				}
				if des, _ := os.ReadDir(dir); len(des) != 0 {
					t.Errorf("a failed download left %v", des)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p != filepath.Join(dir, tc.wantName) {
				t.Errorf("path = %s, want name %s", p, tc.wantName)
			}
			fi, err := os.Stat(p)
			if err != nil {
				t.Fatal(err)
			}
			data, _ := os.ReadFile(p)
			if string(data) != body || fi.Mode().Perm() != 0o600 || !fi.ModTime().Equal(tc.mtime) {
				t.Errorf("file = %q, %v, %v; want %q, 0600, %v", data, fi.Mode(), fi.ModTime(), body, tc.mtime)
			}
		})
	}
	if _, err := FetchURL(context.Background(), "ftp://x/y", t.TempDir(), "", nil); err == nil {
		t.Error("an ftp URL was accepted")
	}
}

// TestFetchThenCopy is the executor's flow for ADD <url>: the download is
// copied (not extracted) with --chown and --chmod applied.
func TestFetchThenCopy(t *testing.T) {
	requireRoot(t)
	tarball := string(compressors["tar.gz"](t, mkTar(t, tarFile("foo", "x"))))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(tarball))
	}))
	defer srv.Close()
	dl := t.TempDir()
	p, err := FetchURL(context.Background(), srv.URL+"/t.tar.gz", dl, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "out")
	req := Request{
		Src: NewUnion([]string{dl}), Sources: []string{filepath.Base(p)}, Dest: "/newname.tar.gz",
		Out: out, Chown: &IDs{UID: 1, GID: 2}, Chmod: "640",
	}
	if err := Copy(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	checkTree(t, out, map[string]string{"newname.tar.gz": "f 0640 1:2 " + tarball})
}
