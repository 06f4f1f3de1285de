package rootfs

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzUnpack feeds arbitrary bytes to Unpack as a layer tar, in both
// whiteout modes. Errors are fine; a panic or any change next to the root
// (the sentinel sibling or the parent itself) is not.
//
// go test ./rootfs/ -run '^$' -fuzz FuzzUnpack -fuzztime 60s
func FuzzUnpack(f *testing.F) {
	// Seeds: every hostile archive (with a fixed stand-in for the parent
	// path, so absolute names mean something) and a normal tree.
	for _, tc := range hostileCases() {
		for _, l := range tc.layers("/tmp/fuzz-parent", "/tmp/fuzz-parent/sentinel") {
			f.Add(buildTar(f, l...))
		}
	}
	f.Add(buildTar(f, normalTree()...))
	f.Add(sparseBomb(f))
	for _, tc := range whiteoutCases {
		f.Add(buildTar(f, tc.layers[len(tc.layers)-1]...))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		parent, root, _ := hostileSetup(t)
		overlay := filepath.Join(parent, "overlay")
		if err := os.Mkdir(overlay, 0o755); err != nil {
			t.Fatal(err)
		}
		before := snapshot(t, parent, true, root, overlay)
		for i, mode := range []WhiteoutMode{ApplyWhiteouts, OverlayWhiteouts} {
			// Device nodes off: random majors/minors as real block devices
			// in /tmp are not worth the risk; the path handling is the same.
			_, _ = Unpack(context.Background(), bytes.NewReader(data), []string{root, overlay}[i],
				WithWhiteoutMode(mode), WithDeviceNodes(false), WithIgnoreChownErrors(true))
		}
		if d := diffSnapshots(before, snapshot(t, parent, true, root, overlay)); len(d) > 0 {
			t.Fatalf("changes outside the root:\n%s", strings.Join(d, "\n"))
		}
	})
}
