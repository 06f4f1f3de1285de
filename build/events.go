package build

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/polyarch/polyarch/build/dockerfile"
	"github.com/polyarch/polyarch/platform"
)

// EventKind says what an Event reports.
type EventKind string

// The events a build emits, in order for each step: start, then log lines,
// then done (or cached).
const (
	StepStart  EventKind = "start"
	StepLog    EventKind = "log"
	StepDone   EventKind = "done"
	StepCached EventKind = "cached"
)

// Event is one progress event, for the CLI to render (plain lines, a live
// view or JSON lines).
type Event struct {
	Kind        EventKind     `json:"kind"`
	Platform    string        `json:"platform"`
	Stage       string        `json:"stage"`
	Step        int           `json:"step"`
	Total       int           `json:"total"`
	Instruction string        `json:"instruction,omitempty"`
	Line        string        `json:"line,omitempty"` // a line of output (StepLog)
	Duration    time.Duration `json:"duration,omitempty"`
	Emulated    bool          `json:"emulated,omitempty"` // a RUN through QEMU
	Bytes       int64         `json:"bytes,omitempty"`    // the layer's compressed size
}

// Prefix is the plain-mode prefix: "[linux/arm64 stage-1 3/7] ".
func (e Event) Prefix() string {
	return fmt.Sprintf("[%s %s %d/%d] ", e.Platform, e.Stage, e.Step, e.Total)
}

// Summary is one platform's totals, for the end-of-build report.
type Summary struct {
	Platform   string
	Steps      int
	Cached     int
	Emulated   time.Duration // time in emulated RUN steps
	Native     time.Duration // time in native RUN, COPY, ADD and WORKDIR steps
	LayerBytes int64
	// Slowest is the emulated RUN that took longest, for the hint to move
	// compiles to a FROM --platform=$BUILDPLATFORM stage.
	Slowest         string
	SlowestDuration time.Duration
}

// tracker turns step progress into Events and Summaries.
type tracker struct {
	mu   sync.Mutex
	emit func(Event)
	sums map[string]*Summary
}

func newTracker(emit func(Event)) *tracker {
	if emit == nil {
		emit = func(Event) {}
	}
	return &tracker{emit: emit, sums: map[string]*Summary{}}
}

func (t *tracker) send(e Event) {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.sums[e.Platform]
	if s == nil {
		s = &Summary{Platform: e.Platform}
		t.sums[e.Platform] = s
	}
	switch e.Kind {
	case StepDone:
		s.Steps++
		s.LayerBytes += e.Bytes
		if e.Emulated {
			s.Emulated += e.Duration
			if e.Duration > s.SlowestDuration {
				s.Slowest, s.SlowestDuration = e.Instruction, e.Duration
			}
		} else {
			s.Native += e.Duration
		}
	case StepCached:
		s.Steps++
		s.Cached++
	}
	t.emit(e)
}

func (t *tracker) summaries(order []platform.Platform) []Summary {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []Summary
	for _, p := range order {
		if s := t.sums[platform.Format(p)]; s != nil {
			out = append(out, *s)
		}
	}
	return out
}

// event makes an Event for step i of n of stage s.
func (r *platformRun) event(kind EventKind, s *dockerfile.Stage, i, n int, in *dockerfile.Instruction) Event {
	e := Event{Kind: kind, Platform: platform.Format(r.build.Platform), Stage: s.DisplayName(), Step: i, Total: n}
	if in != nil {
		e.Instruction = strings.TrimSpace(in.Source)
	}
	return e
}

// LooksLikeCompile reports whether a RUN line looks like compiling, which
// is better done natively in a FROM --platform=$BUILDPLATFORM stage.
func LooksLikeCompile(instruction string) bool {
	for _, w := range []string{"gcc", "g++", "cc ", "make", "cargo", "go build", "npm", "cmake", "rustc", "mvn", "gradle", "pip install"} {
		if strings.Contains(instruction, w) {
			return true
		}
	}
	return false
}
