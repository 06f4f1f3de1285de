package hub

import (
	"fmt"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/polyarch/polyarch/platform"
)

// Finding is something migration noticed that people should act on.
type Finding struct {
	File    string // slash-separated, relative to the repository root
	Line    int    // 0 when it concerns the whole file
	Message string
}

func (f Finding) String() string {
	if f.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", f.File, f.Line, f.Message)
	}
	return f.File + ": " + f.Message
}

// hints is what hooks and CI files say about the platforms a repository
// builds and the names it pushes.
type hints struct {
	platforms []platform.Platform
	// archValues maps an arch variable (ARCH, QEMU_ARCH, ...) to the value
	// it had for each platform (by platform.Format).
	archValues map[string]map[string]string
	repos      []string // repositories named by DOCKER_REPO=, IMAGE=, docker build -t, ...
	findings   []Finding
}

func newHints() *hints { return &hints{archValues: map[string]map[string]string{}} }

func (h *hints) addPlatform(p platform.Platform) {
	if !slices.ContainsFunc(h.platforms, func(q platform.Platform) bool { return platform.Equal(p, q) }) {
		h.platforms = append(h.platforms, p)
	}
}

// isArchVar reports whether a variable names an architecture.
func isArchVar(name string) bool {
	u := strings.ToUpper(name)
	return strings.Contains(u, "ARCH") && !slices.Contains(buildkitArgs, u) || u == "PLATFORM"
}

var repoVars = []string{"DOCKER_REPO", "IMAGE", "IMAGE_NAME", "REPO", "DOCKER_IMAGE", "REPOSITORY"}

// assignments reads one set of KEY=VALUE words (a Travis matrix row, a
// docker build's --build-args): the platform it selects, if any, and the
// arch variables' values for it. Variables without QEMU in their name win
// (QEMU_ARCH=arm says less than ARCH=arm32v6).
func (h *hints) assignments(kvs []string) {
	vars := map[string]string{}
	var plat *platform.Platform
	var qemuOnly bool
	for _, kv := range kvs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || strings.Contains(v, "$") {
			continue
		}
		v = strings.Trim(v, `"'`)
		if slices.Contains(repoVars, strings.ToUpper(k)) && strings.Contains(v, "/") {
			h.repos = append(h.repos, v)
		}
		if !isArchVar(k) {
			continue
		}
		p, err := platform.Parse(v)
		if err != nil {
			continue
		}
		vars[k] = v
		qemu := strings.Contains(strings.ToUpper(k), "QEMU")
		if plat == nil || qemuOnly && !qemu {
			plat, qemuOnly = &p, qemu
		}
	}
	if plat == nil {
		return
	}
	h.addPlatform(*plat)
	for k, v := range vars {
		if h.archValues[k] == nil {
			h.archValues[k] = map[string]string{}
		}
		h.archValues[k][platform.Format(*plat)] = v
	}
}

// shell scans shell text (a hook, a Travis script line) for docker
// commands, arch loops and QEMU downloads.
func (h *hints) shell(file string, firstLine int, text string) {
	for _, ll := range logicalLines(text) {
		line := firstLine + ll.line
		for _, cmd := range Commands(ll.text) {
			h.command(file, line, cmd)
		}
	}
}

func (h *hints) command(file string, line int, cmd []string) {
	switch {
	case cmd[0] == "for" && len(cmd) > 3 && cmd[2] == "in":
		var values []string
		for _, v := range cmd[3:] {
			if _, err := platform.Parse(v); err != nil {
				return // not a loop over architectures
			}
			values = append(values, cmd[1]+"="+v)
		}
		for _, kv := range values {
			h.assignments([]string{kv})
		}
	case (cmd[0] == "curl" || cmd[0] == "wget") && strings.Contains(strings.Join(cmd, " "), "qemu-"):
		h.findings = append(h.findings, Finding{file, line, "downloads a static QEMU to copy into the image: not needed, polyarch emulates RUN steps without one"})
	case cmd[0] == "docker" && len(cmd) > 1:
		dc, err := ParseDocker(cmd[1:])
		if err != nil {
			return
		}
		switch c := dc.(type) {
		case *DockerRegister:
			h.findings = append(h.findings, Finding{file, line, "registers QEMU with a privileged container (" + c.Image + "): not needed, polyarch's emulation is private to each build"})
		case *DockerBuild:
			h.assignments(c.BuildArgs)
			if p, err := platform.Parse(c.Platform); err == nil {
				h.addPlatform(p)
			}
			for _, t := range c.Tags {
				if !strings.Contains(t, "$") {
					h.repos = append(h.repos, t)
				}
			}
		}
	}
}

type logicalLine struct {
	line int // 1-based, of the first physical line
	text string
}

// logicalLines joins backslash-continued lines.
func logicalLines(text string) []logicalLine {
	var out []logicalLine
	var cur strings.Builder
	start := 0
	for i, l := range strings.Split(text, "\n") {
		if cur.Len() == 0 {
			start = i + 1
		}
		if c, ok := strings.CutSuffix(l, "\\"); ok {
			cur.WriteString(c + " ")
			continue
		}
		cur.WriteString(l)
		out = append(out, logicalLine{start, cur.String()})
		cur.Reset()
	}
	if cur.Len() > 0 {
		out = append(out, logicalLine{start, cur.String()})
	}
	return out
}

// travis reads a .travis.yml: its env matrix rows and the shell lines of
// its script sections.
func (h *hints) travis(file string, content []byte) error {
	var doc yaml.Node
	if err := yaml.Unmarshal(content, &doc); err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	h.travisNode(file, &doc, false)
	return nil
}

// travisNode walks the YAML tree; strings under an "env" key are matrix
// rows, other strings are shell.
func (h *hints) travisNode(file string, n *yaml.Node, underEnv bool) {
	switch n.Kind {
	case yaml.DocumentNode, yaml.SequenceNode:
		for _, c := range n.Content {
			h.travisNode(file, c, underEnv)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			h.travisNode(file, n.Content[i+1], underEnv || n.Content[i].Value == "env")
		}
	case yaml.ScalarNode:
		if underEnv {
			for _, cmd := range splitCommands(n.Value, false) {
				h.assignments(cmd)
			}
			return
		}
		h.shell(file, n.Line-1, n.Value)
	}
}
