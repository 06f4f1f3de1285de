package dockerfile

import "time"

// Kind is an instruction keyword in upper case.
type Kind string

// The instruction kinds a stage can hold (FROM starts a stage and is not
// an instruction of it).
const (
	KindAdd         Kind = "ADD"
	KindArg         Kind = "ARG"
	KindCmd         Kind = "CMD"
	KindCopy        Kind = "COPY"
	KindEntrypoint  Kind = "ENTRYPOINT"
	KindEnv         Kind = "ENV"
	KindExpose      Kind = "EXPOSE"
	KindHealthcheck Kind = "HEALTHCHECK"
	KindLabel       Kind = "LABEL"
	KindMaintainer  Kind = "MAINTAINER"
	KindOnbuild     Kind = "ONBUILD"
	KindRun         Kind = "RUN"
	KindShell       Kind = "SHELL"
	KindStopSignal  Kind = "STOPSIGNAL"
	KindUser        Kind = "USER"
	KindVolume      Kind = "VOLUME"
	KindWorkdir     Kind = "WORKDIR"
)

// Command is the kind-specific part of an Instruction. It is one of *Add,
// *ArgCmd, *Cmd, *Copy, *Entrypoint, *Env, *Expose, *Healthcheck, *Label,
// *Maintainer, *Onbuild, *Run, *Shell, *StopSignal, *User, *Volume, *Workdir.
type Command interface {
	Kind() Kind
	// render returns the stable JSON form's args and flags.
	render() (args []string, flags map[string]any)
}

// Run is RUN. The command line is not expanded: the shell does that.
type Run struct {
	// Shell is true for the shell form; Args then holds one string.
	Shell bool
	// Args is the exec-form argv, or the shell-form command line.
	Args []string
	// Heredocs are the here-documents of the command line, in order, with
	// their bodies as written (the shell expands them).
	Heredocs []Heredoc
	// Mounts are the --mount flags, expanded.
	Mounts []Mount
	// Network is "default", "none" or "host".
	Network string
	// Security is "sandbox" (default) or "insecure".
	Security string
}

// Heredoc is a here-document (<<EOF) of a RUN, COPY or ADD.
type Heredoc struct {
	// Name is the delimiter without quotes; COPY and ADD use it as the
	// file name.
	Name string
	// Data is the body. For COPY and ADD it is final: leading tabs removed
	// for <<-, variables expanded unless the delimiter was quoted. For RUN
	// it is as written.
	Data string
	// Expand is false when the delimiter was quoted (<<'EOF', <<"EOF").
	Expand bool
	// Chomp is true for <<- (leading tabs are stripped).
	Chomp bool
	// FD is the file descriptor of a RUN heredoc such as 3<<EOF, else 0.
	FD uint
}

// MountType is the type of a RUN --mount.
type MountType string

// The RUN --mount types.
const (
	MountBind   MountType = "bind"
	MountCache  MountType = "cache"
	MountTmpfs  MountType = "tmpfs"
	MountSecret MountType = "secret"
	MountSSH    MountType = "ssh"
)

// Mount is one RUN --mount, expanded, with BuildKit's defaults applied.
type Mount struct {
	Type MountType
	// From is the filesystem a bind mount shows or a cache mount starts
	// with: the build context (bind default), scratch (cache default), a
	// stage or an image. It is empty for tmpfs, secret and ssh.
	From     Origin
	Source   string
	Target   string
	ReadOnly bool
	// ID is the cache id (default: the cleaned target) or the secret/ssh id.
	ID string
	// Sharing is "shared" (default), "private" or "locked" for cache mounts.
	Sharing  string
	Required bool
	// SizeLimit is the tmpfs size in bytes, 0 for no limit.
	SizeLimit int64
	// Env is the variable a secret is exposed in, nil when not set.
	Env      *string
	Mode     *uint32
	UID, GID *uint32
}

// OriginKind says where the files of a COPY or mount come from.
type OriginKind string

// The origins of COPY sources and mounts.
const (
	OriginNone    OriginKind = ""        // not applicable (tmpfs, secret, ssh mounts)
	OriginContext OriginKind = "context" // the build context
	OriginScratch OriginKind = "scratch" // an empty directory
	OriginStage   OriginKind = "stage"   // an earlier stage of this build
	OriginImage   OriginKind = "image"   // an image, for Origin.Platform
)

// Origin is the source filesystem of a COPY or a RUN --mount.
type Origin struct {
	Kind OriginKind
	// Stage is the index of the stage for OriginStage, else -1.
	Stage int
	// Image is the reference for OriginImage.
	Image string
	// Platform is the platform to resolve Image for: as in BuildKit, the
	// target platform, even inside a --platform=$BUILDPLATFORM stage.
	Platform string
}

