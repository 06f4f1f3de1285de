package cli

import (
	"errors"
	"fmt"
	"sync"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/spf13/cobra"

	"github.com/polyarch/polyarch/image"
	"github.com/polyarch/polyarch/platform"
	"github.com/polyarch/polyarch/store"
)

func newPullCmd(e *env) *cobra.Command {
	var plat string
	cmd := &cobra.Command{
		Use:   "pull [--platform P] IMAGE",
		Short: "Pull an image for a platform into the local store",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			want, err := parsePlatformFlag(plat)
			if err != nil {
				return err
			}
			st, err := e.openStore(cmd)
			if err != nil {
				return err
			}
			p, err := e.pull(cmd, st, args[0], want)
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "%s %s %s\n", p.Ref, platform.Format(p.Platform), p.Digest)
			return nil
		},
	}
	cmd.Flags().StringVar(&plat, "platform", "", "platform to pull (default: the host's for an index, else the image's own)")
	return cmd
}

// pull pulls ref with plain progress lines on stderr.
func (e *env) pull(cmd *cobra.Command, st *store.Store, ref string, want *platform.Platform) (image.Pulled, error) {
	var mu sync.Mutex
	progress := func(ev image.Event) {
		if ev.Kind == image.LayerDownloading {
			return // plain output: one line per layer when it is done or cached
		}
		mu.Lock()
		fmt.Fprintf(e.stderr, "%s %s %s %s (%d bytes)\n", platform.Format(ev.Platform), short(ev.Layer), ev.Kind, ev.Ref, ev.Total)
		mu.Unlock()
	}
	c, err := e.imageClient(cmd.Context(), progress)
	if err != nil {
		return image.Pulled{}, err
	}
	return c.Pull(cmd.Context(), ref, want, st)
}

// getImage returns ref for the platform from the store, pulling it when it
// is not there.
func (e *env) getImage(cmd *cobra.Command, st *store.Store, ref, plat string) (v1.Image, error) {
	want, err := parsePlatformFlag(plat)
	if err != nil {
		return nil, err
	}
	c, err := e.imageClient(cmd.Context(), nil)
	if err != nil {
		return nil, err
	}
	local, err := c.LocalImage(st, ref, want)
	if err == nil {
		return local.Image, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	p, err := e.pull(cmd, st, ref, want)
	if err != nil {
		return nil, err
	}
	return p.Image, nil
}
