package binfmt

import (
	"encoding/hex"
	"fmt"
	"sort"
	"strings"

	"github.com/polyarch/polyarch/platform"
)

// Handler describes how the kernel recognises one CPU's ELF binaries and
// which QEMU user-mode emulator runs them. Magic and Mask are compared
// byte-wise against the start of a file: (file[i] & Mask[i]) == Magic[i].
type Handler struct {
	CPU      string // QEMU's CPU name: the entry is polyarch-<CPU>, the emulator qemu-<CPU>
	Platform string // canonical OCI platform it serves; "" when OCI has none
	Magic    HexBytes
	Mask     HexBytes
}

// row is the table as written in shared/reference/binfmt-table.md (QEMU's
// scripts/qemu-binfmt-conf.sh): lowercase hex, as /proc prints it.
type row struct{ cpu, platform, magic, mask string }

// rows lists every handler polyarch knows. The order is the order of
// `binfmt status`. Platform "" marks CPUs OCI has no platform for; they are
// installable but never chosen for an image.
var rows = []row{
	{"aarch64", "linux/arm64", "7f454c460201010000000000000000000200b700", "ffffffffffffff00fffffffffffffffffeffffff"},
	{"arm", "linux/arm/v7", "7f454c4601010100000000000000000002002800", "ffffffffffffff00fffffffffffffffffeffffff"},
	{"ppc64le", "linux/ppc64le", "7f454c4602010100000000000000000002001500", "ffffffffffffff00fffffffffffffffffeffff00"},
	{"s390x", "linux/s390x", "7f454c4602020100000000000000000000020016", "ffffffffffffff00fffffffffffffffffffeffff"},
	{"riscv64", "linux/riscv64", "7f454c460201010000000000000000000200f300", "ffffffffffffff00fffffffffffffffffeffffff"},
	{"mips64el", "linux/mips64le", "7f454c4602010100000000000000000002000800", "ffffffffffffff0000fffffffffffffffeffffff"},
	{"mips64", "linux/mips64", "7f454c4602020100000000000000000000020008", "ffffffffffffff0000fffffffffffffffffeffff"},
	{"loongarch64", "linux/loong64", "7f454c4602010100000000000000000002000201", "fffffffffffffffc00fffffffffffffffeffffff"},
	{"ppc64", "linux/ppc64", "7f454c4602020100000000000000000000020015", "ffffffffffffff00fffffffffffffffffffeffff"},
	{"i386", "linux/386", "7f454c4601010100000000000000000002000300", "fffffffffffefe00fffffffffffffffffeffffff"},
	{"x86_64", "linux/amd64", "7f454c4602010100000000000000000002003e00", "fffffffffffefe00fffffffffffffffffeffffff"},
	{"riscv32", "", "7f454c460101010000000000000000000200f300", "ffffffffffffff00fffffffffffffffffeffffff"},
	{"armeb", "", "7f454c4601020100000000000000000000020028", "ffffffffffffff00fffffffffffffffffffeffff"},
	{"ppc", "", "7f454c4601020100000000000000000000020014", "ffffffffffffff00fffffffffffffffffffeffff"},
	{"mipsel", "", "7f454c46010101000000000000000000020008000100000000000000000000000000000000000000", "ffffffffffffff0000fffffffffffffffeffffffffffffff00000000000000000000000020000000"},
	{"mips", "", "7f454c46010201000000000000000000000200080000000100000000000000000000000000000000", "ffffffffffffff0000fffffffffffffffffeffffffffffff00000000000000000000000000000020"},
	{"sparc64", "", "7f454c460202010000000000000000000002002b", "ffffffffffffff00fffffffffffffffffffeffff"},
	{"m68k", "", "7f454c4601020100000000000000000000020004", "fffffffffffffe00fffffffffffffffffffeffff"},
	{"sh4", "", "7f454c4601010100000000000000000002002a00", "ffffffffffffff00fffffffffffffffffeffffff"},
	{"hppa", "", "7f454c460102010000000000000000000002000f", "ffffffffffffff00fffffffffffffffffffeffff"},
	{"alpha", "", "7f454c4602010100000000000000000002002690", "fffffffffffefe00fffffffffffffffffeffffff"},
	{"xtensa", "", "7f454c4601010100000000000000000002005e00", "ffffffffffffff00fffffffffffffffffeffffff"},
	{"hexagon", "", "7f454c460101010000000000000000000200a400", "ffffffffffffff00fffffffffffffffffeffffff"},
}

// Table returns every handler polyarch knows, in display order. The result
// is a fresh copy; callers may keep or change it.
func Table() []Handler {
	out := make([]Handler, 0, len(rows))
	for _, r := range rows {
		out = append(out, Handler{CPU: r.cpu, Platform: r.platform, Magic: mustHex(r.magic), Mask: mustHex(r.mask)})
	}
	return out
}

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(fmt.Sprintf("binfmt table: bad hex %q: %v", s, err))
	}
	return b
}

// EntryName is the binfmt_misc entry name polyarch registers for the handler.
func (h Handler) EntryName() string { return EntryPrefix + h.CPU }

// EntryPrefix marks binfmt_misc entries that polyarch owns. Only entries with
// this prefix are ever removed.
const EntryPrefix = "polyarch-"

// Matches reports whether the kernel would hand a file starting with header
// to this handler.
func (h Handler) Matches(header []byte) bool {
	return matchMagic(h.Magic, h.Mask, 0, header)
}

func matchMagic(magic, mask []byte, offset int, header []byte) bool {
	if len(header) < offset+len(magic) {
		return false
	}
	for i, m := range magic {
		k := byte(0xff)
		if i < len(mask) {
			k = mask[i]
		}
		if header[offset+i]&k != m&k {
			return false
		}
	}
	return true
}

// Native reports whether the host CPU runs binaries of handler h without
// emulation: the host's own architecture, and i386 on x86-64 (the kernel runs
// 32-bit x86 natively; registering it would capture host binaries).
func Native(host platform.Platform, h Handler) bool {
	hp := platform.Format(host)
	switch {
	case h.Platform == hp:
		return true
	case h.CPU == "i386" && host.Architecture == "amd64":
		return true
	case h.CPU == "arm" && host.Architecture == "arm64":
		return false // many arm64 CPUs lack AArch32; emulate to be safe
	}
	return false
}

// ForPlatform returns the handler that runs binaries of platform p.
func ForPlatform(p platform.Platform) (Handler, bool) {
	want := platform.Normalize(p)
	for _, h := range Table() {
		if h.Platform == "" {
			continue
		}
		if platform.Matches(want, platform.MustParse(h.Platform)) || (want.Architecture == "arm" && h.CPU == "arm") {
			return h, true
		}
	}
	return Handler{}, false
}

// ForCPU returns the handler for a QEMU CPU name ("aarch64").
func ForCPU(cpu string) (Handler, bool) {
	for _, h := range Table() {
		if h.CPU == cpu {
			return h, true
		}
	}
	return Handler{}, false
}

// Foreign returns the handlers that have an OCI platform and need emulation
// on host, in table order.
func Foreign(host platform.Platform) []Handler {
	var out []Handler
	for _, h := range Table() {
		if h.Platform != "" && !Native(host, h) {
			out = append(out, h)
		}
	}
	return out
}

// CPUs lists the CPU names in the table, sorted, for error messages.
func CPUs() string {
	var names []string
	for _, r := range rows {
		names = append(names, r.cpu)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}
