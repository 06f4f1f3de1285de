package cli

import (
	"fmt"

	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/spf13/cobra"
)

func newPushCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "push REF [DEST]",
		Short: "Push an image or multi-platform index from the local store to a registry",
		Long: `push sends what REF names in the local store (an image, or an index with
all its platforms) to REF's registry, or to DEST when given. It prints the
pushed digest.`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			dest := args[0]
			if len(args) == 2 {
				dest = args[1]
			}
			return e.pushStored(cmd, args[0], dest)
		},
	}
}

// pushStored pushes the stored image or index ref to dest.
func (e *env) pushStored(cmd *cobra.Command, ref, dest string) error {
	st, err := e.openStore(cmd)
	if err != nil {
		return err
	}
	d, err := e.resolveLocal(cmd, st, ref)
	if err != nil {
		return err
	}
	c, err := e.imageClient(cmd.Context(), nil)
	if err != nil {
		return err
	}
	var t remote.Taggable
	switch {
	case d.MediaType.IsIndex():
		t, err = st.Index(d.Digest)
	case d.MediaType.IsImage():
		t, err = st.Image(d.Digest)
	default:
		err = fmt.Errorf("%s is a %s, neither an image nor an index", ref, d.MediaType)
	}
	if err != nil {
		return err
	}
	if err := c.Push(cmd.Context(), dest, t); err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "pushed %s (%s)\n", dest, platformsOf(st, d))
	fmt.Fprintln(e.stdout, d.Digest)
	return nil
}
