package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/polyarch/polyarch/binfmt"
	"github.com/polyarch/polyarch/sandbox"
)

func newBinfmtTestCmd(e *env) *cobra.Command {
	var arches []string
	var private, host bool
	cmd := &cobra.Command{
		Use:   "test [--arch LIST] [--private|--host]",
		Short: "Run a tiny program of each arch, chrooted in an empty dir, to prove emulation works",
		Long: `test runs a tiny static "exit 0" program of each arch, chrooted in an empty
directory (so only an emulator opened at registration, flag F, can run it).

By default it tests what polyarch's sandboxes use: a private binfmt_misc
instance in a new user namespace where the kernel has them (Linux ≥ 6.7),
else the host's registrations. --private and --host choose explicitly.
Without --arch it tests every foreign arch whose emulator is installed.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if private && host {
				return fmt.Errorf("--private and --host exclude each other")
			}
			mode, err := testMode(private, host)
			if err != nil {
				return err
			}
			mount, finder := binfmtFlags(cmd, e)
			hs, explicit, err := parseArches(arches, hostPlatform())
			if err != nil {
				return err
			}
			var entries []binfmt.Entry
			if mode == "host" {
				if entries, err = binfmt.Read(mount); err != nil {
					return err
				}
			}
			failed, tested := 0, 0
			for _, h := range hs {
				detail, err := testOne(cmd, e, finder, entries, h, mode, explicit)
				switch {
				case errors.Is(err, errSkip):
					continue
				case err != nil:
					failed++
					fmt.Fprintf(e.stdout, "%-16s FAIL  %v\n", archLabel(h), err)
				default:
					fmt.Fprintf(e.stdout, "%-16s ok    %s\n", archLabel(h), detail)
				}
				tested++
			}
			switch {
			case failed > 0:
				return fmt.Errorf("%d of %d arches failed", failed, tested)
			case tested == 0 && mode == "host":
				return errors.New("no foreign arch is registered on the host; run: polyarch binfmt install (or test --private)")
			case tested == 0:
				return errors.New("no emulator found for any foreign arch; install them with: apt-get install qemu-user-static")
			}
			return nil
		},
	}
	cmd.Flags().StringSliceVar(&arches, "arch", nil, "arches to test (any spelling) or all")
	cmd.Flags().BoolVar(&private, "private", false, "use a private binfmt_misc instance (Linux ≥ 6.7; no root needed, host untouched)")
	cmd.Flags().BoolVar(&host, "host", false, "use the host's registrations (see: polyarch binfmt install)")
	return cmd
}

// errSkip marks an arch that "all" does not cover here.
var errSkip = errors.New("skipped")

// testOne probes one arch and returns what ran it. With "all", arches
// without an emulator (private) or without a host entry (host) are skipped.
func testOne(cmd *cobra.Command, e *env, finder binfmt.Finder, entries []binfmt.Entry, h binfmt.Handler, mode string, explicit bool) (string, error) {
	if mode == "host" {
		win, _, ok := binfmt.Winner(entries, h)
		if !ok && !explicit {
			return "", errSkip
		}
		if err := sandbox.Probe(cmd.Context(), e.self, h, "", false); err != nil {
			return "", err
		}
		return fmt.Sprintf("host binfmt_misc entry %s, %s", win.Name, win.Interpreter), nil
	}
	emu, err := finder.Find(cmd.Context(), h.CPU)
	if err != nil {
		if !explicit {
			return "", errSkip
		}
		return "", err
	}
	if err := sandbox.Probe(cmd.Context(), e.self, h, emu.Path, true); err != nil {
		return "", err
	}
	return "private binfmt_misc, " + emulatorWord(emu), nil
}

// testMode decides between the private and host registrations.
func testMode(private, host bool) (string, error) {
	rel := binfmt.KernelRelease()
	supported := binfmt.PrivateSupported(rel)
	switch {
	case private && !supported:
		return "", fmt.Errorf("this kernel (%s) has no private binfmt_misc instances (Linux ≥ 6.7 needed); use the host's: polyarch binfmt install, then polyarch binfmt test --host", rel)
	case host, !supported:
		return "host", nil
	}
	return "private", nil
}

func emulatorWord(emu binfmt.Emulator) string {
	s := emu.Path
	if emu.Version != "" {
		s += " " + emu.Version
	}
	return s
}
