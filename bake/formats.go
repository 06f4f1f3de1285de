package bake

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// buildSpec is a docker-bake.json target or a compose service's build:
// section in its long form; each format's spelling of a key is accepted.
type buildSpec struct {
	Context            string    `yaml:"context"`
	Dockerfile         string    `yaml:"dockerfile"`
	Platforms          []string  `yaml:"platforms"`
	Tags               []string  `yaml:"tags"`
	Args               yaml.Node `yaml:"args"`
	Labels             yaml.Node `yaml:"labels"`
	Target             string    `yaml:"target"`
	CacheFrom          []string  `yaml:"cache-from"`
	CacheFromCompose   []string  `yaml:"cache_from"`
	CacheTo            []string  `yaml:"cache-to"`
	CacheToCompose     []string  `yaml:"cache_to"`
	Output             []string  `yaml:"output"`
	Inherits           []string  `yaml:"inherits"`
	Inline             string    `yaml:"dockerfile-inline"`
	InlineCompose      string    `yaml:"dockerfile_inline"`
	Contexts           yaml.Node `yaml:"contexts"`
	AdditionalContexts yaml.Node `yaml:"additional_contexts"`
}

// target converts the spec; what it cannot honour is refused, what it does
// not use (pull, no-cache, attest, …) is ignored.
func (s *buildSpec) target(getenv func(string) string) (*Target, error) {
	if s.Inline != "" || s.InlineCompose != "" {
		return nil, errors.New("an inline Dockerfile is not supported: write it to a file")
	}
	if s.Contexts.Kind != 0 || s.AdditionalContexts.Kind != 0 {
		return nil, errors.New("named contexts are not supported: name the image in FROM, or copy the files into the context")
	}
	args, err := keyValues(&s.Args, getenv)
	if err != nil {
		return nil, fmt.Errorf("args: %w", err)
	}
	labels, err := keyValues(&s.Labels, getenv)
	if err != nil {
		return nil, fmt.Errorf("labels: %w", err)
	}
	return &Target{Context: s.Context, Dockerfile: s.Dockerfile, Platforms: s.Platforms, Tags: s.Tags, Args: args,
		Labels: labels, Target: s.Target, CacheFrom: append(s.CacheFrom, s.CacheFromCompose...),
		CacheTo: append(s.CacheTo, s.CacheToCompose...), Outputs: s.Output}, nil
}

// decodeBakeJSON reads docker-bake.json: variable, group and target
// (with inherits).
func decodeBakeJSON(f *projectFile, p *Project, getenv func(string) string) error {
	var doc struct {
		Group map[string]struct {
			Targets []string `yaml:"targets"`
		} `yaml:"group"`
		Target map[string]*buildSpec `yaml:"target"`
	}
	if err := decodeNode(f, &doc); err != nil {
		return err
	}
	for name, g := range doc.Group {
		p.Groups[name] = g.Targets
	}
	var resolve func(name string, path []string) (*Target, error)
	resolve = func(name string, path []string) (*Target, error) {
		bt, ok := doc.Target[name]
		if !ok {
			return nil, fmt.Errorf("%s: target %s inherits from %q, which is not defined", f.path, path[len(path)-1], name)
		}
		if slices.Contains(path, name) {
			return nil, fmt.Errorf("%s: inherits cycle: %s → %s", f.path, strings.Join(path, " → "), name)
		}
		if bt == nil {
			bt = &buildSpec{}
		}
		t := &Target{}
		for _, parent := range bt.Inherits {
			pt, err := resolve(parent, append(path, name))
			if err != nil {
				return nil, err
			}
			t.merge(pt)
		}
		own, err := bt.target(getenv)
		if err != nil {
			return nil, fmt.Errorf("%s: target %s: %w", f.path, name, err)
		}
		t.merge(own)
		return t, nil
	}
	for name := range doc.Target {
		t, err := resolve(name, nil)
		if err != nil {
			return err
		}
		t.Name, t.Dir = name, filepath.Dir(f.path)
		p.addTarget(t)
	}
	return nil
}

// decodeCompose makes a target of every service with a build: section,
// tagged with the service's image: and build.tags.
func decodeCompose(f *projectFile, p *Project, getenv func(string) string) error {
	var doc struct {
		Services map[string]struct {
			Image string    `yaml:"image"`
			Build yaml.Node `yaml:"build"`
		} `yaml:"services"`
	}
	if err := decodeNode(f, &doc); err != nil {
		return err
	}
	for name, svc := range doc.Services {
		var b buildSpec
		switch svc.Build.Kind {
		case 0:
			continue // an image pulled, not built
		case yaml.ScalarNode:
			b.Context = svc.Build.Value
		default:
			if err := svc.Build.Decode(&b); err != nil {
				return fmt.Errorf("%s: service %s: build: %w", f.path, name, err)
			}
		}
		t, err := b.target(getenv)
		if err != nil {
			return fmt.Errorf("%s: service %s: build: %w", f.path, name, err)
		}
		t.Name, t.Dir = name, filepath.Dir(f.path)
		if svc.Image != "" {
			t.Tags = append([]string{svc.Image}, t.Tags...)
		}
		p.addTarget(t)
	}
	return nil
}
