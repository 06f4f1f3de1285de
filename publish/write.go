package publish

import (
	"archive/tar"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/polyarch/polyarch/platform"
)

// Result is what was built: one image (single platform) or an index.
type Result struct {
	Image v1.Image      // set for a single-platform build
	Index v1.ImageIndex // set for a multi-platform build
}

// images returns each platform's image in index order.
func (r Result) images() ([]v1.Image, []platform.Platform, error) {
	if r.Image != nil {
		cfg, err := r.Image.ConfigFile()
		if err != nil {
			return nil, nil, err
		}
		return []v1.Image{r.Image}, []platform.Platform{{OS: cfg.OS, Architecture: cfg.Architecture, Variant: cfg.Variant}}, nil
	}
	im, err := r.Index.IndexManifest()
	if err != nil {
		return nil, nil, err
	}
	var imgs []v1.Image
	var plats []platform.Platform
	for _, d := range im.Manifests {
		img, err := r.Index.Image(d.Digest)
		if err != nil {
			return nil, nil, err
		}
		imgs = append(imgs, img)
		if d.Platform != nil {
			plats = append(plats, platform.Platform{OS: d.Platform.OS, Architecture: d.Platform.Architecture, Variant: d.Platform.Variant})
		} else {
			plats = append(plats, platform.Platform{})
		}
	}
	return imgs, plats, nil
}

// WriteOCI writes r as an OCI image layout: a tar at dest, or a directory
// when asTar is false. names become org.opencontainers.image.ref.name
// annotations.
func WriteOCI(ctx context.Context, r Result, dest string, asTar bool, names []string) error {
	dir := dest
	if asTar {
		tmp, err := os.MkdirTemp(filepath.Dir(absOrSelf(dest)), ".polyarch-oci-")
		if err != nil {
			return fmt.Errorf("writing OCI layout: %w", err)
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		return fmt.Errorf("writing OCI layout %s: %w", dir, err)
	}
	ann := map[string]string{}
	if len(names) > 0 {
		ann["org.opencontainers.image.ref.name"] = names[0]
	}
	if r.Index != nil {
		err = p.AppendIndex(r.Index, layout.WithAnnotations(ann))
	} else {
		err = p.AppendImage(r.Image, layout.WithAnnotations(ann))
	}
	if err != nil {
		return fmt.Errorf("writing OCI layout: %w", err)
	}
	if !asTar {
		return nil
	}
	return tarDir(ctx, dir, dest)
}

// WriteDocker writes a docker-archive tar (for docker load) of a
// single-platform result, tagged with names.
func WriteDocker(r Result, dest string, names []string) error {
	if r.Image == nil {
		return fmt.Errorf("a docker-archive holds one platform: build one --platform, or use -o type=oci for all")
	}
	refs := map[name.Reference]v1.Image{}
	for _, n := range names {
		ref, err := name.ParseReference(n)
		if err != nil {
			return fmt.Errorf("name %q: %w", n, err)
		}
		refs[ref] = r.Image
	}
	return writeFile(dest, func(w io.Writer) error {
		if len(refs) == 0 {
			return tarball.Write(nil, r.Image, w)
		}
		return tarball.MultiRefWrite(refs, w)
	})
}

// WriteFilesystem writes the flattened filesystem of r: to a directory
// (Local) or a tar (Tar). Several platforms get a directory each.
func WriteFilesystem(ctx context.Context, r Result, kind Kind, dest string) error {
	imgs, plats, err := r.images()
	if err != nil {
		return err
	}
	return writeFile(dest, func(w io.Writer) error {
		tw := tar.NewWriter(w)
		for i, img := range imgs {
			prefix := ""
			if len(imgs) > 1 {
				prefix = strings.ReplaceAll(platform.Format(plats[i]), "/", "_") + "/"
			}
			if err := copyTar(ctx, tw, mutate.Extract(img), prefix); err != nil {
				return err
			}
		}
		return tw.Close()
	}, kind == Local)
}
