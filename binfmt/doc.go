// Package binfmt is the only code that touches binfmt_misc. It holds the QEMU
// handler table as data, reads and decodes the entries of a binfmt_misc mount,
// registers and removes polyarch's own entries (one write() per line, never
// touching "status"), finds emulators on the host and probes that emulation
// works with tiny per-architecture programs.
//
// It does not create namespaces: the private-instance helpers here expect to
// be called inside a user+mount namespace that the sandbox package made.
//
// Kernel interface: https://docs.kernel.org/admin-guide/binfmt-misc.html
package binfmt
