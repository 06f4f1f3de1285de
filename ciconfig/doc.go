// Package ciconfig generates CI configurations that build and push a
// multi-platform image with polyarch: a GitHub Actions workflow, a GitLab CI
// pipeline, a Travis CI config and Docker Hub build hooks.
//
// Generation is pure: Generate returns the files' paths, contents and modes
// and writes nothing. Every generated file starts with a header holding
// Marker and a content hash (a "polyarch-ci-sha256:" line), so that Inspect
// can tell a file left as generated (safe to regenerate) from one its owner
// edited (to be kept unless the user forces it). Writing the files, and that
// decision, belong to the caller (polyarch ci init).
//
// The configs call polyarch's own commands only (go install, binfmt test and
// install, login, build, manifest create) plus the distribution's
// qemu-user-static package; no privileged container, no Docker daemon except
// on Docker Hub, where the builder has one anyway.
//
// Image tags follow docker/metadata-action's semver recipe (see TagScript).
package ciconfig
