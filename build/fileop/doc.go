// Package fileop performs Dockerfile COPY and ADD on the host, never
// emulated, writing the result into a new layer directory.
//
// polyarch keeps an image as a stack of unpacked layer directories in
// overlay form: a deleted path is a 0/0 character device (a whiteout) and
// a directory hiding the layers below carries user.overlay.opaque="y".
// Union is a read-only merged view of such a stack, as overlayfs would show
// it, without mounting anything; a plain directory (the build context) is a
// Union of one directory. Union.Resolve resolves symlinks as if the union
// were "/", so no path ever leads outside it.
//
// Copy implements COPY and ADD of local sources with BuildKit's semantics
// (frontend/dockerfile/dockerfile2llb and fsutil's copy): a directory's
// contents are copied, not the directory; a file goes into Dest when Dest
// ends in "/" or is a directory, else becomes Dest; a source named
// directly is followed if it is a symlink, symlinks inside directories are
// kept; modes, owners (unless --chown; 0:0 for the context), mtimes,
// xattrs and hardlinks within one instruction are kept; wildcards match
// per path segment with filepath.Match; --exclude, --parents, --chmod,
// heredocs and .dockerignore apply as in BuildKit. It writes only to Out:
// missing parents of Dest are created (0755, or --chmod, owned by --chown
// or root), and directories that already exist in the image are reproduced
// in Out with their own mode, owner, mtime and xattrs, so the layer does not
// change them. ADD extracts local tar archives (plain, gzip, bzip2, xz, zstd)
// with rootfs.Unpack and merges them into the image's tree.
//
// FetchURL downloads an ADD URL (not extracted) and CloneGit checks out an
// ADD git source with the host's git; the caller copies their result with
// Copy.
//
// Decisions where BuildKit and the Dockerfile reference differ, or where
// this package has to choose:
//
//   - Several sources need Dest to end in "/" (the reference's rule and the
//     classic builder's error "When using COPY with more than one source
//     file, the destination must be a directory and end with a /"), unless
//     Dest is an existing directory or every source is a directory or an
//     archive (whose contents merge): BuildKit does not check and silently
//     keeps the last file.
//   - A wildcard matching nothing fails with "no source files were
//     specified" (the classic builder's error); BuildKit copies nothing,
//     which Request.AllowEmptyWildcard selects.
//   - A source climbing above the Src root ("../x") fails with
//     ErrOutsideContext; BuildKit silently reads "/x".
//   - --exclude patterns are matched below each source root and never
//     against a wildcard match itself, as BuildKit does (moby/buildkit#5489:
//     "COPY --exclude=*.txt hom* /dir/" still copies home.txt).
//   - --chmod also applies to the directories Copy creates, as BuildKit's
//     integration tests require ("COPY --chmod=777 f /parent/f" makes
//     /parent 0777); a symbolic --chmod is applied to 0755 for them.
//   - Hardlinks are kept across all sources of one instruction (BuildKit:
//     within one source).
//   - A .dockerignore'd path is invisible even through a symlink to it; an
//     ignored directory is searched for re-included paths only when
//     Request.IgnoreExceptions says the patterns have "!" exceptions.
//   - A heredoc is copied like a source file named after it, as BuildKit
//     does: "COPY <<EOF /app/conf" writes /app/conf, "COPY <<EOF /app/"
//     writes /app/EOF.
//   - ADD archive whiteout entries (.wh.*) are applied within the archive,
//     not written as files; an archive's implied parent directories keep
//     the image's metadata (as extracting in place does), listed ones take
//     the archive's.
//   - A download is named after the URL's last path segment (the
//     Dockerfile frontend's rule), else Content-Disposition, else
//     "__unnamed__".
//
// The package does not resolve --chown names (the caller passes ids), does
// not mount, and does not compute cache keys.
package fileop
