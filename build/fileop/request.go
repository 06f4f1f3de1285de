package fileop

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"
	"time"
)

// IDs is a numeric owner, already resolved from --chown by the caller.
type IDs struct {
	UID, GID int
}

// Heredoc is an inline file of COPY/ADD (COPY <<EOF /dest). It is copied
// like a source file named Name: into Dest when Dest is a directory, else
// as Dest itself.
type Heredoc struct {
	Name string
	Data string
	// Mode is the file's permission bits; 0 means 0644 (BuildKit's).
	// --chmod still overrides it.
	Mode fs.FileMode
}

// Request is one COPY or ADD instruction, resolved by the caller.
type Request struct {
	// Src is the filesystem the Sources are read from: the build context
	// (a Union of one directory), or the layers of a stage or image.
	// It may be nil when there are only Heredocs.
	Src *Union
	// Context says Src is the build context: Ignore applies, files are
	// owned by 0:0 unless Chown is set (as BuildKit's context transfer
	// does), sockets become empty regular files, and errors speak of the
	// build context.
	Context bool
	// Sources are paths relative to the Src root (a leading "/" is allowed).
	// A path segment may hold filepath.Match wildcards ("*", "?", "[a-z]",
	// with "\" escapes); "**" is "*", as in BuildKit. With Parents, the
	// part after a "/./" pivot is a .dockerignore-style pattern in which
	// "**" spans directories.
	Sources []string
	// Heredocs are copied after the Sources.
	Heredocs []Heredoc
	// Dest is the absolute destination, WORKDIR already applied. A trailing
	// "/" means "a directory": it is created and sources are copied into it.
	Dest string
	// Target is the current image's filesystem (nil for scratch): it tells
	// what exists at Dest and which directories Out must reproduce.
	Target *Union
	// Out is the new, empty layer directory the result is written to, in
	// overlay form (it becomes the next layer above Target).
	Out string
	// Chown owns everything copied and every directory created. Nil keeps
	// the source's owner (0:0 for the context and heredocs); directories
	// Copy creates are then owned by 0:0.
	Chown *IDs
	// Chmod is --chmod: octal ("755", "0644") or symbolic ("u=rwx,go=rx",
	// "+x"), applied to every copied file and directory and to the
	// directories Copy creates. Empty keeps the source's modes.
	Chmod string
	// Exclude are --exclude patterns (.dockerignore syntax), matched
	// against paths relative to each source root.
	Exclude []string
	// Parents is --parents: keep each source's path below the Src root (or
	// below a "/./" pivot in the source) under Dest.
	Parents bool
	// Ignore is the .dockerignore matcher for the context: it is given a
	// slash-separated path relative to the context root and reports
	// whether it is excluded (a path below an excluded directory must be
	// reported excluded too). Used only when Context is set.
	Ignore func(rel string) (bool, error)
	// IgnoreExceptions says the ignore patterns have "!" exceptions, so an
	// ignored directory is still searched for re-included paths (a
	// directory is then created only for what it leads to).
	IgnoreExceptions bool
	// Add is ADD: a local source that is a tar archive (plain, gzip,
	// bzip2, xz or zstd) is extracted into Dest instead of copied. URLs
	// and git repositories are fetched by FetchURL and CloneGit.
	Add bool
	// AllowEmptyWildcard makes a wildcard that matches nothing copy
	// nothing, as BuildKit does. Default false: Docker's classic error
	// "no source files were specified".
	AllowEmptyWildcard bool
	// CreatedTime is the mtime of the directories Copy creates and of
	// heredoc files. The zero time means the time of the copy.
	CreatedTime time.Time
}

// Errors callers may branch on with errors.Is.
var (
	// ErrNotFound: a named source does not exist (or is excluded by
	// .dockerignore). It also satisfies errors.Is(err, fs.ErrNotExist).
	ErrNotFound = errors.New("file not found")
	// ErrOutsideContext: a source path climbs above the Src root.
	ErrOutsideContext = errors.New("forbidden path outside the build context")
	// ErrNoSources: a wildcard matched nothing.
	ErrNoSources = errors.New("no source files were specified")
	// ErrDestNotDir: several sources need Dest to be a directory.
	ErrDestNotDir = errors.New("the destination must be a directory and end with a /")
	// ErrChecksum: downloaded content does not match --checksum.
	ErrChecksum = errors.New("checksum mismatch")
)

// notFoundError wraps both ErrNotFound and the underlying stat error.
type notFoundError struct {
	msg string
	err error
}

func (e *notFoundError) Error() string { return e.msg + ": " + e.err.Error() }

func (e *notFoundError) Is(target error) bool { return target == ErrNotFound }

func (e *notFoundError) Unwrap() error { return e.err }

// command is "COPY" or "ADD", for messages.
func (r *Request) command() string {
	if r.Add {
		return "ADD"
	}
	return "COPY"
}

// fail prefixes err the way Docker's classic builder does ("COPY failed: ").
func (r *Request) fail(err error) error {
	return fmt.Errorf("%s failed: %w", r.command(), err)
}

// notFound is the error for a missing source, in Docker's wording.
func (r *Request) notFound(src string, err error) error {
	where := "the source stage or image"
	if r.Context {
		where = "build context or excluded by .dockerignore"
	}
	if errors.Is(err, fs.ErrNotExist) {
		err = fmt.Errorf("stat %s: %w", src, fs.ErrNotExist)
	}
	return r.fail(&notFoundError{msg: "file not found in " + where, err: err})
}

// cleanSource turns a source path into a clean path relative to the Src
// root, refusing one that climbs above it.
func (r *Request) cleanSource(src string) (string, error) {
	c := path.Clean(src)
	if c == ".." || strings.HasPrefix(c, "../") {
		return "", r.fail(fmt.Errorf("%w: %s", ErrOutsideContext, src))
	}
	return cleanRel(c), nil
}

// validate checks the fields every request needs.
func (r *Request) validate() error {
	switch {
	case r.Out == "":
		return r.fail(errors.New("no output layer directory given (Request.Out)"))
	case !strings.HasPrefix(r.Dest, "/"):
		return r.fail(fmt.Errorf("destination %q is not absolute: resolve it against WORKDIR first", r.Dest))
	case len(r.Sources) > 0 && r.Src == nil:
		return r.fail(errors.New("sources given without a source filesystem (Request.Src)"))
	case len(r.Sources) == 0 && len(r.Heredocs) == 0:
		return r.fail(ErrNoSources)
	}
	for _, h := range r.Heredocs {
		if h.Name == "" || h.Name == "." || h.Name == ".." || strings.Contains(h.Name, "/") {
			return r.fail(fmt.Errorf("invalid heredoc name %q: use a plain file name", h.Name))
		}
	}
	return nil
}
