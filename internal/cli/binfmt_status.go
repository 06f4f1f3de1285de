package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/polyarch/polyarch/binfmt"
	"github.com/polyarch/polyarch/sandbox"
)

// archStatus is one arch's line of "binfmt status".
type archStatus struct {
	Platform string           `json:"platform,omitempty"`
	CPU      string           `json:"cpu"`
	Entry    *binfmt.Entry    `json:"host_entry,omitempty"` // the host entry that wins for this arch
	Shadowed []string         `json:"shadowed,omitempty"`   // other host entries that match, older
	Emulator *binfmt.Emulator `json:"emulator,omitempty"`
	Probe    string           `json:"probe"`                   // host registrations: "ok", "failed: …", or "not registered"
	Private  string           `json:"private_probe,omitempty"` // a private instance: "ok", "failed: …", "no emulator"
	Warnings []string         `json:"warnings,omitempty"`
}

type statusReport struct {
	Mount           string         `json:"mount"`
	Mounted         bool           `json:"mounted"`
	Kernel          string         `json:"kernel"`
	PrivateInstance bool           `json:"private_instances"`
	Arches          []archStatus   `json:"arches"`
	Entries         []binfmt.Entry `json:"entries"` // every host entry, newest first
	Other           []string       `json:"other_warnings,omitempty"`
}

func newBinfmtStatusCmd(e *env) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "status [--json]",
		Short: "Show, per arch, the host registration, emulator and a probe result",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			mount, finder := binfmtFlags(cmd, e)
			rep := statusReport{Mount: mount, Kernel: binfmt.KernelRelease()}
			rep.PrivateInstance = binfmt.PrivateSupported(rep.Kernel)
			entries, err := binfmt.Read(mount)
			switch {
			case err == nil:
				rep.Mounted, rep.Entries = true, entries
			case errors.Is(err, binfmt.ErrNotMounted):
				rep.Other = append(rep.Other, err.Error())
			default:
				return err
			}
			for _, h := range binfmt.Foreign(hostPlatform()) {
				rep.Arches = append(rep.Arches, statusOf(cmd, e, finder, entries, h))
			}
			if asJSON {
				enc := json.NewEncoder(e.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(rep)
			}
			printStatus(e, rep)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func statusOf(cmd *cobra.Command, e *env, finder binfmt.Finder, entries []binfmt.Entry, h binfmt.Handler) archStatus {
	st := archStatus{Platform: h.Platform, CPU: h.CPU, Probe: "not registered"}
	st.Private = "no emulator"
	if emu, err := finder.Find(cmd.Context(), h.CPU); err == nil {
		st.Emulator = &emu
		st.Private = probeWord(sandbox.Probe(cmd.Context(), e.self, h, emu.Path, true))
	}
	if !binfmt.PrivateSupported(binfmt.KernelRelease()) {
		st.Private = "unsupported kernel"
	}
	win, shadowed, ok := binfmt.Winner(entries, h)
	if !ok {
		return st
	}
	st.Entry = &win
	for _, s := range shadowed {
		st.Shadowed = append(st.Shadowed, s.Name)
	}
	st.Warnings = entryWarnings(win)
	if len(shadowed) > 0 {
		st.Warnings = append(st.Warnings, fmt.Sprintf("%d entries match %s; the newest, %s, wins", len(shadowed)+1, h.CPU, win.Name))
	}
	st.Probe = probeWord(sandbox.Probe(cmd.Context(), e.self, h, "", false))
	return st
}

func probeWord(err error) string {
	if err != nil {
		return "failed: " + err.Error()
	}
	return "ok"
}

// entryWarnings explains what will not work with a host entry.
func entryWarnings(en binfmt.Entry) []string {
	var w []string
	if !en.HasFlag('F') {
		w = append(w, "no F flag: the emulator must exist at "+en.Interpreter+" inside every container or chroot")
		if _, err := os.Stat(en.Interpreter); err != nil {
			w = append(w, "interpreter "+en.Interpreter+" is missing on the host")
		}
	}
	if binfmt.Dynamic(en.Interpreter) {
		w = append(w, "interpreter "+en.Interpreter+" is dynamically linked: it fails inside foreign rootfs (install qemu-user-static)")
	}
	if !en.Enabled {
		w = append(w, "entry is disabled")
	}
	return w
}

func printStatus(e *env, rep statusReport) {
	private := "no (Linux ≥ 6.7 needed)"
	if rep.PrivateInstance {
		private = "yes (polyarch's sandboxes register emulators privately)"
	}
	fmt.Fprintf(e.stdout, "kernel %s; private binfmt_misc instances: %s\n", rep.Kernel, private)
	for _, w := range rep.Other {
		fmt.Fprintf(e.stdout, "note: %s\n", w)
	}
	fmt.Fprintf(e.stdout, "%-15s %-21s %-5s %-34s %-8s %-14s %s\n", "ARCH", "HOST ENTRY", "FLAGS", "EMULATOR", "QEMU", "HOST PROBE", "PRIVATE PROBE")
	for _, a := range rep.Arches {
		entry, flags := "-", "-"
		if a.Entry != nil {
			entry, flags = a.Entry.Name, a.Entry.Flags
		}
		emu, ver := "not installed", "-"
		if a.Emulator != nil {
			emu, ver, _ = strings.Cut(emulatorWord(*a.Emulator)+" ", " ")
			ver, _, _ = strings.Cut(ver, " ")
		}
		fmt.Fprintf(e.stdout, "%-15s %-21s %-5s %-34s %-8s %-14s %s\n", a.Platform, entry, flags, emu, ver, firstLine(a.Probe), firstLine(a.Private))
		for _, w := range a.Warnings {
			fmt.Fprintf(e.stdout, "  warning: %s\n", w)
		}
	}
	var other []string
	for _, en := range rep.Entries {
		if en.Extension != "" {
			other = append(other, fmt.Sprintf("%s (extension .%s → %s)", en.Name, en.Extension, en.Interpreter))
		}
	}
	if len(other) > 0 {
		fmt.Fprintf(e.stdout, "other entries: %s\n", strings.Join(other, ", "))
	}
}

// firstLine shortens a probe result for the table; --json has it whole.
func firstLine(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}
