// Package dockerfile turns a Dockerfile into a Plan: for every target
// platform, the graph of stage instances the build needs, each with its
// base, its platform and its instructions with variables expanded.
//
// Parsing uses BuildKit's own frontend packages (parser, instructions,
// shell), so the syntax, heredocs, flags and variable expansion are
// BuildKit's. On top of them this package implements the parts of
// BuildKit's dockerfile2llb that do not need an image or a filesystem,
// with the same semantics:
//
//   - Automatic platform args (TARGETPLATFORM, TARGETOS, TARGETARCH,
//     TARGETVARIANT, BUILDPLATFORM, BUILDOS, BUILDARCH, BUILDVARIANT, and
//     TARGETSTAGE) are in the global scope: FROM lines see them; inside a
//     stage they are empty until re-declared with ARG. --build-arg
//     overrides them.
//   - Global ARGs (before the first FROM) are seen by FROM lines only; a
//     stage re-declares one with "ARG NAME" to get its value. Defaults may
//     use earlier ARGs. ARG values are in the environment of later RUNs;
//     a stage built FROM another inherits its ARGs and ENV.
//   - Which words expand: ENV, LABEL, ARG defaults, COPY/ADD sources, dest,
//     --chown, --chmod, ADD --checksum, unquoted COPY heredoc bodies,
//     WORKDIR, USER, VOLUME, EXPOSE, STOPSIGNAL and RUN --mount. RUN's
//     command line and heredocs are left to the shell; CMD, ENTRYPOINT,
//     SHELL, HEALTHCHECK, ONBUILD and MAINTAINER are stored as written.
//     COPY --from and --mount from= do not expand.
//   - A FROM --platform stage runs on that platform but still has one
//     instance per target platform (its TARGET* args differ). A stage
//     FROM another stage runs on that stage's platform. COPY --from=<image>
//     resolves the image for the target platform.
//   - Stages the target does not reach through FROM, COPY --from and
//     RUN --mount from= are left out; stage names are case-insensitive;
//     ONBUILD instructions of a stage run in the stages built FROM it.
//
// Deliberate differences from BuildKit: a duplicate stage name is an error
// (BuildKit only warns), FROM <stage> matches the name case-insensitively,
// RUN --mount from= also accepts a stage index, FROM --platform on scratch
// is honoured, and platforms are parsed by package platform, so every
// alias (aarch64, armhf, ...) is accepted.
//
// A stage whose base is an image cannot be expanded completely without the
// image's config (its ENV, WORKDIR and ONBUILD triggers): such stages have
// Resolved false, and the executor calls Build.Resolve with the configs it
// fetched (and again while Build.Missing reports stages, since ONBUILD
// triggers may pull in more stages). Parse itself reads no file and
// contacts no registry; Plans are pure values with a stable JSON form
// (Plan.JSON) used by golden tests. Stage.Fingerprint tells the executor
// which instances of different target platforms are the same work.
//
// The package also reads .dockerignore files (LoadIgnore) and matches
// context paths against them (Matcher).
//
// It does not execute anything, resolve users, touch the context, or
// evaluate wildcards; that is the build package's job.
package dockerfile
