package image

import (
	"context"
	"fmt"

	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Push uploads t (a v1.Image or v1.ImageIndex, with all its children) to
// ref with the client's auth, transport and retries. Blobs the registry has
// are not sent again; blobs of another repository on the same registry are
// mounted rather than uploaded where the registry allows it.
func (c *Client) Push(ctx context.Context, ref string, t remote.Taggable) error {
	r, err := c.ParseReference(ref)
	if err != nil {
		return err
	}
	opts := c.remoteOptions(ctx, r.Context().Registry, c.opts.backoff)
	if err := remote.Push(r, t, opts...); err != nil {
		return fmt.Errorf("pushing %s: %w", r.Name(), explain(r.Context().Registry, err))
	}
	return nil
}