// SourceKind classifies a COPY or ADD source.
type SourceKind string

// The kinds of COPY and ADD sources.
const (
	SourceLocal SourceKind = "local" // a path in the context or the --from filesystem
	SourceURL   SourceKind = "url"   // an http(s) URL (ADD only)
	SourceGit   SourceKind = "git"   // a git repository URL (ADD only)
)

// Source is one COPY or ADD source.
type Source struct {
	Path string
	Kind SourceKind
}

// Files is what COPY and ADD share.
type Files struct {
	// Sources are the source paths or URLs, expanded; wildcards are kept.
	Sources []Source
	// Heredocs are inline files (COPY <<EOF /dest): each is copied like a
	// source file named Name (into Dest/ when Dest ends in / or there are
	// several sources, else as Dest itself), mode 0644 unless --chmod.
	Heredocs []Heredoc
	// Dest is the destination, expanded; relative to the working directory.
	Dest string
	// Chown is --chown (user[:group], names or ids), expanded.
	Chown string
	// Chmod is --chmod, expanded: octal ("0755") or symbolic ("u=rwx,go=rx").
	Chmod   string
	Link    bool
	Exclude []string
}

// Copy is COPY.
type Copy struct {
	Files
	// From is where the sources are: the context, a stage or an image.
	From    Origin
	Parents bool
}

// Add is ADD.
type Add struct {
	Files
	// Checksum is --checksum (for a URL or git source), expanded.
	Checksum   string
	KeepGitDir *bool
	Unpack     *bool
}

// Env is ENV: every value is expanded with the environment before the
// instruction (ENV a=1 b=$a sees the old a).
type Env struct {
	Vars []KeyValue
}

// ArgCmd is ARG inside a stage. Args carry the value each one got: the
// --build-arg value, else the expanded default, else the global ARG's value.
type ArgCmd struct {
	Args []Arg
}

// Label is LABEL, expanded.
type Label struct {
	Labels []KeyValue
}

// Expose is EXPOSE: ports as "80/tcp", ranges expanded.
type Expose struct {
	Ports []string
}

// Volume is VOLUME, expanded.
type Volume struct {
	Paths []string
}

// Workdir is WORKDIR.
type Workdir struct {
	// Path is the argument, expanded.
	Path string
	// Dir is the resulting absolute directory, "" when it depends on an
	// unresolved base image's WorkingDir.
	Dir string
}

// User is USER, expanded.
type User struct {
	User string
}

// StopSignal is STOPSIGNAL, expanded and checked.
type StopSignal struct {
	Signal string
}

// Shell is SHELL (always the JSON form).
type Shell struct {
	Shell []string
}

// Cmd is CMD; a shell form runs with the stage's SHELL.
type Cmd struct {
	Shell bool
	Args  []string
}

// Entrypoint is ENTRYPOINT; a shell form runs with the stage's SHELL.
type Entrypoint struct {
	Shell bool
	Args  []string
}

// Healthcheck is HEALTHCHECK, in image config form.
type Healthcheck struct {
	// Test is ["NONE"], ["CMD", argv...] or ["CMD-SHELL", command].
	Test []string
	// Zero durations and retries mean "inherit the default".
	Interval, Timeout, StartPeriod, StartInterval time.Duration
	Retries                                       int
}

// Onbuild is ONBUILD: the trigger is stored in the image config as written.
type Onbuild struct {
	Trigger string
}

// Maintainer is MAINTAINER (the image config's author).
type Maintainer struct {
	Name string
}

// Kind implementations.

func (*Run) Kind() Kind         { return KindRun }
func (*Copy) Kind() Kind        { return KindCopy }
func (*Add) Kind() Kind         { return KindAdd }
func (*Env) Kind() Kind         { return KindEnv }
func (*ArgCmd) Kind() Kind      { return KindArg }
func (*Label) Kind() Kind       { return KindLabel }
func (*Expose) Kind() Kind      { return KindExpose }
func (*Volume) Kind() Kind      { return KindVolume }
func (*Workdir) Kind() Kind     { return KindWorkdir }
func (*User) Kind() Kind        { return KindUser }
func (*StopSignal) Kind() Kind  { return KindStopSignal }
func (*Shell) Kind() Kind       { return KindShell }
func (*Cmd) Kind() Kind         { return KindCmd }
func (*Entrypoint) Kind() Kind  { return KindEntrypoint }
func (*Healthcheck) Kind() Kind { return KindHealthcheck }
func (*Onbuild) Kind() Kind     { return KindOnbuild }
func (*Maintainer) Kind() Kind  { return KindMaintainer }
