package container

import (
	"os"
	"path/filepath"

	"github.com/polyarch/polyarch/binfmt"
	"github.com/polyarch/polyarch/sandbox"
	"github.com/polyarch/polyarch/store"
)

// Option changes how a container is prepared.
type Option func(*options)

type options struct {
	args       []string // replaces the image's Cmd when non-empty
	entrypoint *string  // replaces the image's Entrypoint when set ("" clears it)
	env        []string
	workdir    string
	user       string
	network    string
	hostname   string
	tty        bool
	mounts     []sandbox.Mount
	finder     binfmt.Finder
	resolvConf string
	dir        string
	keep       bool
	rootDir    string
	self       string
}

func newOptions(opts []Option) options {
	o := options{network: "host", resolvConf: "/etc/resolv.conf"}
	for _, f := range opts {
		f(&o)
	}
	return o
}

// runDir is where container dirs go: <store root>/containers by default.
func (o options) runDir(st *store.Store) string {
	d := o.dir
	if d == "" {
		d = filepath.Join(st.Root(), "containers")
	}
	_ = os.MkdirAll(d, 0o700)
	return d
}

// WithArgs replaces the image's Cmd (default: the image's).
func WithArgs(args ...string) Option { return func(o *options) { o.args = args } }

// WithEntrypoint replaces the image's Entrypoint; "" clears it (default:
// the image's).
func WithEntrypoint(ep string) Option { return func(o *options) { o.entrypoint = &ep } }

// WithEnv adds or overrides KEY=VALUE variables (default: none).
func WithEnv(env ...string) Option { return func(o *options) { o.env = append(o.env, env...) } }

// WithWorkdir sets the working directory (default: the image's, else /).
func WithWorkdir(dir string) Option { return func(o *options) { o.workdir = dir } }

// WithUser sets USER[:GROUP], names or numbers (default: the image's, else root).
func WithUser(u string) Option { return func(o *options) { o.user = u } }

// WithNetwork is "host" (default) or "none".
func WithNetwork(n string) Option { return func(o *options) { o.network = n } }

// WithHostname sets the container's hostname (default "polyarch").
func WithHostname(h string) Option { return func(o *options) { o.hostname = h } }

// WithTTY says stdio is a terminal (default false); TERM defaults to xterm.
func WithTTY(on bool) Option { return func(o *options) { o.tty = on } }

// WithMounts adds bind or tmpfs mounts (default none).
func WithMounts(m ...sandbox.Mount) Option {
	return func(o *options) { o.mounts = append(o.mounts, m...) }
}

// WithFinder sets how emulators are found (default: Debian's
// /usr/libexec/qemu-binfmt only; the CLI passes $PATH).
func WithFinder(f binfmt.Finder) Option { return func(o *options) { o.finder = f } }

// WithResolvConf is the host file copied to /etc/resolv.conf (default
// /etc/resolv.conf).
func WithResolvConf(path string) Option { return func(o *options) { o.resolvConf = path } }

// WithRunDir is where container dirs are made (default <store>/containers).
func WithRunDir(dir string) Option { return func(o *options) { o.dir = dir } }

// WithKeepChanges keeps the upper dir after the command exits so that Keep
// can move it (default false: it is emptied from inside the sandbox).
func WithKeepChanges(on bool) Option { return func(o *options) { o.keep = on } }

// WithRootDir runs the container directly in dir, a complete root
// filesystem, without an overlay (default: an overlay over the layers).
// Where overlayfs is unavailable the builder copies the layers into such a
// dir and diffs it afterwards.
func WithRootDir(dir string) Option { return func(o *options) { o.rootDir = dir } }

// WithSelf is the polyarch binary, for unpacking layers inside the user
// namespace when rootless, so files keep their owners (default "": the
// caller owns every file).
func WithSelf(path string) Option { return func(o *options) { o.self = path } }
