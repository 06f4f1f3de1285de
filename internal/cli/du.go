package cli

import (
	"fmt"
	"os"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/polyarch/polyarch/build"
	"github.com/polyarch/polyarch/store"
)

func newDuCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "du",
		Short: "Show the local store's disk usage: blobs, unpacked layers, build cache",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := e.openStore(cmd)
			if err != nil {
				return err
			}
			u, err := st.DiskUsage()
			if err != nil {
				return err
			}
			c := build.CacheUsage(st)
			w := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintf(w, "blobs\t%d\t%s\n", u.BlobCount, humanBytes(u.Blobs))
			fmt.Fprintf(w, "unpacked layers\t%d\t%s\n", u.UnpackedCount, humanBytes(u.Unpacked))
			fmt.Fprintf(w, "build cache records\t%d\t\n", c.Records)
			fmt.Fprintf(w, "cache mounts\t\t%s\n", humanBytes(c.CacheMount))
			fmt.Fprintf(w, "temporary\t\t%s\n", humanBytes(u.Tmp))
			fmt.Fprintf(w, "total\t\t%s\n", humanBytes(u.Blobs+u.Unpacked+u.Tmp+c.CacheMount))
			return w.Flush()
		},
	}
}

// pruneCache drops build cache records unused since until (when set) and,
// while the store is bigger than keep (when set), the least recently used
// ones, in batches, collecting garbage after each.
func pruneCache(cmd *cobra.Command, st *store.Store, until time.Duration, keep int64) (int, error) {
	recs, err := build.CacheRecords(st)
	if err != nil {
		return 0, err
	}
	n := 0
	if until > 0 {
		cutoff := time.Now().Add(-until)
		for len(recs) > 0 && recs[0].LastUsed.Before(cutoff) {
			if os.Remove(recs[0].Path) == nil {
				n++
			}
			recs = recs[1:]
		}
	}
	for keep > 0 && len(recs) > 0 {
		u, err := st.DiskUsage()
		if err != nil || u.Blobs+u.Unpacked <= keep {
			return n, err
		}
		batch := max(1, len(recs)/10)
		for _, r := range recs[:batch] {
			if os.Remove(r.Path) == nil {
				n++
			}
		}
		recs = recs[batch:]
		roots, err := build.CacheRoots(st)
		if err != nil {
			return n, err
		}
		if _, err := st.GC(cmd.Context(), roots...); err != nil {
			return n, err
		}
	}
	return n, nil
}
