package publish

import (
	"archive/tar"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/polyarch/polyarch/rootfs"
)

func absOrSelf(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}

// writeFile runs write into dest ("-" = stdout) atomically. With asDir the
// tar stream is unpacked into the directory dest instead.
func writeFile(dest string, write func(io.Writer) error, asDir ...bool) error {
	if len(asDir) > 0 && asDir[0] {
		return extractInto(dest, write)
	}
	if dest == "-" {
		return write(os.Stdout)
	}
	tmp, err := os.CreateTemp(filepath.Dir(absOrSelf(dest)), ".polyarch-out-")
	if err != nil {
		return fmt.Errorf("writing %s: %w", dest, err)
	}
	defer os.Remove(tmp.Name())
	if err := write(tmp); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", dest, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", dest, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", dest, err)
	}
	return os.Rename(tmp.Name(), dest)
}

// extractInto streams write's tar into a pipe and unpacks it into dir.
func extractInto(dir string, write func(io.Writer) error) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("writing %s: %w", dir, err)
	}
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(write(pw)) }()
	// rootfs.Unpack keeps every path inside dir (the tar is image content)
	_, err := rootfs.Unpack(context.Background(), pr, dir, rootfs.WithIgnoreChownErrors(true), rootfs.WithDeviceNodes(true))
	pr.CloseWithError(err)
	if err != nil {
		return fmt.Errorf("writing %s: %w", dir, err)
	}
	return nil
}

// copyTar copies a flattened filesystem stream into tw under prefix.
func copyTar(ctx context.Context, tw *tar.Writer, rc io.ReadCloser, prefix string) error {
	defer rc.Close()
	tr := tar.NewReader(rc)
	if prefix != "" {
		if err := tw.WriteHeader(&tar.Header{Name: prefix, Typeflag: tar.TypeDir, Mode: 0o755}); err != nil {
			return err
		}
	}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("flattening layers: %w", err)
		}
		h.Name = prefix + strings.TrimPrefix(h.Name, "/")
		if h.Typeflag == tar.TypeLink {
			h.Linkname = prefix + strings.TrimPrefix(h.Linkname, "/")
		}
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if _, err := io.Copy(tw, tr); err != nil {
			return err
		}
	}
}

// tarDir writes the directory dir as a tar file at dest.
func tarDir(ctx context.Context, dir, dest string) error {
	return writeFile(dest, func(w io.Writer) error {
		tw := tar.NewWriter(w)
		err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil || p == dir {
				return err
			}
			if ctx.Err() != nil {
				return ctx.Err()
			}
			info, err := d.Info()
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(dir, p)
			h, err := tar.FileInfoHeader(info, "")
			if err != nil {
				return err
			}
			h.Name = filepath.ToSlash(rel)
			h.Uid, h.Gid, h.Uname, h.Gname = 0, 0, "", ""
			if err := tw.WriteHeader(h); err != nil {
				return err
			}
			if !d.Type().IsRegular() {
				return nil
			}
			f, err := os.Open(p)
			if err != nil {
				return err
			}
			defer f.Close()
			_, err = io.Copy(tw, f)
			return err
		})
		if err != nil {
			return err
		}
		return tw.Close()
	})
}
