package build

import (
	"os"
	"path"
	"path/filepath"

	"github.com/polyarch/polyarch/sandbox"
)

// cleanMountpoints removes from a RUN's upper dir the mount points the
// sandbox had to create (/proc, /dev, /etc/hosts, cache and secret
// targets, …) where the image did not have them, so they do not end up in
// the layer; BuildKit leaves no trace of them either. Only empty files and
// empty dirs are removed: content the command wrote is kept.
func cleanMountpoints(spec sandbox.Spec) {
	targets := []string{"/proc", "/dev", "/sys"}
	for _, m := range append(append([]sandbox.Mount(nil), spec.Mounts...), spec.Files...) {
		targets = append(targets, m.Target)
	}
	for _, t := range targets {
		for p := path.Clean("/" + t); p != "/"; p = path.Dir(p) {
			if existsInLowers(spec.Lower, p) || !removeIfEmpty(filepath.Join(spec.Upper, p)) {
				break
			}
		}
	}
}

func existsInLowers(lowers []string, p string) bool {
	for _, l := range lowers {
		st, err := os.Lstat(filepath.Join(l, p))
		if err == nil {
			return !isWhiteout(st)
		}
	}
	return false
}

// removeIfEmpty removes an empty file or empty directory and reports
// whether it did.
func removeIfEmpty(p string) bool {
	st, err := os.Lstat(p)
	if err != nil {
		return false
	}
	if st.Mode().IsRegular() && st.Size() != 0 {
		return false
	}
	if !st.Mode().IsRegular() && !st.IsDir() {
		return false
	}
	return os.Remove(p) == nil // fails for a non-empty dir
}
