// Package build executes a dockerfile.Plan: every target platform's stages,
// concurrently where their dependencies allow, bounded by a job limit. Base
// images come from the store (pulled when missing); RUN steps run in the
// sandbox over an overlay of the stage's layer dirs, emulated through the
// sandbox's private binfmt_misc when the stage's platform is foreign; the
// overlay's upper dir becomes the step's layer (packed from the upper dir
// only, so the cost grows with what changed). COPY and ADD are done on the
// host side by package build/fileop, never emulated. The result is written
// to the store as one image per platform and, for several platforms, an
// index in the requested order.
//
// It does not parse Dockerfiles (build/dockerfile), push or export
// (publish), or render progress (the CLI gets Events).
package build
