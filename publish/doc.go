// Package publish writes a built image or multi-platform index to where the
// user asked, with the grammar of `docker buildx build -o`: a registry, an
// OCI layout (directory or tar), a docker-archive tar for `docker load`, a
// local directory of the filesystem, or a tar of it. Multi-platform local
// and tar outputs get one top-level directory per platform (linux_arm64),
// as buildx does. The local store is not an output here: the builder writes
// there first and every output reads from it.
package publish
