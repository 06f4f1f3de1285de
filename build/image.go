package build

import (
	"context"
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// image assembles the final stage's image and writes it to the store.
func (r *platformRun) image(ctx context.Context, st *stageResult) (v1.Image, error) {
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	adds := make([]mutate.Addendum, len(st.layers))
	for i, l := range st.layers {
		adds[i] = mutate.Addendum{Layer: l.Layer, MediaType: types.OCILayer}
	}
	img, err := mutate.Append(img, adds...)
	if err != nil {
		return nil, fmt.Errorf("assembling image: %w", err)
	}
	cf := st.cfg.DeepCopy()
	setPlatform(cf, r.build.Platform)
	cf.Created = v1.Time{Time: r.now()}
	for k, v := range r.b.o.labels {
		if cf.Config.Labels == nil {
			cf.Config.Labels = map[string]string{}
		}
		cf.Config.Labels[k] = v
	}
	cf.RootFS = v1.RootFS{Type: "layers"}
	for _, l := range st.layers {
		d, err := l.DiffID()
		if err != nil {
			return nil, err
		}
		cf.RootFS.DiffIDs = append(cf.RootFS.DiffIDs, d)
	}
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		return nil, fmt.Errorf("assembling image config: %w", err)
	}
	if r.b.o.annotations != nil {
		if a := r.b.o.annotations(r.build.Platform); len(a) > 0 {
			img = mutate.Annotations(img, a).(v1.Image)
		}
	}
	if _, err := r.b.st.WriteImage(ctx, img); err != nil {
		return nil, fmt.Errorf("writing image: %w", err)
	}
	return img, nil // keeps base layers mountable for a push to their registry
}
