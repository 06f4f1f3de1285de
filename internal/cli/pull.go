package cli

import (
	"errors"
	"fmt"
	"os"
	"sync"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/spf13/cobra"

	"github.com/polyarch/polyarch/image"
	"github.com/polyarch/polyarch/platform"
	"github.com/polyarch/polyarch/sandbox"
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
	progress := e.pullProgress()
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

// pullProgress renders download events: on a terminal one line per layer,
// redrawn as bytes arrive; otherwise a plain line when a layer is done or
// cached.
func (e *env) pullProgress() func(image.Event) {
	var mu sync.Mutex
	f, ok := e.stderr.(*os.File)
	if !ok || !sandbox.IsTerminal(int(f.Fd())) {
		return func(ev image.Event) {
			if ev.Kind == image.LayerDownloading {
				return
			}
			mu.Lock()
			defer mu.Unlock()
			fmt.Fprintf(e.stderr, "%s %s %s %s (%d bytes)\n", platform.Format(ev.Platform), short(ev.Layer), ev.Kind, ev.Ref, ev.Total)
		}
	}
	var order []v1.Hash
	state := map[v1.Hash]image.Event{}
	drawn := 0
	return func(ev image.Event) {
		mu.Lock()
		defer mu.Unlock()
		if _, seen := state[ev.Layer]; !seen {
			order = append(order, ev.Layer)
		}
		state[ev.Layer] = ev
		if drawn > 0 {
			fmt.Fprintf(e.stderr, "\x1b[%dA", drawn)
		}
		for _, h := range order {
			s := state[h]
			pct := 100.0
			if s.Total > 0 && s.Kind == image.LayerDownloading {
				pct = 100 * float64(s.Done) / float64(s.Total)
			}
			fmt.Fprintf(e.stderr, "\x1b[2K%s %-12s %5.1f%% of %s\n", short(h), s.Kind, pct, humanBytes(s.Total))
		}
		drawn = len(order)
	}
}
