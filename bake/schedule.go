package bake

import (
	"context"
	"errors"
	"fmt"
)

// ErrNotStarted is a target's outcome when another target failed first
// (without keep-going) and it was never started.
var ErrNotStarted = errors.New("not started: another target failed")

// DependencyError is a target's outcome when a target it depends on failed.
type DependencyError struct {
	Target, Dependency string
}

func (e *DependencyError) Error() string {
	return fmt.Sprintf("%s was not built: %s, which it depends on, failed", e.Target, e.Dependency)
}

// Run calls build for every target of names, each once its dependencies
// among names have finished, as many at once as are ready (build bounds its
// own work). A target whose dependency failed is not built
// (*DependencyError). Without keepGoing the first failure cancels the
// context of the builds still running and starts no more (ErrNotStarted).
// It returns each target's outcome (nil for success).
func (g *Graph) Run(ctx context.Context, names []string, keepGoing bool, build func(ctx context.Context, name string) error) map[string]error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	inRun := map[string]bool{}
	for _, n := range names {
		inRun[n] = true
	}
	type outcome struct {
		name string
		err  error
	}
	results := make(chan outcome)
	errs := map[string]error{}
	finished, started := map[string]bool{}, map[string]bool{}
	running, stopped := 0, false
	for {
		for progress := !stopped; progress; {
			progress = false
			for _, n := range names {
				if started[n] || !g.ready(n, inRun, finished) {
					continue
				}
				started[n], progress = true, true
				if dep := g.failedDep(n, inRun, errs); dep != "" {
					errs[n], finished[n] = &DependencyError{Target: n, Dependency: dep}, true
					continue
				}
				running++
				go func(n string) { results <- outcome{n, build(ctx, n)} }(n)
			}
		}
		if running == 0 {
			break
		}
		o := <-results
		running--
		errs[o.name], finished[o.name] = o.err, true
		if o.err != nil && !keepGoing {
			stopped = true
			cancel()
		}
	}
	for _, n := range names {
		if !started[n] {
			errs[n] = ErrNotStarted
		}
	}
	return errs
}

// ready reports whether every dependency of n in the run has finished.
func (g *Graph) ready(n string, inRun, finished map[string]bool) bool {
	for _, d := range g.deps[n] {
		if inRun[d] && !finished[d] {
			return false
		}
	}
	return true
}

// failedDep names a dependency of n in the run that failed, or "".
func (g *Graph) failedDep(n string, inRun map[string]bool, errs map[string]error) string {
	for _, d := range g.deps[n] {
		if inRun[d] && errs[d] != nil {
			return d
		}
	}
	return ""
}
