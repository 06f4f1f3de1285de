package bake

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// DefaultFiles are the project files Load reads from the directory when none
// is given, in this order; a later file's definition of a target is merged
// over an earlier one's.
var DefaultFiles = []string{"compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml",
	"docker-bake.json", "polyarch.yaml", "polyarch.yml"}

// fileKind is the format of a project file.
type fileKind int

const (
	kindPolyarch fileKind = iota
	kindBakeJSON
	kindCompose
)

// projectFile is one parsed file, before interpolation.
type projectFile struct {
	path string
	kind fileKind
	root *yaml.Node // the document's top mapping
}

// Load reads the project files (or those of DefaultFiles present in dir)
// and expands their variables with getenv. Without any project file it
// discovers the Dockerfiles under dir (see Discover).
func Load(dir string, files []string, getenv func(string) string) (*Project, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		for _, name := range DefaultFiles {
			if st, err := os.Stat(filepath.Join(dir, name)); err == nil && st.Mode().IsRegular() {
				files = append(files, filepath.Join(dir, name))
			}
		}
		if len(files) == 0 {
			return Discover(dir)
		}
	}
	var parsed []*projectFile
	for _, f := range files {
		abs, err := filepath.Abs(f)
		if err != nil {
			return nil, err
		}
		b, err := os.ReadFile(abs)
		if err != nil {
			return nil, fmt.Errorf("reading the project file: %w", err)
		}
		pf, err := parseFile(abs, b)
		if err != nil {
			return nil, err
		}
		parsed = append(parsed, pf)
	}
	return assemble(parsed, getenv)
}

// parseFile reads a file's YAML (JSON is YAML too) and decides its format:
// *.json is docker-bake.json, a file with top-level services: is compose,
// anything else polyarch.yaml.
func parseFile(path string, b []byte) (*projectFile, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	pf := &projectFile{path: path, root: &yaml.Node{Kind: yaml.MappingNode}}
	if len(doc.Content) > 0 {
		pf.root = doc.Content[0]
	}
	if pf.root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s:%d: want a mapping at the top (targets:, groups:, …)", path, pf.root.Line)
	}
	switch {
	case strings.HasSuffix(strings.ToLower(path), ".json"):
		pf.kind = kindBakeJSON
	case mapValue(pf.root, "services") != nil:
		pf.kind = kindCompose
	}
	return pf, nil
}

// assemble turns parsed files into a Project: variables first (from every
// file), then each file interpolated and decoded.
func assemble(files []*projectFile, getenv func(string) string) (*Project, error) {
	p := &Project{Dir: filepath.Dir(files[0].path), Targets: map[string]*Target{}, Groups: map[string][]string{}}
	defaults := map[string]string{}
	for _, f := range files {
		if err := collectVariables(f, defaults); err != nil {
			return nil, err
		}
	}
	var rules []Rewrite
	for _, f := range files {
		p.Files = append(p.Files, f.path)
		v := newVars(defaults, getenv)
		v.lenient = f.kind == kindCompose
		if err := interpolate(f.root, v, true); err != nil {
			return nil, fmt.Errorf("%s: %w", f.path, err)
		}
		var err error
		switch f.kind {
		case kindPolyarch:
			var rs []Rewrite
			rs, err = decodePolyarch(f, p)
			rules = append(rules, rs...)
		case kindBakeJSON:
			err = decodeBakeJSON(f, p, getenv)
		case kindCompose:
			err = decodeCompose(f, p, getenv)
		}
		if err != nil {
			return nil, err
		}
	}
	var err error
	p.Rewrites, err = sortRewrites(rules)
	return p, err
}

// variableSections are the keys holding variable declarations.
var variableSections = []string{"variables", "variable"}

// collectVariables adds the file's declared variables and their defaults.
func collectVariables(f *projectFile, into map[string]string) error {
	if f.kind == kindCompose {
		return nil
	}
	for _, key := range variableSections {
		sec := mapValue(f.root, key)
		if sec == nil {
			continue
		}
		if sec.Kind != yaml.MappingNode {
			return fmt.Errorf("%s:%d: %s: want a mapping of NAME: {default: VALUE}", f.path, sec.Line, key)
		}
		for i := 0; i+1 < len(sec.Content); i += 2 {
			name, val := sec.Content[i].Value, sec.Content[i+1]
			if !validName(name) {
				return fmt.Errorf("%s:%d: %q is not a variable name (letters, digits, _)", f.path, sec.Content[i].Line, name)
			}
			switch val.Kind {
			case yaml.ScalarNode:
				into[name] = val.Value
			case yaml.MappingNode:
				if err := checkKeys(f.path, val, "variable "+name, "default", "description"); err != nil {
					return err
				}
				def := mapValue(val, "default")
				into[name] = ""
				if def != nil {
					into[name] = def.Value
				}
			default:
				return fmt.Errorf("%s:%d: variable %s: want {default: VALUE}", f.path, val.Line, name)
			}
		}
	}
	return nil
}

