package cli

import (
	"encoding/json"
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/polyarch/polyarch/binfmt"
)

type versionInfo struct {
	Polyarch string `json:"polyarch"`
	Go       string `json:"go"`
	QEMU     string `json:"qemu"`
}

func newVersionCmd(e *env) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Show the polyarch, Go and QEMU versions",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			v := versionInfo{Polyarch: buildVersion(), Go: runtime.Version(), QEMU: e.finder().Version(cmd.Context())}
			if asJSON {
				return json.NewEncoder(e.stdout).Encode(v)
			}
			qemu := v.QEMU
			if qemu == "" {
				qemu = "not found (apt-get install qemu-user-static)"
			}
			fmt.Fprintf(e.stdout, "polyarch %s\ngo       %s\nqemu     %s\n", v.Polyarch, v.Go, qemu)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// buildVersion is the module version, or the VCS revision for a dev build.
func buildVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	rev, dirty := "", false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		return "dev"
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if dirty {
		rev += "-dirty"
	}
	return "dev-" + rev
}

func (e *env) finder() binfmt.Finder {
	// POLYARCH_QEMU_LIBEXEC replaces Debian's /usr/libexec/qemu-binfmt.
	return binfmt.Finder{Path: e.getenv("PATH"), Libexec: e.getenv("POLYARCH_QEMU_LIBEXEC")}
}
