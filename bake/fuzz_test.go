package bake

import (
	"path/filepath"
	"testing"
)

// FuzzParseProject: project files are untrusted input; no file may crash
// the parser or the variable expansion.
func FuzzParseProject(f *testing.F) {
	for _, seed := range []string{projectYAML, bakeJSON, composeYAML, "targets: {a: {args: {x: \"${A:-${B-c}}\"}}}", "{", "services: 1"} {
		f.Add(seed, false)
		f.Add(seed, true)
	}
	f.Fuzz(func(t *testing.T, src string, asJSON bool) {
		name := "polyarch.yaml"
		if asJSON {
			name = "docker-bake.json"
		}
		pf, err := parseFile(filepath.Join("/project", name), []byte(src))
		if err != nil {
			return
		}
		p, err := assemble([]*projectFile{pf}, env(map[string]string{"A": "a"}))
		if err != nil {
			return
		}
		_, _ = p.Select(nil)
	})
}
