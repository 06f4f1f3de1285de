package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/polyarch/polyarch/build"
	"github.com/polyarch/polyarch/sandbox"
)

// progress renders build events: plain prefixed lines, JSON lines, or a
// live view of every platform's current step on a terminal.
type progress struct {
	mu    sync.Mutex
	mode  string
	w     io.Writer
	start time.Time
	// live view state
	current map[string]build.Event
	drawn   int
	last    time.Time
}

// newProgress picks the mode: --progress, else BUILDKIT_PROGRESS, else
// tty on a terminal and plain otherwise.
func (e *env) newProgress(flag string) (*progress, error) {
	mode := flag
	if mode == "" || mode == "auto" {
		mode = e.getenv("BUILDKIT_PROGRESS")
	}
	if mode == "" || mode == "auto" {
		mode = "plain"
		if f, ok := e.stderr.(*os.File); ok && sandbox.IsTerminal(int(f.Fd())) {
			mode = "tty"
		}
	}
	switch mode {
	case "plain", "json", "tty", "quiet":
	default:
		return nil, fmt.Errorf("--progress %q: use auto, plain, tty, json or quiet", mode)
	}
	return &progress{mode: mode, w: e.stderr, start: time.Now(), current: map[string]build.Event{}}, nil
}

func (p *progress) event(ev build.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch p.mode {
	case "json":
		b, _ := json.Marshal(ev)
		fmt.Fprintf(p.w, "%s\n", b)
	case "plain":
		fmt.Fprintln(p.w, ev.Prefix()+plainText(ev))
	case "tty":
		p.live(ev)
	}
}

func plainText(ev build.Event) string {
	switch ev.Kind {
	case build.StepLog:
		return ev.Line
	case build.StepCached:
		return "CACHED " + ev.Instruction
	case build.StepDone:
		return fmt.Sprintf("DONE %.1fs", ev.Duration.Seconds())
	}
	return ev.Instruction
}

// live redraws one line per platform, at most every 100ms (and always
// for the last event of a step).
func (p *progress) live(ev build.Event) {
	if ev.Kind == build.StepLog {
		cur := p.current[ev.Platform]
		cur.Line = ev.Line
		p.current[ev.Platform] = cur
	} else {
		p.current[ev.Platform] = ev
	}
	if time.Since(p.last) < 100*time.Millisecond && ev.Kind == build.StepLog {
		return
	}
	p.last = time.Now()
	var plats []string
	for k := range p.current {
		plats = append(plats, k)
	}
	sort.Strings(plats)
	if p.drawn > 0 {
		fmt.Fprintf(p.w, "\x1b[%dA", p.drawn)
	}
	fmt.Fprintf(p.w, "\x1b[2K[+] building %.1fs\n", time.Since(p.start).Seconds())
	for _, k := range plats {
		c := p.current[k]
		state := map[build.EventKind]string{build.StepStart: "running", build.StepLog: "running", build.StepDone: "done", build.StepCached: "cached"}[c.Kind]
		line := fmt.Sprintf("%-14s %d/%d %-8s %s", k, c.Step, c.Total, state, c.Instruction)
		if c.Line != "" && state == "running" {
			line += "  │ " + c.Line
		}
		if len(line) > 150 {
			line = line[:150]
		}
		fmt.Fprintf(p.w, "\x1b[2K%s\n", line)
	}
	p.drawn = len(plats) + 1
}

// summary prints each platform's totals and, when an emulated compile
// dominated, how to move it to a native cross stage.
func (p *progress) summary(sums []build.Summary) {
	if p.mode == "json" || p.mode == "quiet" {
		return
	}
	for _, s := range sums {
		fmt.Fprintf(p.w, "%-14s %d steps, %d cached, emulated RUN %.1fs, native %.1fs, new layers %s\n",
			s.Platform, s.Steps, s.Cached, s.Emulated.Seconds(), s.Native.Seconds(), humanBytes(s.LayerBytes))
	}
	for _, s := range sums {
		if s.SlowestDuration > 10*time.Second && s.Emulated > 2*s.Native && build.LooksLikeCompile(s.Slowest) {
			fmt.Fprintf(p.w, "hint: %q took %.0fs under emulation on %s. Compile natively instead:\n"+
				"  FROM --platform=$BUILDPLATFORM <toolchain image> AS build\n  ARG TARGETARCH\n"+
				"  RUN <cross-compile for $TARGETARCH>\n  FROM <base>\n  COPY --from=build /out /out\n",
				strings.TrimPrefix(s.Slowest, "RUN "), s.SlowestDuration.Seconds(), s.Platform)
			break
		}
	}
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
