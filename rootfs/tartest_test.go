package rootfs

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// ent is one row of a test archive: the "tartest" table. Zero fields get
// defaults in buildTar (mode by type, testTime as mtime).
type ent struct {
	typ          byte
	name, link   string
	mode         int64
	uid, gid     int
	xattrs       map[string]string
	content      string
	major, minor int64
	mtime        time.Time
	format       tar.Format
	zeroMode     bool // mode 0 really means 0, not "default"
}

var testTime = time.Date(2021, 3, 4, 5, 6, 7, 0, time.UTC)

func file(name, content string) ent { return ent{typ: tar.TypeReg, name: name, content: content} }
func dir(name string) ent           { return ent{typ: tar.TypeDir, name: name} }
func symlink(name, target string) ent {
	return ent{typ: tar.TypeSymlink, name: name, link: target}
}
func hardlink(name, target string) ent { return ent{typ: tar.TypeLink, name: name, link: target} }
func whiteout(name string) ent         { return ent{typ: tar.TypeReg, name: name} }

// buildTar writes entries as an uncompressed tar.
func buildTar(t testing.TB, entries ...ent) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		hdr := &tar.Header{
			Typeflag: e.typ, Name: e.name, Linkname: e.link, Mode: e.mode,
			Uid: e.uid, Gid: e.gid, ModTime: e.mtime, Devmajor: e.major, Devminor: e.minor,
			Format: e.format,
		}
		if hdr.ModTime.IsZero() {
			hdr.ModTime = testTime
		}
		if hdr.Mode == 0 && !e.zeroMode {
			switch e.typ {
			case tar.TypeDir:
				hdr.Mode = 0o755
			case tar.TypeSymlink:
				hdr.Mode = 0o777
			case tar.TypeReg:
				if !strings.HasPrefix(filepath.Base(e.name), whiteoutPrefix) {
					hdr.Mode = 0o644
				}
			default:
				hdr.Mode = 0o644
			}
		}
		if e.typ == tar.TypeReg {
			hdr.Size = int64(len(e.content))
		}
		for k, v := range e.xattrs {
			if hdr.PAXRecords == nil {
				hdr.PAXRecords = map[string]string{}
			}
			hdr.PAXRecords[paxXattrPrefix+k] = v
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatalf("building test tar, %s: %v", e.name, err)
		}
		if _, err := io.WriteString(tw, e.content); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// record is a tar entry reduced to what a layer means.
type record struct {
	Type               byte
	Name, Link         string
	Mode               int64
	Uid, Gid           int
	Size               int64
	Content            string
	Mtime              int64
	Major, Minor       int64
	Xattrs             string
	HasAtime, HasCtime bool
}

func readTar(t testing.TB, b []byte) []record {
	t.Helper()
	tr := tar.NewReader(bytes.NewReader(b))
	var out []record
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("reading tar: %v", err)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		var xs []string
		for k, v := range hdr.PAXRecords {
			if strings.HasPrefix(k, paxXattrPrefix) {
				xs = append(xs, k+"="+v)
			}
		}
		sort.Strings(xs)
		out = append(out, record{
			Type: hdr.Typeflag, Name: hdr.Name, Link: hdr.Linkname, Mode: hdr.Mode,
			Uid: hdr.Uid, Gid: hdr.Gid, Size: hdr.Size, Content: string(data),
			Mtime: hdr.ModTime.Unix(), Major: hdr.Devmajor, Minor: hdr.Devminor,
			Xattrs: strings.Join(xs, ","), HasAtime: !hdr.AccessTime.IsZero(), HasCtime: !hdr.ChangeTime.IsZero(),
		})
	}
}

// unpack unpacks or fails the test. Without root, ownership is off by
// default (test archives say 0:0); opts may turn it back on.
func unpack(t testing.TB, root string, b []byte, opts ...UnpackOption) UnpackStats {
	t.Helper()
	opts = append([]UnpackOption{WithOwnership(isRoot())}, opts...)
	st, err := Unpack(context.Background(), bytes.NewReader(b), root, opts...)
	if err != nil {
		t.Fatalf("Unpack: %v", err)
	}
	return st
}

func pack(t testing.TB, root string, opts ...PackOption) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Pack(context.Background(), &buf, root, opts...); err != nil {
		t.Fatalf("Pack: %v", err)
	}
	return buf.Bytes()
}

// snapshot describes every path under top (except the subtrees skip) by
// type, mode, owner, size, link count, mtime, content hash and symlink
// target, so that any change outside the unpack root shows up.
func snapshot(t testing.TB, top string, withTimes bool, skip ...string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(top, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		for _, s := range skip {
			if p == s {
				return filepath.SkipDir
			}
		}
		var st unix.Stat_t
		if err := unix.Lstat(p, &st); err != nil {
			return err
		}
		desc := fmt.Sprintf("mode=%o uid=%d gid=%d nlink=%d", st.Mode, st.Uid, st.Gid, st.Nlink)
		if withTimes {
			desc += fmt.Sprintf(" mtime=%d.%09d", st.Mtim.Sec, st.Mtim.Nsec)
		}
		switch st.Mode & unix.S_IFMT {
		case unix.S_IFREG:
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			sum := sha256.Sum256(b)
			desc += fmt.Sprintf(" size=%d sha=%s", st.Size, hex.EncodeToString(sum[:8]))
		case unix.S_IFLNK:
			l, _ := os.Readlink(p)
			desc += " -> " + l
		case unix.S_IFCHR, unix.S_IFBLK:
			desc += fmt.Sprintf(" dev=%d:%d", unix.Major(st.Rdev), unix.Minor(st.Rdev))
		}
		if n, _ := unix.Llistxattr(p, nil); n > 0 {
			names := make([]byte, n)
			n, _ = unix.Llistxattr(p, names)
			for _, name := range strings.Split(string(names[:n]), "\x00") {
				v := make([]byte, 65536)
				if m, err := unix.Lgetxattr(p, name, v); err == nil {
					desc += fmt.Sprintf(" %s=%q", name, v[:m])
				}
			}
		}
		rel, _ := filepath.Rel(top, p)
		out[rel] = desc
		return nil
	})
	if err != nil {
		t.Fatalf("snapshot %s: %v", top, err)
	}
	return out
}

func diffSnapshots(before, after map[string]string) []string {
	var d []string
	for k, v := range before {
		if w, ok := after[k]; !ok {
			d = append(d, "removed "+k)
		} else if w != v {
			d = append(d, fmt.Sprintf("changed %s: %s => %s", k, v, w))
		}
	}
	for k := range after {
		if _, ok := before[k]; !ok {
			d = append(d, "added "+k)
		}
	}
	sort.Strings(d)
	return d
}

func lgetxattr(t testing.TB, p, name string) (string, bool) {
	t.Helper()
	b := make([]byte, 4096)
	n, err := unix.Lgetxattr(p, name, b)
	if errors.Is(err, unix.ENODATA) {
		return "", false
	}
	if err != nil {
		t.Fatalf("lgetxattr %s %s: %v", p, name, err)
	}
	return string(b[:n]), true
}

func isRoot() bool { return os.Geteuid() == 0 }
