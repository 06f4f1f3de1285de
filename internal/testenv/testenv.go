// Package testenv holds what polyarch's tests share about their environment:
// skips that CI turns into failures, and building the polyarch binary.
package testenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// NoSkipEnv, when set to a non-empty value (CI sets it), turns every Skip
// into a failure: tests that need root, namespaces or qemu must run there.
const NoSkipEnv = "POLYARCH_TEST_NO_SKIP"

// Skip skips the test with the reason, or fails it where skips are not
// allowed.
func Skip(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv(NoSkipEnv) != "" {
		t.Fatalf("must not skip here ("+NoSkipEnv+" is set): "+format, args...)
	}
	t.Skipf(format, args...)
}

// RequireRoot skips (or fails, see Skip) unless running as root.
func RequireRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		Skip(t, "needs root")
	}
}

// RequireQEMU skips unless qemu-<cpu>-static is installed.
func RequireQEMU(t testing.TB, cpus ...string) {
	t.Helper()
	for _, c := range cpus {
		if _, err := exec.LookPath("qemu-" + c + "-static"); err != nil {
			Skip(t, "qemu-%s-static not installed (apt-get install qemu-user-static)", c)
		}
	}
}

// ModuleRoot returns the repository root (where go.mod is).
func ModuleRoot(t testing.TB) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// BuildPolyarch builds cmd/polyarch into dir (which it makes world-readable
// so other users can run it) and returns the binary's path.
func BuildPolyarch(t testing.TB, dir string) string {
	t.Helper()
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "polyarch")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/polyarch")
	cmd.Dir = ModuleRoot(t)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building polyarch: %v\n%s", err, out)
	}
	return bin
}
