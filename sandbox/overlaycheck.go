package sandbox

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// CheckOverlay reports whether a sandbox can mount overlayfs here (in a
// user namespace, with userxattr): nil when it can.
func CheckOverlay(ctx context.Context, self string) error {
	dir, err := os.MkdirTemp("", "polyarch-overlay-check-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	var lower []string
	for _, d := range []string{"l1", "l2", "upper", "work", "root"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			return err
		}
	}
	lower = []string{filepath.Join(dir, "l1"), filepath.Join(dir, "l2")}
	spec := Spec{Root: filepath.Join(dir, "root"), Lower: lower, Upper: filepath.Join(dir, "upper"), Work: filepath.Join(dir, "work"),
		UserXattr: true, Network: "none", Args: []string{"/polyarch-overlay-check"},
		Discard: []string{filepath.Join(dir, "work"), filepath.Join(dir, "upper")}}
	var stderr bytes.Buffer
	code, err := Run(ctx, self, spec, Stdio{Err: &stderr})
	if err != nil {
		return err
	}
	// 127: the overlay was mounted and the (missing) command looked up;
	// a failure to set the sandbox up is 125.
	if code == 127 {
		return nil
	}
	return fmt.Errorf("overlayfs in a user namespace: %s", strings.TrimSpace(stderr.String()))
}
