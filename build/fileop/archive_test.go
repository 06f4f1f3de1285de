package fileop

import (
	"archive/tar"
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// mkTar returns a tar of headers; a regular file's content is its Linkname
// field misused as data when Typeflag is TypeReg.
func mkTar(t *testing.T, hdrs ...tar.Header) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, h := range hdrs {
		var data []byte
		if h.Typeflag == tar.TypeReg {
			data, h.Linkname = []byte(h.Linkname), ""
			h.Size = int64(len(data))
		}
		if h.Mode == 0 {
			h.Mode = 0o644
		}
		if h.ModTime.IsZero() {
			h.ModTime = time.Unix(1_234_567_890, 0)
		}
		if err := tw.WriteHeader(&h); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(data); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func tarDir(name string, mode int64) tar.Header {
	return tar.Header{Name: name, Typeflag: tar.TypeDir, Mode: mode}
}

func tarFile(name, data string) tar.Header {
	return tar.Header{Name: name, Typeflag: tar.TypeReg, Linkname: data}
}

// compressors make each compression ADD recognises.
var compressors = map[string]func(t *testing.T, b []byte) []byte{
	"tar": func(t *testing.T, b []byte) []byte { return b },
	"tar.gz": func(t *testing.T, b []byte) []byte {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		zw.Write(b)
		zw.Close()
		return buf.Bytes()
	},
	"tar.zst": func(t *testing.T, b []byte) []byte {
		var buf bytes.Buffer
		zw, _ := zstd.NewWriter(&buf)
		zw.Write(b)
		zw.Close()
		return buf.Bytes()
	},
	"tar.bz2": func(t *testing.T, b []byte) []byte { return hostCompress(t, "bzip2", b) },
	"tar.xz":  func(t *testing.T, b []byte) []byte { return hostCompress(t, "xz", b) },
}

func hostCompress(t *testing.T, tool string, b []byte) []byte {
	t.Helper()
	if _, err := exec.LookPath(tool); err != nil {
		skip(t, "%s not installed", tool)
	}
	cmd := exec.Command(tool, "-c")
	cmd.Stdin = bytes.NewReader(b)
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestAddArchiveCompressions(t *testing.T) {
	requireRoot(t)
	plain := mkTar(t, tarFile("foo", "content0"))
	for ext, compress := range compressors {
		t.Run(ext, func(t *testing.T) {
			data := compress(t, plain)
			for _, add := range []bool{true, false} {
				req := setup(t, copyCase{ctx: []node{{Path: "t." + ext, Kind: "f", Data: string(data)}}})
				req.Sources, req.Dest, req.Add = []string{"t." + ext}, "/", add
				if err := Copy(context.Background(), req); err != nil {
					t.Fatal(err)
				}
				want := map[string]string{"foo": "f 0644 0:0 content0"}
				if !add {
					want = map[string]string{"t." + ext: "f 0644 0:0 " + string(data)}
				}
				checkTree(t, req.Out, want)
			}
		})
	}
}

func TestAddArchive(t *testing.T) {
	payload := mkTar(t,
		tarDir("var/run/act/", 0o755),
		tarFile("var/run/act/HEAD", "ref"),
		tar.Header{Name: "var/run/act/HEAD.link", Typeflag: tar.TypeLink, Linkname: "var/run/act/HEAD"},
	)
	dnf := mkTar(t, tarDir("etc/dnf/", 0o750), tarFile("etc/dnf/dnf.conf", "conf"))
	root := mkTar(t, tarDir("./", 0o700), tarFile("./x", "x"))
	other := mkTar(t, tarFile("bar", "content1"))
	image := [][]node{{
		{Path: "etc", Kind: "d", Mode: 0o711, UID: 5, GID: 5},
		{Path: "var/run", Kind: "l", Data: "/run"},
		{Path: "run", Kind: "d", Mode: 0o700, UID: 9, GID: 9},
	}}
	ctx := []node{
		{Path: "payload.tar", Kind: "f", Data: string(payload)},
		{Path: "dnf.tar", Kind: "f", Data: string(dnf)},
		{Path: "root.tar", Kind: "f", Data: string(root)},
		{Path: "other.tar", Kind: "f", Data: string(other)},
		{Path: "plain.txt", Kind: "f", Data: "not a tar"},
	}
	add := func(dest string, mod func(*Request), sources ...string) func(*Request) {
		return func(r *Request) {
			srcs(dest, sources...)(r)
			r.Add = true
			if mod != nil {
				mod(r)
			}
		}
	}
	runCases(t, []copyCase{{
		name:   "implied parents keep the image's metadata, listed ones take the archive's",
		ctx:    ctx,
		target: image,
		req:    add("/", nil, "dnf.tar"),
		want:   map[string]string{"etc": "d 0711 5:5", "etc/dnf": "d 0750 0:0", "etc/dnf/dnf.conf": "f 0644 0:0 conf"},
	}, {
		name:   "an implied directory through a symlink of the image",
		ctx:    ctx,
		target: image,
		req:    add("/", nil, "payload.tar"),
		want: map[string]string{
			"var": "d 0755 0:0", "run": "d 0700 9:9", "run/act": "d 0755 0:0",
			"run/act/HEAD": "f 0644 0:0 ref", "run/act/HEAD.link": "f 0644 0:0 ref",
		},
	}, {
		name: "Dest without a slash is a directory",
		ctx:  ctx,
		req:  add("/dest", nil, "other.tar"),
		want: map[string]string{"dest": "d 0755 0:0", "dest/bar": "f 0644 0:0 content1"},
	}, {
		name: "several archives by wildcard, no slash needed",
		ctx:  ctx,
		req:  add("/dest", nil, "*er.tar", "dnf.tar"),
		want: map[string]string{
			"dest": "d 0755 0:0", "dest/bar": "f 0644 0:0 content1",
			"dest/etc": "d 0755 0:0", "dest/etc/dnf": "d 0750 0:0", "dest/etc/dnf/dnf.conf": "f 0644 0:0 conf",
		},
	}, {
		name: "the archive's root entry sets Dest's metadata",
		ctx:  ctx,
		req:  add("/r", nil, "root.tar"),
		want: map[string]string{"r": "d 0700 0:0", "r/x": "f 0644 0:0 x"},
	}, {
		name: "--chown owns the extracted entries and the created Dest, --chmod does not apply",
		ctx:  ctx,
		req:  add("/out/", func(r *Request) { r.Chown, r.Chmod = &IDs{UID: 100, GID: 200}, "777" }, "other.tar"),
		want: map[string]string{"out": "d 0755 100:200", "out/bar": "f 0644 100:200 content1"},
	}, {
		name: "a file that is not an archive is copied",
		ctx:  ctx,
		req:  add("/p", nil, "plain.txt"),
		want: map[string]string{"p": "f 0644 0:0 not a tar"},
	}, {
		name: "a file and an archive still need a slash",
		ctx:  ctx,
		req:  add("/p", nil, "plain.txt", "other.tar"),
		err:  "When using ADD with more than one source file",
	}})
}

func TestAddArchiveMtimes(t *testing.T) {
	requireRoot(t)
	archive := mkTar(t, tarDir("d/", 0o755), tarFile("d/f", "f"))
	req := setup(t, copyCase{
		ctx:    []node{{Path: "a.tar", Kind: "f", Data: string(archive)}},
		target: [][]node{{{Path: "opt", Kind: "d", Mtime: 1_000_000_000}}},
	})
	req.Sources, req.Dest, req.Add = []string{"a.tar"}, "/opt", true
	if err := Copy(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	for rel, want := range map[string]int64{"opt": 1_000_000_000, "opt/d": 1_234_567_890, "opt/d/f": 1_234_567_890} {
		if got := mtime(t, filepath.Join(req.Out, rel)); got != want {
			t.Errorf("mtime of %s = %d, want %d", rel, got, want)
		}
	}
	if des, _ := os.ReadDir(req.Out); len(des) != 1 {
		t.Errorf("Out holds %v: the extraction directory was not removed", des)
	}
}
