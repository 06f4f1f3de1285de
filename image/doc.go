// Package image resolves image references, chooses the manifest of a
// platform, pulls images from registries into the store, and manages
// registry credentials.
//
// # References
//
// ParseReference follows Docker: "busybox" is
// index.docker.io/library/busybox:latest; registries on this machine
// (localhost, 127.0.0.0/8, [::1]) and those configured as insecure may be
// reached over plain HTTP.
//
// # Platforms
//
// SelectManifest picks an index's entry for a platform with
// platform.Matches (arm64 with or without v8, arm without a variant as v7)
// and skips buildx attestation entries. A single-platform image of another
// platform than the one requested is an error (the classic mistake: an arm64
// tag built FROM an i386 base), unless no platform was requested. An index
// entry whose image config names another architecture is an error too.
//
// # Pulling and the store
//
// Client.Pull writes the selected platform's image (layers, config,
// manifest; blobs already present are not downloaded) and tags it under the
// normalised reference (Pulled.Ref, e.g. index.docker.io/library/busybox:latest):
//
//   - A reference naming a single-platform image is tagged as that manifest
//     (its descriptor carries the platform).
//   - A reference naming an index is tagged as a local OCI index holding only
//     the platform manifests pulled so far, each entry carrying its platform.
//     Pulling another platform rewrites that local index with the entries
//     already tagged (the one of the same platform replaced in place, the new
//     one appended otherwise). Pulling busybox:latest for arm64 then amd64
//     leaves one tag whose index has both. The local index is not the
//     registry's: its digest differs, and if the remote tag moved between two
//     pulls its entries come from different versions. Pull again to refresh.
//     Merges are serialised within a Client; two processes pulling platforms
//     of one reference at the same instant may drop an entry (pull again).
//
// Requests failing with a connection reset, 429 or a 5xx are retried with
// exponential backoff (ggcr's retry transport); a body cut off halfway is
// fetched again, keeping the blobs already stored (WithRetryBackoff).
//
// Client.LocalImage finds a pulled image for a platform without the network;
// Client.Resolve returns the remote manifest descriptor without pulling.
//
// # Credentials
//
// The CLI passes auth file paths (REGISTRY_AUTH_FILE,
// $DOCKER_CONFIG/config.json, ~/.docker/config.json) with WithAuthFile; the
// package never reads the environment itself. Files are in Docker's config.json format,
// including "credHelpers" and "credsStore" (docker-credential-<name> on
// PATH). Login verifies credentials with the registry and saves them; Logout
// removes them.
//
// # Config file
//
// LoadConfig reads a TOML file, by convention
// $XDG_CONFIG_HOME/polyarch/config.toml (the CLI chooses the path; a missing
// file is an empty config). It holds one table per registry, named by the
// registry's host[:port] ("docker.io" is Docker Hub):
//
//	# Ask these mirrors, in order, before Docker Hub itself; Docker Hub is the
//	# fallback when no mirror has the image. A mirror may have a path prefix
//	# (a Harbor proxy project): harbor.example/dockerhub serves
//	# docker.io/library/busybox as harbor.example/dockerhub/library/busybox.
//	[registry."docker.io"]
//	mirrors = ["mirror.example:5000", "harbor.example/dockerhub"]
//
//	# Plain HTTP (after HTTPS fails) and unverified TLS certificates, as
//	# Docker's insecure-registries. localhost, 127.0.0.0/8 and [::1] need no
//	# entry (for plain HTTP; self-signed certificates need one). A mirror
//	# that is insecure needs its own table.
//	[registry."registry.lan:5000"]
//	insecure = true
//
//	[registry."mirror.example:5000"]
//	insecure = true
//
// Keys other than mirrors and insecure are errors, so typos do not pass
// silently. A mirror that lacks the manifest, refuses or cannot be reached
// (after one retry) passes the request to the next mirror, then to the
// registry itself; blobs come from the endpoint that served the manifest.
// Images pulled through a mirror are tagged under their original name.
//
// # What it does not do
//
// It does not push (package publish), unpack layers (rootfs), or decide
// where files live (the CLI does). Progress is reported as Events to a
// callback; rendering it is the CLI's job.
package image
