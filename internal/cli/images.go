package cli

import (
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/spf13/cobra"

	"github.com/polyarch/polyarch/build"
	"github.com/polyarch/polyarch/container"
	"github.com/polyarch/polyarch/store"
)

func newImagesCmd(e *env) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "images",
		Short: "List the images in the local store",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := e.openStore(cmd)
			if err != nil {
				return err
			}
			tags, err := st.Tags()
			if err != nil {
				return err
			}
			if asJSON {
				return json.NewEncoder(e.stdout).Encode(tags)
			}
			w := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "REFERENCE\tDIGEST\tPLATFORMS\tSIZE")
			for _, t := range tags {
				fmt.Fprintf(w, "%s\t%s\t%s\t%d\n", t.Ref, short(t.Descriptor.Digest), platformsOf(st, t.Descriptor), t.Descriptor.Size)
			}
			return w.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func short(h v1.Hash) string {
	if len(h.Hex) < 12 {
		return h.String()
	}
	return h.Algorithm + ":" + h.Hex[:12]
}

// platformsOf lists the platforms a tag covers.
func platformsOf(st *store.Store, d v1.Descriptor) string {
	if d.Platform != nil {
		return d.Platform.String()
	}
	if !d.MediaType.IsIndex() {
		return "-"
	}
	idx, err := st.Index(d.Digest)
	if err != nil {
		return "?"
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return "?"
	}
	s := ""
	for i, m := range im.Manifests {
		if m.Platform == nil {
			continue
		}
		if i > 0 {
			s += ","
		}
		s += m.Platform.String()
	}
	return s
}

func newInspectCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "inspect REF",
		Short: "Show an image's manifest (or index) and config from the local store as JSON",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, d, err := e.storedRef(cmd, args[0])
			if err != nil {
				return err
			}
			out := map[string]any{"descriptor": d}
			if d.MediaType.IsIndex() {
				idx, err := st.Index(d.Digest)
				if err != nil {
					return err
				}
				out["index"], _ = idx.IndexManifest()
			} else {
				img, err := st.Image(d.Digest)
				if err != nil {
					return err
				}
				out["manifest"], _ = img.Manifest()
				out["config"], _ = img.ConfigFile()
			}
			enc := json.NewEncoder(e.stdout)
			enc.SetIndent("", "  ")
			return enc.Encode(out)
		},
	}
}

func newTagCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "tag SOURCE TARGET",
		Short: "Give an image in the local store another name",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, d, err := e.storedRef(cmd, args[0])
			if err != nil {
				return err
			}
			c, err := e.imageClient(cmd.Context(), nil)
			if err != nil {
				return err
			}
			ref, err := c.ParseReference(args[1])
			if err != nil {
				return err
			}
			return st.Tag(cmd.Context(), ref.Name(), d)
		},
	}
}

func newRmiCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "rmi REF...",
		Short: "Remove image names from the local store (space is reclaimed by prune)",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := e.openStore(cmd)
			if err != nil {
				return err
			}
			for _, a := range args {
				name := e.localName(cmd, st, a)
				if err := st.Untag(cmd.Context(), name); err != nil {
					return fmt.Errorf("removing %s: %w", a, err)
				}
				fmt.Fprintf(e.stdout, "untagged %s\n", name)
			}
			return nil
		},
	}
}

