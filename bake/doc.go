// Package bake builds many images of one repository: it reads the project
// files (polyarch.yaml, docker-bake.json, compose files), or discovers the
// Dockerfiles of a tree, and turns the selected targets into per-platform
// builds in dependency order. It covers the repositories of the 2018 era: a
// folder per image with per-arch subfolders (nginx/arm64v8/Dockerfile),
// Dockerfile.<arch> files, or one template run through a preprocessor per
// arch; each becomes ONE multi-arch image (issue 7).
//
// # polyarch.yaml
//
//	variables:               # ${NAME} in any string; the environment variable NAME overrides the default
//	  REGISTRY: {default: "localhost:5000"}
//	groups:
//	  default: [busybox-tools, web]          # groups may name groups
//	rewrites:                # legacy base images → today's multi-arch bases, per platform
//	  "multiarch/alpine:aarch64-edge": {image: "alpine:edge", platform: linux/arm64}   # exactly this reference
//	  "arm64v8/debian": {image: "debian", platform: linux/arm64}  # the repository, any tag (kept)
//	  "arm32v7/": {image: "", platform: linux/arm/v7}             # a namespace: arm32v7/nginx:1 → nginx:1
//	targets:
//	  web:
//	    context: web                             # relative to the file's directory; default "."
//	    dockerfile: Dockerfile                   # relative to the context; default Dockerfile
//	    dockerfile-per-platform:                 # relative to the context; or {dockerfile: …, context: …}
//	      linux/arm64: arm64v8/Dockerfile
//	    platforms: [linux/amd64, linux/arm64, linux/arm/v7]   # any spelling; the index keeps this order
//	    tags: ["${REGISTRY}/web:latest"]
//	    arch-tags: ["${REGISTRY}/web:{arch}", "${REGISTRY}/web:{arch}-{date}"]
//	    arch-spelling: bashbrew                  # bashbrew (default) | debian | oci | uname | qemu
//	    args: {VERSION: "1.2"}
//	    labels: {org.opencontainers.image.source: "…"}
//	    target: runtime
//	    cache-from: ["type=registry,ref=…"]  # quote: a comma splits a [list]
//	    cache-to: ["type=registry,ref=…,mode=max"]
//	    outputs: ["type=oci,dest=web.tar"]
//	    push: false
//	    preprocess:                              # a template turned into each platform's Dockerfile
//	      template: Dockerfile.in
//	      command: [cpp, -P, -traditional, -D, "ARCH_{ARCH}", -D, "ARCH={arch}"]
//	    depends-on: [base]
//
// Variables: ${NAME}, ${NAME:-default} and ${NAME-default} work in every
// string of the file (keys too) and of docker-bake.json; $$ is a literal $.
// A name neither declared nor set in the environment is an error (compose
// files take any environment variable, empty when unset). A default may use
// other variables.
//
// {arch} is the platform's architecture in the target's arch-spelling
// (bashbrew: amd64, arm64v8, arm32v7, i386, ppc64le, s390x; debian: amd64,
// arm64, armhf, i386, ppc64el; oci: amd64, arm64, armv7, 386; uname:
// x86_64, aarch64, armv7l, i686; qemu: x86_64, aarch64, arm, i386); {ARCH}
// is the same in upper case; {date} is YYYYMMDD of SOURCE_DATE_EPOCH, else
// today (UTC). They work in arch-tags and in preprocess commands.
//
// # Which Dockerfile builds a platform
//
//  1. dockerfile-per-platform's entry for it;
//  2. without dockerfile, dockerfile-per-platform and preprocess: the
//     context's per-arch files, Dockerfile.<arch> (also Dockerfile-<arch>,
//     Dockerfile_<arch>, <arch>.Dockerfile; context: the directory) or
//     <arch>/Dockerfile (context: the <arch> folder, as Docker Hub built
//     it), <arch> in any spelling (arm64v8, aarch64, armhf, arm32v7, i386,
//     x86_64, ppc64el, …);
//  3. preprocess: the command's output for that platform. It runs in the
//     context directory with the template on stdin (an argument {template}
//     passes the path instead). Failing with "#error" on stderr marks the
//     platform unsupported: skipped and reported, not an error;
//  4. dockerfile (default <context>/Dockerfile).
//
// Without platforms, a target builds the platforms of its per-arch files,
// plus the host's when a Dockerfile for the others exists; with neither,
// the host's.
//
// # Rewrites and legacy bases
//
// Before building, the rules rewrite the FROM lines of every platform's
// Dockerfile (after ARG expansion, as the build sees them): the image is
// replaced and, when the rule names a platform and the line has no
// --platform, --platform=<p> is added. A base whose platform (the rule's,
// or what a legacy name says: Docker Hub's per-arch namespaces arm64v8/,
// i386/, … and multiarch/*:<arch>-… tags) contradicts the platform the
// stage builds for is an error naming both: an arm64v8 tag built from an
// i386 base was the classic bug of per-arch repositories.
//
// # Other project files
//
// Without --file, Load reads every one of DefaultFiles present in the
// directory, in that order, merging the definitions of a target: compose
// files (services with build:, tagged with image: and build.tags),
// docker-bake.json (variable, group, target with inherits; dockerfile-inline
// and named contexts are refused) and polyarch.yaml. Without any, Discover
// makes a target per directory holding Dockerfiles.
//
// # Dependencies
//
// NewGraph orders the targets of a run: one whose FROM, COPY --from or RUN
// --mount from= names an image another target tags (or arch-tags) builds
// after it, as do depends-on targets. Images match after normalisation
// (busybox is index.docker.io/library/busybox:latest). Cycles are errors
// naming each edge. The build itself uses the dependency's result from the
// local store, where it is tagged when it finishes: no registry round trip.
// Dependencies only order a run; they do not add targets to it.
//
// Changed selects the targets whose context or Dockerfiles changed since a
// git ref; Graph.WithDependents adds those built from them.
//
// This package reads files, runs the preprocessor and git; it builds,
// tags and pushes nothing: internal/cli runs the builds (Graph.Run
// schedules them) and prints the summary.
package bake
