package build

import (
	"os"
	"syscall"
)

// isWhiteout reports whether st is an overlay whiteout (a 0/0 char device).
func isWhiteout(st os.FileInfo) bool {
	sys, ok := st.Sys().(*syscall.Stat_t)
	return ok && st.Mode()&os.ModeCharDevice != 0 && sys.Rdev == 0
}
