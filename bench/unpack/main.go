// Command unpack times nothing itself: it unpacks one uncompressed layer tar
// into a directory with rootfs.Unpack, so bench/run-overhead.sh can time it
// beside `tar -x` of the same file.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/polyarch/polyarch/rootfs"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: unpack LAYER.tar DIR")
		os.Exit(2)
	}
	f, err := os.Open(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer f.Close()
	if _, err := rootfs.Unpack(context.Background(), f, os.Args[2], rootfs.WithWhiteoutMode(rootfs.OverlayWhiteouts), rootfs.WithUserXattrs(true)); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
