package cli

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/polyarch/polyarch/binfmt"
	"github.com/polyarch/polyarch/platform"
)

func newBinfmtCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "binfmt",
		Short: "Inspect, test, install and remove QEMU emulator registrations",
		Long: `binfmt manages the kernel's binfmt_misc registrations that let foreign-arch
binaries run through QEMU user-mode emulation.

polyarch's sandboxes do not need host-wide registrations: on Linux ≥ 6.7 each
sandbox mounts a private binfmt_misc instance and registers the emulator it
needs there. "install" is for other tools (chroot, docker) and older kernels.`,
	}
	cmd.PersistentFlags().String("mount", binfmt.DefaultMount, "where the host's binfmt_misc is mounted")
	cmd.PersistentFlags().StringSlice("qemu-dir", nil, "directories searched first for qemu-<cpu>[-static]")
	cmd.AddCommand(newBinfmtStatusCmd(e), newBinfmtInstallCmd(e), newBinfmtUninstallCmd(e),
		newBinfmtTestCmd(e), newBinfmtMountCmd(e))
	return cmd
}

// binfmtFlags reads the flags all binfmt verbs share.
func binfmtFlags(cmd *cobra.Command, e *env) (mount string, f binfmt.Finder) {
	mount, _ = cmd.Flags().GetString("mount")
	dirs, _ := cmd.Flags().GetStringSlice("qemu-dir")
	f = e.finder()
	f.Dirs = dirs
	return mount, f
}

func newBinfmtMountCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "mount",
		Short: "Mount binfmt_misc where it is missing (root only)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			mount, _ := binfmtFlags(cmd, e)
			// Looking inside triggers systemd's automount where there is one.
			if _, err := binfmt.Read(mount); err == nil {
				fmt.Fprintf(e.stdout, "binfmt_misc is mounted at %s\n", mount)
				return nil
			} else if !errors.Is(err, binfmt.ErrNotMounted) {
				return err
			}
			if e.uid != 0 {
				return fmt.Errorf("mounting binfmt_misc at %s needs root; polyarch's own sandboxes do not need it (they use private instances on Linux ≥ 6.7)", mount)
			}
			if err := binfmt.Mount(mount); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "mounted binfmt_misc at %s\n", mount)
			return nil
		},
	}
}

// requireRoot explains why a host-wide change needs root and what to do.
func requireRoot(e *env, what string) error {
	if e.uid == 0 {
		return nil
	}
	return fmt.Errorf("%s changes the host's binfmt_misc and needs root (try: sudo polyarch binfmt %s); polyarch's own sandboxes need no host registration: try polyarch binfmt test --private", what, what)
}

// persistPath is systemd-binfmt's drop-in for a polyarch entry.
func persistPath(h binfmt.Handler) string {
	return "/etc/binfmt.d/" + h.EntryName() + ".conf"
}

func removePersisted(h binfmt.Handler) (bool, error) {
	err := os.Remove(persistPath(h))
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	return err == nil, err
}

func hostPlatform() platform.Platform { return platform.Host() }
