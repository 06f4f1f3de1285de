package bake

import (
	"fmt"
	"slices"
	"strings"
)

// Graph orders the targets of one run: a target builds after the targets
// it depends on (depends-on, and those producing an image its Dockerfiles
// use: FROM, COPY --from, RUN --mount from=, per platform).
type Graph struct {
	targets map[string]*Resolved
	names   []string            // in the order given
	deps    map[string][]string // within the run, sorted
	why     map[[2]string]string
}

// NewGraph links the targets of a run (matching images by their normalised
// names against every target's tags and arch-tags), fills Resolved.DependsOn
// and Build.Needs, and refuses cycles and two targets writing one tag.
func NewGraph(rs []*Resolved) (*Graph, error) {
	g := &Graph{targets: map[string]*Resolved{}, deps: map[string][]string{}, why: map[[2]string]string{}}
	producers := map[string]string{}
	for _, r := range rs {
		g.targets[r.Name] = r
		g.names = append(g.names, r.Name)
		names := slices.Clone(r.Tags)
		for _, b := range r.Builds {
			names = append(names, b.ArchTags...)
		}
		for _, tag := range names {
			n := normalName(tag)
			if other, dup := producers[n]; dup && other != r.Name {
				return nil, fmt.Errorf("targets %s and %s both tag %s: give each its own tags", other, r.Name, tag)
			}
			producers[n] = r.Name
		}
	}
	for _, r := range rs {
		deps := map[string]bool{}
		for _, d := range r.explicit {
			deps[d] = true
			g.why[[2]string{r.Name, d}] = "depends-on"
		}
		for _, b := range r.Builds {
			b.Needs = nil
			for _, img := range b.Images {
				if prod, ok := producers[img]; ok && prod != r.Name {
					b.Needs = append(b.Needs, prod)
					deps[prod] = true
					g.why[[2]string{r.Name, prod}] = "uses " + img
				}
			}
			slices.Sort(b.Needs)
			b.Needs = slices.Compact(b.Needs)
		}
		r.DependsOn = nil
		for d := range deps {
			r.DependsOn = append(r.DependsOn, d)
			if _, inRun := g.targets[d]; inRun {
				g.deps[r.Name] = append(g.deps[r.Name], d)
			}
		}
		slices.Sort(r.DependsOn)
		slices.Sort(g.deps[r.Name])
	}
	return g, g.checkCycles()
}

// checkCycles reports a dependency cycle with the reason for each edge.
func (g *Graph) checkCycles() error {
	const (
		visiting = 1
		done     = 2
	)
	state := map[string]int{}
	var stack []string
	var visit func(n string) error
	visit = func(n string) error {
		switch state[n] {
		case done:
			return nil
		case visiting:
			cycle := append(slices.Clone(stack[slices.Index(stack, n):]), n)
			var reasons []string
			for i := 0; i+1 < len(cycle); i++ {
				reasons = append(reasons, fmt.Sprintf("%s %s", cycle[i], g.why[[2]string{cycle[i], cycle[i+1]}]))
			}
			return fmt.Errorf("dependency cycle: %s (%s)", strings.Join(cycle, " → "), strings.Join(reasons, "; "))
		}
		state[n] = visiting
		stack = append(stack, n)
		for _, d := range g.deps[n] {
			if err := visit(d); err != nil {
				return err
			}
		}
		stack = stack[:len(stack)-1]
		state[n] = done
		return nil
	}
	for _, n := range g.names {
		if err := visit(n); err != nil {
			return err
		}
	}
	return nil
}

// Target returns a target of the run.
func (g *Graph) Target(name string) *Resolved { return g.targets[name] }

// Deps are the targets of the run that name builds after.
func (g *Graph) Deps(name string) []string { return g.deps[name] }

// Order is every target of the run, each after its dependencies; otherwise
// in the order given.
func (g *Graph) Order() []string {
	var out []string
	placed := map[string]bool{}
	for len(out) < len(g.names) {
		for _, n := range g.names {
			if placed[n] {
				continue
			}
			ready := true
			for _, d := range g.deps[n] {
				ready = ready && placed[d]
			}
			if ready {
				placed[n] = true
				out = append(out, n)
			}
		}
	}
	return out
}

// WithDependents is names plus every target of the run that depends on one
// of them, directly or not, in Order.
func (g *Graph) WithDependents(names []string) []string {
	in := map[string]bool{}
	for _, n := range names {
		in[n] = true
	}
	var out []string
	for _, n := range g.Order() { // dependencies come first, so one pass suffices
		for _, d := range g.deps[n] {
			in[n] = in[n] || in[d]
		}
		if in[n] {
			out = append(out, n)
		}
	}
	return out
}