func newPruneCmd(e *env) *cobra.Command {
	var keepRecent time.Duration
	var all bool
	var filters []string
	var keepStorage string
	cmd := &cobra.Command{
		Use:   "prune",
		Short: "Remove unreferenced blobs, unpacked layers and leftovers of interrupted work",
		Long: `prune removes what no tag reaches: blobs, unpacked layers, temporary files of
interrupted pulls and builds, and the dirs of containers whose polyarch was
killed. Work in progress in other polyarch processes is never removed.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := e.openStore(cmd, store.WithGCGracePeriod(keepRecent))
			if err != nil {
				return err
			}
			ctrs, err := container.Prune(st)
			if err != nil {
				return err
			}
			until, err := untilFilter(filters)
			if err != nil {
				return err
			}
			keep, err := parseSize(keepStorage)
			if err != nil {
				return err
			}
			dropped, err := pruneCache(cmd, st, until, keep)
			if err != nil {
				return err
			}
			if dropped > 0 {
				fmt.Fprintf(e.stdout, "dropped %d build cache records\n", dropped)
			}
			var roots []v1.Hash
			if all {
				if err := build.PruneCache(st); err != nil {
					return err
				}
			} else if roots, err = build.CacheRoots(st); err != nil {
				return err
			}
			rep, err := st.GC(cmd.Context(), roots...)
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "removed %d blobs, %d unpacked layers, %d temporary entries, %d dead containers; %d bytes freed\n",
				rep.BlobsRemoved, rep.DirsRemoved, rep.TmpRemoved, ctrs, rep.BytesFreed)
			return nil
		},
	}
	cmd.Flags().DurationVar(&keepRecent, "keep-recent", 0, "keep unreferenced content younger than this")
	cmd.Flags().BoolVarP(&all, "all", "a", false, "also drop the build cache")
	cmd.Flags().StringArrayVar(&filters, "filter", nil, "until=DURATION: drop build cache unused for that long (e.g. until=24h)")
	cmd.Flags().StringVar(&keepStorage, "keep-storage", "", "drop least recently used build cache until the store is under this size (e.g. 10GB)")
	return cmd
}

// localName is how ref is tagged in the store: its normalised name
// ("busybox" → "index.docker.io/library/busybox:latest") when that is
// there, else ref as given (a digest or a raw name).
func (e *env) localName(cmd *cobra.Command, st *store.Store, ref string) string {
	c, err := e.imageClient(cmd.Context(), nil)
	if err != nil {
		return ref
	}
	if r, err := c.ParseReference(ref); err == nil {
		if _, err := st.Resolve(r.Name()); err == nil {
			return r.Name()
		}
	}
	return ref
}

// resolveLocal finds ref in the store, by name or digest.
func (e *env) resolveLocal(cmd *cobra.Command, st *store.Store, ref string) (v1.Descriptor, error) {
	d, err := st.Resolve(e.localName(cmd, st, ref))
	if err != nil {
		return v1.Descriptor{}, fmt.Errorf("%s: %w (see: polyarch images)", ref, err)
	}
	return d, nil
}

func untilFilter(filters []string) (time.Duration, error) {
	var until time.Duration
	for _, f := range filters {
		v, ok := strings.CutPrefix(f, "until=")
		if !ok {
			return 0, fmt.Errorf("--filter %q: polyarch knows until=DURATION", f)
		}
		d, err := time.ParseDuration(v)
		if err != nil {
			return 0, fmt.Errorf("--filter %q: %w", f, err)
		}
		until = d
	}
	return until, nil
}

// parseSize parses 512MB, 10GB, 1.5GiB or plain bytes; "" is 0.
func parseSize(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	units := []struct {
		suffix string
		mult   float64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"GB", 1e9}, {"MB", 1e6}, {"KB", 1e3}, {"G", 1e9}, {"M", 1e6}, {"K", 1e3}, {"B", 1}}
	for _, u := range units {
		if num, ok := strings.CutSuffix(strings.TrimSpace(s), u.suffix); ok {
			var f float64
			if _, err := fmt.Sscanf(num, "%g", &f); err != nil {
				return 0, fmt.Errorf("size %q: %w", s, err)
			}
			return int64(f * u.mult), nil
		}
	}
	var n int64
	if _, err := fmt.Sscanf(s, "%d", &n); err != nil {
		return 0, fmt.Errorf("size %q: want e.g. 10GB", s)
	}
	return n, nil
}

// storedRef opens the store and finds ref in it.
func (e *env) storedRef(cmd *cobra.Command, ref string) (*store.Store, v1.Descriptor, error) {
	st, err := e.openStore(cmd)
	if err != nil {
		return nil, v1.Descriptor{}, err
	}
	d, err := e.resolveLocal(cmd, st, ref)
	return st, d, err
}
