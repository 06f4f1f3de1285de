package sandbox

import (
	"github.com/polyarch/polyarch/binfmt"
)

// InitArg is the first argument that makes the polyarch binary act as a
// sandbox child; cmd/polyarch hands control to Init when it sees it.
const InitArg = "__sandbox-init"

// Spec is everything the child needs to set up and exec the command.
type Spec struct {
	// Root is the directory that becomes the process's root. With Lower
	// set it is the (empty) mount point of the overlay.
	Root string `json:"root"`
	// Lower are read-only overlay layers, uppermost first; Upper and Work
	// are the overlay's writable dir and work dir (same filesystem).
	Lower []string `json:"lower,omitempty"`
	Upper string   `json:"upper,omitempty"`
	Work  string   `json:"work,omitempty"`
	// UserXattr mounts the overlay with "userxattr" (opaque dirs marked by
	// user.overlay.opaque), as layers unpacked without root are.
	UserXattr bool `json:"userxattr,omitempty"`
	// Minimal skips /proc, /dev, /sys and pivot_root: the command is just
	// chrooted (binfmt probes in an empty directory).
	Minimal bool `json:"minimal,omitempty"`

	// Args is the command and its arguments, resolved inside Root with the
	// PATH of Env.
	Args []string `json:"args"`
	Env  []string `json:"env,omitempty"`
	// Dir is the working directory inside Root ("" means /).
	Dir string `json:"dir,omitempty"`
	// UID, GID and Groups the command runs as, inside the namespace.
	UID    uint32   `json:"uid"`
	GID    uint32   `json:"gid"`
	Groups []uint32 `json:"groups,omitempty"`
	// Hostname of the UTS namespace ("" keeps "polyarch").
	Hostname string `json:"hostname,omitempty"`
	// Network is "host" (the default: the host's network namespace) or
	// "none" (a fresh network namespace with only loopback, up).
	Network string `json:"network,omitempty"`
	// Mounts are bind mounts (and tmpfs) made inside Root.
	Mounts []Mount `json:"mounts,omitempty"`
	// Files are host files bind-mounted read-only over paths in Root that
	// exist there (/etc/hosts, /etc/resolv.conf).
	Files []Mount `json:"files,omitempty"`
	// TTY makes the command's stdio a terminal the child sets as its
	// controlling terminal (the parent passes the pty's slave side).
	TTY bool `json:"tty,omitempty"`
	// Discard are host directories whose contents the sandbox deletes when
	// the command has exited: as root of the user namespace it may remove
	// files the command created as other (subordinate) ids, which the
	// unprivileged caller could not.
	Discard []string `json:"discard,omitempty"`
	// Func, when set, runs the named Go function (see Init's funcs) inside
	// the user namespace instead of a command: no root filesystem, no
	// mounts. The rootless unpack uses it to create files owned by
	// subordinate ids.
	Func     string   `json:"func,omitempty"`
	FuncArgs []string `json:"funcArgs,omitempty"`
	// Binfmt entries are registered in a private binfmt_misc instance before
	// entering Root. Empty means the host's registrations apply.
	Binfmt []binfmt.Entry `json:"binfmt,omitempty"`
}

// Mount is one mount inside the sandbox.
type Mount struct {
	Source   string `json:"source,omitempty"` // host path (bind), "" for tmpfs
	Target   string `json:"target"`           // path inside Root
	Type     string `json:"type,omitempty"`   // "bind" (default), "tmpfs" or "overlay"
	ReadOnly bool   `json:"readonly,omitempty"`
	// Lower are the layer dirs (uppermost first) of a read-only "overlay"
	// mount: another stage's or image's filesystem.
	Lower []string `json:"lower,omitempty"`
}
