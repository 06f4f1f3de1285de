// Package store is polyarch's on-disk, content-addressed image store.
//
// A store lives under one root directory chosen by the caller (the CLI uses
// /var/lib/polyarch as root and $XDG_DATA_HOME/polyarch otherwise):
//
//	<root>/oci/                 an OCI image layout (oci-layout, index.json,
//	                            blobs/sha256/<hex>), readable by
//	                            `skopeo copy oci:<root>/oci:<ref>` and ggcr's
//	                            layout package
//	<root>/unpacked/<diffID>/   a layer's unpacked tree, used as an overlay
//	                            lower dir
//	<root>/tmp/                 in-flight writes; anything here is untrusted
//	<root>/locks/               flock(2) lock files
//
// Tags are descriptors in oci/index.json carrying the annotation
// org.opencontainers.image.ref.name = the full reference; a tag points to an
// image manifest (with the descriptor's platform set) or an image index.
//
// # Invariants
//
//   - A blob or unpacked dir is trusted only because it was renamed into place
//     after being verified (blobs: sha256 and size while streaming) or filled
//     completely (unpacked dirs). Interrupted writes leave only entries in
//     tmp/, which GC removes.
//   - Children are written before parents, so an interrupted write never
//     leaves a parent whose children are missing. (A GC killed midway can, for
//     an unreachable parent; so WriteImage and WriteIndex skip a stored
//     subtree only after checking, locally, that it is complete.)
//   - index.json is only changed read-modify-write under locks/index.lock and
//     replaced by rename, so readers never need a lock.
//   - Every mutating operation holds locks/gc.lock shared; GC holds it
//     exclusively. Multi-step sequences (write layers … tag) that must survive
//     a concurrent GC in another process wrap themselves in Store.Hold; a grace
//     period (WithGCGracePeriod) protects recent data as a second line.
//
// The store does not parse or normalise references (package image does that
// with ggcr's name package), does not talk to registries, and does not know how
// to unpack a layer: Unpacked takes the fill function from the caller.
package store
