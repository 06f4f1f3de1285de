package sandbox

import (
	"github.com/polyarch/polyarch/binfmt"
)

// InitArg is the first argument that makes the polyarch binary act as a
// sandbox child; cmd/polyarch hands control to Init when it sees it.
const InitArg = "__sandbox-init"

// Spec is everything the child needs to set up and exec the command.
type Spec struct {
	// Root is the directory that becomes the process's root.
	Root string `json:"root"`
	// Args is the command and its arguments, resolved inside Root.
	Args []string `json:"args"`
	Env  []string `json:"env,omitempty"`
	// Dir is the working directory inside Root ("" means /).
	Dir string `json:"dir,omitempty"`
	// Binfmt entries are registered in a private binfmt_misc instance before
	// entering Root. Empty means the host's registrations apply.
	Binfmt []binfmt.Entry `json:"binfmt,omitempty"`
}
