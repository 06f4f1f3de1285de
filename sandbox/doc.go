// Package sandbox runs a process in a root filesystem inside new namespaces.
// It is the only package that creates namespaces or calls mount, chroot or
// pivot_root (binfmt_misc mounts excepted, which package binfmt makes when
// asked from inside a sandbox).
//
// A sandbox is a re-exec of the polyarch binary: the parent starts
// "<self> __sandbox-init" in a new user and mount namespace with its ID
// mappings and passes the Spec as JSON on file descriptor 3. The child (Init)
// prepares the namespace — a private binfmt_misc instance with the emulators
// the Spec names, then the root filesystem — and execs the command.
package sandbox
