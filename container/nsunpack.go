package container

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/klauspost/compress/zstd"
	"github.com/klauspost/pgzip"

	"github.com/polyarch/polyarch/rootfs"
	"github.com/polyarch/polyarch/sandbox"
	"github.com/polyarch/polyarch/store"
)

// Funcs are the functions a sandbox runs inside the user namespace for
// rootless callers; cmd/polyarch hands them to sandbox.Init.
func Funcs() map[string]func(args []string) error {
	return map[string]func([]string) error{
		"unpack": unpackFunc,
		"remove": removeFunc,
	}
}

// unpackFunc unpacks the layer blob args[0] (gzip, zstd or plain tar) into
// args[1] with ownership: inside the user namespace the subordinate ids are
// mapped, so files keep their owners as they are in the image.
func unpackFunc(args []string) error {
	if len(args) != 2 {
		return fmt.Errorf("unpack: want BLOB DIR")
	}
	f, err := os.Open(args[0])
	if err != nil {
		return err
	}
	defer f.Close()
	r, err := decompress(bufio.NewReaderSize(f, 1<<16))
	if err != nil {
		return err
	}
	_, err = rootfs.Unpack(context.Background(), r, args[1], rootfs.WithWhiteoutMode(rootfs.OverlayWhiteouts), rootfs.WithUserXattrs(true))
	return err
}

// decompress picks the decompressor by the stream's magic bytes.
func decompress(br *bufio.Reader) (io.Reader, error) {
	magic, _ := br.Peek(4)
	switch {
	case len(magic) >= 2 && magic[0] == 0x1f && magic[1] == 0x8b:
		return pgzip.NewReader(br)
	case len(magic) == 4 && magic[0] == 0x28 && magic[1] == 0xb5 && magic[2] == 0x2f && magic[3] == 0xfd:
		d, err := zstd.NewReader(br)
		if err != nil {
			return nil, err
		}
		return d.IOReadCloser(), nil
	}
	return br, nil
}

// removeFunc deletes args[0] from inside the user namespace, where files
// of subordinate ids can be removed.
func removeFunc(args []string) error {
	if len(args) != 1 {
		return fmt.Errorf("remove: want PATH")
	}
	return removeAll(args[0])
}

// Remover deletes paths through the user namespace (for store.WithRemover
// when rootless).
func Remover(self string) func(ctx context.Context, path string) error {
	return func(ctx context.Context, path string) error {
		if err := removeAll(path); err == nil {
			return nil
		}
		return sandbox.RunFunc(ctx, self, "remove", path)
	}
}

// unpackInNamespace fills dir from the layer's blob in the store through
// the user namespace; false when the blob is not in the store.
func unpackInNamespace(ctx context.Context, st *store.Store, self string, l v1.Layer, dir string) (bool, error) {
	d, err := l.Digest()
	if err != nil || !st.HasBlob(d) {
		return false, nil
	}
	return true, sandbox.RunFunc(ctx, self, "unpack", st.BlobPath(d), dir)
}
