package rootfs

import (
	"errors"
	"fmt"
	"path"
	"strings"
)

// OCI whiteout spelling, from
// https://github.com/opencontainers/image-spec/blob/main/layer.md#whiteouts
const (
	whiteoutPrefix = ".wh."
	whiteoutMeta   = ".wh..wh." // aufs metadata (.wh..wh.plnk, …); never a file
	whiteoutOpaque = ".wh..wh..opq"
)

// Overlay xattr namespaces. A layer tar may not set these: they steer
// overlayfs lookups (opaque, redirect, metacopy) and would let a layer hide
// or reach content outside its own directory.
const (
	xattrTrustedOverlay = "trusted.overlay."
	xattrUserOverlay    = "user.overlay."
	paxXattrPrefix      = "SCHILY.xattr."
)

// ErrUnsafePath is returned (wrapped) for an entry name, hardlink target or
// whiteout that would reach outside the destination directory or is not a
// usable path at all. Callers may branch on it with errors.Is: the layer is
// malformed or hostile and retrying will not help.
var ErrUnsafePath = errors.New("unsafe path in layer")

// ErrUnsupportedEntry is returned (wrapped) for tar entries Unpack refuses
// to process at all: sparse files, whose hole map lets a few bytes of input
// claim exabytes of output.
var ErrUnsupportedEntry = errors.New("unsupported tar entry")

// cleanName turns a tar entry name (or hardlink target) into a clean path
// relative to the layer root, "." for the root itself.
//
// Decision on hostile names: a leading "/" is dropped (names are always read
// relative to the layer root, as GNU tar and containerd do), and ".."
// components are resolved lexically, but a name whose ".." would climb above
// the root ("../x", "a/../../x") is refused with ErrUnsafePath rather than
// silently clamped: no legitimate layer contains one, and clamping would write
// the file somewhere its author did not ask for.
func cleanName(name string) (string, error) {
	if strings.IndexByte(name, 0) >= 0 {
		return "", fmt.Errorf("%w: name contains a NUL byte", ErrUnsafePath)
	}
	c := path.Clean(strings.TrimLeft(name, "/"))
	if c == ".." || strings.HasPrefix(c, "../") {
		return "", fmt.Errorf("%w: %q climbs above the layer root", ErrUnsafePath, name)
	}
	return c, nil
}

// whiteoutTarget returns the name a ".wh.NAME" base name deletes, or an
// error if NAME is not a single usable path component.
func whiteoutTarget(base string) (string, error) {
	t := strings.TrimPrefix(base, whiteoutPrefix)
	if t == "" || t == "." || t == ".." || strings.ContainsRune(t, '/') {
		return "", fmt.Errorf("%w: whiteout %q names no entry", ErrUnsafePath, base)
	}
	return t, nil
}

// isOverlayXattr reports whether an xattr belongs to overlayfs itself.
func isOverlayXattr(name string) bool {
	return strings.HasPrefix(name, xattrTrustedOverlay) || strings.HasPrefix(name, xattrUserOverlay)
}

// splitRel splits a clean relative path into its parent and base name.
// The root "." has parent "." and base ".".
func splitRel(rel string) (dir, base string) {
	if rel == "." {
		return ".", "."
	}
	return path.Dir(rel), path.Base(rel)
}
