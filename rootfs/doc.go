// Package rootfs turns OCI/Docker layer tars into directory trees and
// directory trees back into layer tars, safely.
//
// Unpack extracts one uncompressed layer into a directory. Layer tars come
// from registries and are untrusted, so every path is kept inside the
// directory: names are cleaned (a leading "/" is dropped, a ".." that climbs
// above the root is refused with ErrUnsafePath), symlinks already in the tree
// are resolved as if the directory were a chroot (via
// github.com/cyphar/filepath-securejoin/pathrs-lite, openat2 RESOLVE_IN_ROOT
// where available), hardlink targets and whiteouts are resolved the same
// way, and the final component of every entry is replaced, never followed.
// Whiteouts are either applied (deleting lower-layer content in place) or
// turned into overlayfs whiteouts and opaque xattrs so that each unpacked
// layer can be an overlay lower dir by itself; see WhiteoutMode.
//
// Decisions on hostile input (each has a row in hostile_test.go):
//
//   - A name or hardlink target whose ".." climbs above the root fails with
//     ErrUnsafePath; a leading "/" is dropped, so "/etc/x" means dir/etc/x.
//   - Symlinks are never followed by the host: "a -> /etc" then "a/passwd"
//     writes dir/etc/passwd if dir/etc exists and fails otherwise.
//   - A hardlink links only to an entry already inside dir; its final
//     component is not followed.
//   - ".wh.", ".wh..", ".wh..." and whiteouts outside the root fail; aufs
//     metadata (".wh..wh.*") is skipped.
//   - Overlay xattrs (trusted.overlay.*, user.overlay.*) in a tar are never
//     applied, so a layer cannot redirect overlayfs lookups.
//   - Sparse entries fail with ErrUnsupportedEntry: archive/tar expands their
//     holes, so a tiny tar could claim exabytes.
//
// On error the directory is left partly written (directory modes and times
// are not yet applied): callers unpack into a temporary directory and
// discard it.
//
// Pack writes a directory as a deterministic layer tar. With
// WithOverlayUpper it reads an overlayfs upper dir and turns overlay
// whiteouts and opaque directories back into OCI whiteouts: that is the diff
// of a build step.
//
// Metadata is restored in the order the kernel needs: owner, then mode
// (chown clears setuid/setgid), then xattrs (chown also clears
// security.capability), then times; directory modes and times are applied
// after the whole layer so their contents can be written first. What cannot
// be restored for lack of privilege (device nodes, trusted.* xattrs, owners
// with WithIgnoreChownErrors) is reported in UnpackStats.Skipped.
//
// With OverlayWhiteouts each layer is unpacked without knowing the ones
// below it, so a parent directory that the tar does not list itself is
// created 0755 and, as the topmost copy, shadows the lower directory's
// metadata in the overlay; layers written by docker, buildkit and Pack always
// list parents.
//
// The package does not decompress (callers hand it a plain tar stream), does
// not verify digests, does not mount overlays and does not make namespaces:
// those belong to the image, store and sandbox packages. It needs a mounted
// /proc. Its threat model is the tar, not a process changing the directory
// while it works; the resolution is race-resistant all the same (pathrs-lite
// lists its limits).
//
// Layer format: https://github.com/opencontainers/image-spec/blob/main/layer.md
// Overlay whiteouts: https://docs.kernel.org/filesystems/overlayfs.html
package rootfs
