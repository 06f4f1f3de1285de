package hub

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/polyarch/polyarch/platform"
)

// ProjectFile is the name of polyarch's project file.
const ProjectFile = "polyarch.yaml"

// YAML renders the project as polyarch.yaml: the variables REGISTRY
// (Registry) and TAG (latest), a default group of every target, the
// rewrites, and the targets, tagged ${REGISTRY}/<name>:${TAG} plus
// ${REGISTRY}/<name>:{arch} where the legacy layout had per-arch tags. The
// findings head the file as comments.
func (p *Project) YAML() []byte {
	var b strings.Builder
	b.WriteString("# polyarch.yaml for " + p.Name + ", written by polyarch migrate: review it, then run polyarch bake.\n")
	b.WriteString("# Override the variables from the environment: REGISTRY=ghcr.io/you TAG=1.0 polyarch bake --push\n")
	if len(p.Findings) > 0 {
		b.WriteString("#\n# To do (polyarch migrate found):\n")
		for _, f := range p.Findings {
			b.WriteString("#   - " + f.String() + "\n")
		}
	}
	fmt.Fprintf(&b, "\nvariables:\n  REGISTRY: {default: %s}\n  TAG: {default: %s}\n", scalar(p.Registry), scalar("latest"))
	names := make([]string, len(p.Targets))
	for i, t := range p.Targets {
		names[i] = t.Name
	}
	fmt.Fprintf(&b, "\ngroups:\n  default: %s\n", flowList(names))
	if len(p.Rewrites) > 0 {
		b.WriteString("\n# Legacy per-arch base images, and the multi-arch image and platform each stood for.\nrewrites:\n")
		for _, r := range p.Rewrites {
			fmt.Fprintf(&b, "  %s: {image: %s, platform: %s}\n", quoted(r.From), quoted(r.Image), platform.Format(r.Platform))
		}
	}
	b.WriteString("\ntargets:\n")
	for _, t := range p.Targets {
		writeTarget(&b, t)
	}
	return []byte(b.String())
}

func writeTarget(b *strings.Builder, t Target) {
	fmt.Fprintf(b, "  %s:\n    context: %s\n", scalar(t.Name), scalar(t.Context))
	if t.Dockerfile != "" {
		fmt.Fprintf(b, "    dockerfile: %s\n", scalar(t.Dockerfile))
	}
	if len(t.PerPlatform) > 0 {
		b.WriteString("    dockerfile-per-platform:\n")
		for _, p := range t.Platforms {
			switch f, ok := t.PerPlatform[platform.Format(p)]; {
			case !ok:
			case f.Context == "":
				fmt.Fprintf(b, "      %s: %s\n", platform.Format(p), scalar(f.Dockerfile))
			default:
				fmt.Fprintf(b, "      %s: {dockerfile: %s, context: %s}\n", platform.Format(p), scalar(f.Dockerfile), scalar(f.Context))
			}
		}
	}
	plats := make([]string, len(t.Platforms))
	for i, p := range t.Platforms {
		plats[i] = platform.Format(p)
	}
	fmt.Fprintf(b, "    platforms: %s\n", flowList(plats))
	fmt.Fprintf(b, "    tags: [%s]\n", quoted("${REGISTRY}/"+t.Name+":${TAG}"))
	if t.ArchSpelling != "" {
		fmt.Fprintf(b, "    arch-tags: [%s]\n    arch-spelling: %s\n", quoted("${REGISTRY}/"+t.Name+":{arch}"), t.ArchSpelling)
	}
}

var (
	plainScalar = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_./-]*$`)
	yamlWords   = []string{"true", "false", "yes", "no", "on", "off", "null", "y", "n"}
)

// scalar writes s plain where YAML reads it back as the same string, else
// double-quoted.
func scalar(s string) string {
	if plainScalar.MatchString(s) && !slices.Contains(yamlWords, strings.ToLower(s)) {
		return s
	}
	return quoted(s)
}

// quoted writes a YAML double-quoted scalar; JSON's escapes are YAML's.
func quoted(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func flowList(items []string) string {
	out := make([]string, len(items))
	for i, s := range items {
		out[i] = scalar(s)
	}
	return "[" + strings.Join(out, ", ") + "]"
}
