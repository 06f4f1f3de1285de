package hub

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

// dockerfile is what migration needs of a Dockerfile.
type dockerfile struct {
	Path     string            // slash-separated, relative to the repository root
	Args     map[string]string // ARGs before the first FROM, with their defaults
	Froms    []fromLine
	Copies   []copyLine
	ArchArgs []string // global ARGs named *ARCH* that a FROM line uses
	// CrossBuild lists the lines of resin/balena's cross-build-start/end.
	CrossBuild []int
}

type fromLine struct {
	Line     int
	Image    string // as written, ARGs unexpanded
	Platform string // --platform, as written
	Stage    string // AS name
}

type copyLine struct {
	Line    int
	Command string // COPY or ADD
	Sources []string
}

// buildkitArgs are set by BuildKit itself for every platform.
var buildkitArgs = []string{"TARGETPLATFORM", "TARGETOS", "TARGETARCH", "TARGETVARIANT",
	"BUILDPLATFORM", "BUILDOS", "BUILDARCH", "BUILDVARIANT"}

// readDockerfile parses the Dockerfile at root/rel.
func readDockerfile(root, rel string) (*dockerfile, error) {
	b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(rel)))
	if err != nil {
		return nil, err
	}
	res, err := parser.Parse(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", rel, err)
	}
	df := &dockerfile{Path: rel, Args: map[string]string{}}
	seenFrom := false
	for _, n := range res.AST.Children {
		words := nodeWords(n)
		switch strings.ToLower(n.Value) {
		case "arg":
			if seenFrom {
				continue
			}
			for _, w := range words {
				k, v, _ := strings.Cut(w, "=")
				df.Args[k] = strings.Trim(v, `"'`)
			}
		case "from":
			seenFrom = true
			f := fromLine{Line: n.StartLine, Platform: flagValue(n.Flags, "platform")}
			if len(words) > 0 {
				f.Image = words[0]
			}
			if len(words) == 3 && strings.EqualFold(words[1], "as") {
				f.Stage = words[2]
			}
			df.Froms = append(df.Froms, f)
		case "copy", "add":
			if flagValue(n.Flags, "from") != "" || len(words) < 2 {
				continue
			}
			df.Copies = append(df.Copies, copyLine{Line: n.StartLine, Command: strings.ToUpper(n.Value), Sources: words[:len(words)-1]})
		case "run":
			if strings.Contains(n.Original, "cross-build-start") || strings.Contains(n.Original, "cross-build-end") {
				df.CrossBuild = append(df.CrossBuild, n.StartLine)
			}
		}
	}
	df.ArchArgs = archArgsUsed(df)
	return df, nil
}

// nodeWords returns an instruction's arguments.
func nodeWords(n *parser.Node) []string {
	var out []string
	for a := n.Next; a != nil; a = a.Next {
		out = append(out, a.Value)
	}
	return out
}

func flagValue(flags []string, name string) string {
	for _, f := range flags {
		if v, ok := strings.CutPrefix(f, "--"+name+"="); ok {
			return v
		}
	}
	return ""
}

var argRef = regexp.MustCompile(`\$\{?([A-Za-z_][A-Za-z0-9_]*)`)

// archArgsUsed lists the global ARGs with ARCH in their name that a FROM
// line uses: the legacy way of choosing a per-arch base image.
func archArgsUsed(df *dockerfile) []string {
	var out []string
	for _, f := range df.Froms {
		for _, m := range argRef.FindAllStringSubmatch(f.Image, -1) {
			name := m[1]
			if _, global := df.Args[name]; global && strings.Contains(strings.ToUpper(name), "ARCH") &&
				!slices.Contains(buildkitArgs, name) && !slices.Contains(out, name) {
				out = append(out, name)
			}
		}
	}
	return out
}

// expand replaces $NAME, ${NAME}, ${NAME:-default} and ${NAME:+alt} in s
// from args; unknown names expand to "".
func expand(s string, args map[string]string) string {
	return os.Expand(s, func(ref string) string {
		name, word, op := ref, "", ""
		if i := strings.IndexAny(ref, ":-+"); i > 0 {
			name, word = ref[:i], ref[i:]
			for _, o := range []string{":-", ":+", "-", "+"} {
				if w, ok := strings.CutPrefix(word, o); ok {
					op, word = o, w
					break
				}
			}
		}
		v, set := args[name]
		switch op {
		case ":-":
			if v == "" {
				return word
			}
		case "-":
			if !set {
				return word
			}
		case ":+":
			if v != "" {
				return word
			}
			return ""
		case "+":
			if set {
				return word
			}
			return ""
		}
		return v
	})
}

// stageNames lists the AS names of a Dockerfile's stages.
func (df *dockerfile) stageNames() []string {
	var out []string
	for _, f := range df.Froms {
		if f.Stage != "" {
			out = append(out, strings.ToLower(f.Stage))
		}
	}
	return out
}
