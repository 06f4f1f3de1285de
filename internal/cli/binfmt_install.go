package cli

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/polyarch/polyarch/binfmt"
)

func newBinfmtInstallCmd(e *env) *cobra.Command {
	var arches []string
	var credential, persist bool
	cmd := &cobra.Command{
		Use:   "install [--arch LIST|all]",
		Short: "Register emulators host-wide as polyarch-<cpu> entries (root only, idempotent)",
		Long: `install registers QEMU emulators in the host's binfmt_misc as entries named
polyarch-<cpu>, with flags F (the emulator is opened now, so it works inside any
container or chroot) and P. The newest matching entry wins in the kernel, so
these shadow a distribution's qemu-* entries without deleting them.
"all" (the default) means every foreign arch whose emulator is found.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := requireRoot(e, "install"); err != nil {
				return err
			}
			mount, finder := binfmtFlags(cmd, e)
			hs, explicit, err := parseArches(arches, hostPlatform())
			if err != nil {
				return err
			}
			if _, err := binfmt.Read(mount); err != nil {
				return err
			}
			installed := 0
			for _, h := range hs {
				emu, err := finder.Find(cmd.Context(), h.CPU)
				if err != nil {
					if explicit {
						return err
					}
					continue
				}
				entry := binfmt.EntryFor(h, emu.Path, credential)
				state, err := installEntry(mount, entry)
				if err != nil {
					return err
				}
				if persist {
					if err := writePersisted(h, entry); err != nil {
						return err
					}
				}
				installed++
				fmt.Fprintf(e.stdout, "%-16s %-22s %s (%s)\n", archLabel(h), entry.Name, state, emu.Path)
			}
			if installed == 0 {
				return fmt.Errorf("no emulator found for any foreign arch; install them with: apt-get install qemu-user-static")
			}
			return nil
		},
	}
	cmd.Flags().StringSliceVar(&arches, "arch", nil, "arches to install (any spelling: arm64, armhf, arm32v7, ppc64el, …) or all")
	cmd.Flags().BoolVar(&credential, "credential", false, "add flag C: setuid binaries work, but the emulator then runs with their credentials")
	cmd.Flags().BoolVar(&persist, "persist", false, "also write /etc/binfmt.d/polyarch-<cpu>.conf for systemd-binfmt")
	return cmd
}

// installEntry registers want, replacing polyarch's own entry of that name
// when it differs; it reports what it did.
func installEntry(mount string, want binfmt.Entry) (string, error) {
	entries, err := binfmt.Read(mount)
	if err != nil {
		return "", err
	}
	for _, have := range entries {
		if have.Name != want.Name {
			continue
		}
		if sameEntry(have, want) {
			return "already installed", nil
		}
		if err := binfmt.Unregister(mount, have.Name); err != nil {
			return "", err
		}
		return "replaced", binfmt.Register(mount, want)
	}
	return "installed", binfmt.Register(mount, want)
}

func sameEntry(a, b binfmt.Entry) bool {
	return a.Enabled && a.Interpreter == b.Interpreter && a.Offset == b.Offset &&
		bytes.Equal(a.Magic, b.Magic) && bytes.Equal(a.Mask, b.Mask) && sameFlags(a.Flags, b.Flags)
}

// sameFlags compares flag sets; the kernel prints C as "OC" (C implies O).
func sameFlags(have, want string) bool {
	for _, f := range []byte("PCF") {
		if bytes.IndexByte([]byte(have), f) >= 0 != (bytes.IndexByte([]byte(want), f) >= 0) {
			return false
		}
	}
	return true
}

func writePersisted(h binfmt.Handler, e binfmt.Entry) error {
	line, err := binfmt.Line(e)
	if err != nil {
		return err
	}
	path := persistPath(h)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("persisting %s: %w", e.Name, err)
	}
	content := "# written by polyarch binfmt install --persist; removed by polyarch binfmt uninstall\n" + line + "\n"
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(content), 0o644); err != nil {
		return fmt.Errorf("persisting %s: %w", e.Name, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("persisting %s: %w", e.Name, err)
	}
	return nil
}

func newBinfmtUninstallCmd(e *env) *cobra.Command {
	var arches []string
	cmd := &cobra.Command{
		Use:   "uninstall [--arch LIST|all]",
		Short: "Remove polyarch-<cpu> entries (root only); other entries are never touched",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := requireRoot(e, "uninstall"); err != nil {
				return err
			}
			mount, _ := binfmtFlags(cmd, e)
			hs, explicit, err := parseArches(arches, hostPlatform())
			if err != nil {
				return err
			}
			entries, err := binfmt.Read(mount)
			if err != nil {
				return err
			}
			present := map[string]bool{}
			for _, en := range entries {
				present[en.Name] = true
			}
			for _, h := range hs {
				removedConf, err := removePersisted(h)
				if err != nil {
					return fmt.Errorf("removing %s: %w", persistPath(h), err)
				}
				if !present[h.EntryName()] {
					if removedConf {
						fmt.Fprintf(e.stdout, "%-16s removed %s\n", archLabel(h), persistPath(h))
					}
					continue
				}
				if err := binfmt.Unregister(mount, h.EntryName()); err != nil {
					return err
				}
				delete(present, h.EntryName())
				fmt.Fprintf(e.stdout, "%-16s %-22s removed\n", archLabel(h), h.EntryName())
			}
			if explicit {
				return nil
			}
			for _, en := range entries { // "all" also takes polyarch entries of CPUs without a platform
				if en.Owned() && present[en.Name] {
					if err := binfmt.Unregister(mount, en.Name); err != nil {
						return err
					}
					fmt.Fprintf(e.stdout, "%-16s %-22s removed\n", "", en.Name)
				}
			}
			return nil
		},
	}
	cmd.Flags().StringSliceVar(&arches, "arch", nil, "arches to remove (any spelling) or all")
	return cmd
}
