package sandbox

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/polyarch/polyarch/binfmt"
)

// Probe runs binfmt's tiny exit-0 program for handler h, chrooted in an
// empty directory, so that success proves the kernel finds an emulator it
// opened at registration (flag F). With private set, the emulator at
// interpreter is registered in the sandbox's own binfmt_misc instance and the
// host's registrations are not used; otherwise the host's apply.
func Probe(ctx context.Context, self string, h binfmt.Handler, interpreter string, private bool) error {
	prog, ok := binfmt.ProbeProgram(h.CPU)
	if !ok {
		return fmt.Errorf("probing %s: polyarch has no probe program for it", h.CPU)
	}
	dir, err := os.MkdirTemp("", "polyarch-probe-")
	if err != nil {
		return fmt.Errorf("probing %s: %w", h.CPU, err)
	}
	defer os.RemoveAll(dir)
	if err := os.Chmod(dir, 0o755); err != nil {
		return fmt.Errorf("probing %s: %w", h.CPU, err)
	}
	if err := os.WriteFile(filepath.Join(dir, "probe"), prog, 0o755); err != nil {
		return fmt.Errorf("probing %s: %w", h.CPU, err)
	}
	spec := Spec{Root: dir, Args: []string{"/probe"}, Minimal: true}
	if private {
		spec.Binfmt = []binfmt.Entry{binfmt.EntryFor(h, interpreter, false)}
	}
	var stderr bytes.Buffer
	code, err := Run(ctx, self, spec, Stdio{Err: &stderr})
	if err != nil {
		return fmt.Errorf("probing %s: %w", h.CPU, err)
	}
	if code != 0 {
		msg := strings.TrimSpace(stderr.String())
		if strings.Contains(msg, "exec format error") {
			msg += " (no binfmt_misc entry runs this arch here"
			if !private {
				msg += "; run: polyarch binfmt install --arch " + h.CPU + ", or test with --private"
			}
			msg += ")"
		}
		return fmt.Errorf("probing %s: exit status %d: %s", h.CPU, code, msg)
	}
	return nil
}