// interpolate expands variables in every scalar (keys included) except
// inside the variable sections, whose defaults are expanded on use.
func interpolate(n *yaml.Node, v *vars, top bool) error {
	switch n.Kind {
	case yaml.ScalarNode:
		s, err := v.expand(n.Value)
		if err != nil {
			return fmt.Errorf("line %d: %w", n.Line, err)
		}
		n.Value = s
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			if top && slices.Contains(variableSections, n.Content[i].Value) {
				continue
			}
			if err := interpolate(n.Content[i], v, false); err != nil {
				return err
			}
			if err := interpolate(n.Content[i+1], v, false); err != nil {
				return err
			}
		}
	case yaml.SequenceNode, yaml.DocumentNode:
		for _, c := range n.Content {
			if err := interpolate(c, v, false); err != nil {
				return err
			}
		}
	case yaml.AliasNode:
		return fmt.Errorf("line %d: YAML aliases are not supported in project files", n.Line)
	}
	return nil
}

// mapValue returns the value of key in a mapping node, or nil.
func mapValue(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// checkKeys reports a key of mapping m that is not allowed, with its line.
func checkKeys(path string, m *yaml.Node, what string, allowed ...string) error {
	if m.Kind != yaml.MappingNode {
		return fmt.Errorf("%s:%d: %s: want a mapping", path, m.Line, what)
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if k := m.Content[i]; !slices.Contains(allowed, k.Value) {
			return fmt.Errorf("%s:%d: %s: unknown key %q (known: %s)", path, k.Line, what, k.Value, strings.Join(allowed, ", "))
		}
	}
	return nil
}

// decodePolyarch reads a polyarch.yaml: groups, rewrites and targets.
func decodePolyarch(f *projectFile, p *Project) ([]Rewrite, error) {
	if err := checkKeys(f.path, f.root, "polyarch.yaml", "variables", "groups", "rewrites", "targets"); err != nil {
		return nil, err
	}
	var doc struct {
		Groups   map[string][]string     `yaml:"groups"`
		Rewrites map[string]rewriteValue `yaml:"rewrites"`
		Targets  map[string]*Target      `yaml:"targets"`
	}
	if tn := mapValue(f.root, "targets"); tn != nil && tn.Kind == yaml.MappingNode {
		for i := 1; i < len(tn.Content); i += 2 {
			if err := checkKeys(f.path, tn.Content[i], "target "+tn.Content[i-1].Value, targetKeys...); err != nil {
				return nil, err
			}
			if pp := mapValue(tn.Content[i], "preprocess"); pp != nil {
				if err := checkKeys(f.path, pp, "preprocess", "template", "command"); err != nil {
					return nil, err
				}
			}
		}
	}
	if err := decodeNode(f, &doc); err != nil {
		return nil, err
	}
	for name, members := range doc.Groups {
		p.Groups[name] = members
	}
	var rules []Rewrite
	for from, r := range doc.Rewrites {
		rules = append(rules, Rewrite{From: from, Image: r.Image, Platform: r.Platform})
	}
	for name, t := range doc.Targets {
		if t == nil {
			t = &Target{}
		}
		t.Name, t.Dir = name, filepath.Dir(f.path)
		p.addTarget(t)
	}
	return rules, nil
}

// decodeNode decodes the file's (interpolated) top mapping into v.
func decodeNode(f *projectFile, v any) error {
	if err := f.root.Decode(v); err != nil {
		var te *yaml.TypeError
		if errors.As(err, &te) {
			return fmt.Errorf("%s: %s", f.path, strings.Join(te.Errors, "; "))
		}
		return fmt.Errorf("%s: %w", f.path, err)
	}
	return nil
}

// rewriteValue is a rewrite rule's value: an image, or {image, platform}.
type rewriteValue struct {
	Image, Platform string
}

func (r *rewriteValue) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		r.Image = n.Value
		return nil
	}
	var m struct {
		Image    string `yaml:"image"`
		Platform string `yaml:"platform"`
	}
	if err := n.Decode(&m); err != nil {
		return err
	}
	r.Image, r.Platform = m.Image, m.Platform
	return nil
}

func (pf *PlatformFile) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		pf.Dockerfile = n.Value
		return nil
	}
	type plain PlatformFile
	return n.Decode((*plain)(pf))
}

// keyValues reads a compose/bake mapping or KEY=VALUE list; a key without a
// value (null, or no "=") takes the environment's value, or is left out.
func keyValues(n *yaml.Node, getenv func(string) string) (map[string]string, error) {
	if n == nil || n.Kind == 0 {
		return nil, nil
	}
	out := map[string]string{}
	put := func(k string, v *string) {
		if v != nil {
			out[k] = *v
		} else if e := getenv(k); e != "" {
			out[k] = e
		}
	}
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			var v *string
			if val := n.Content[i+1]; val.Tag != "!!null" {
				v = &val.Value
			}
			put(n.Content[i].Value, v)
		}
	case yaml.SequenceNode:
		for _, item := range n.Content {
			k, v, ok := strings.Cut(item.Value, "=")
			if ok {
				put(k, &v)
			} else {
				put(k, nil)
			}
		}
	default:
		return nil, fmt.Errorf("line %d: want a mapping or a list of KEY=VALUE", n.Line)
	}
	return out, nil
}
