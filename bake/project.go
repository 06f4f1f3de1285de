package bake

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Project is what the project files define (or what discovery found), with
// variables expanded.
type Project struct {
	// Dir is the project directory: where the project files were found (the
	// first --file's directory), or the discovery root.
	Dir string
	// Files are the project files read, absolute; none when Discovered.
	Files []string
	// Discovered is true when no project file was found and Targets come
	// from the Dockerfiles in the tree.
	Discovered bool
	// Targets by name.
	Targets map[string]*Target
	// Groups map a group name to target or group names.
	Groups map[string][]string
	// Rewrites are the legacy base-image rules, most specific first.
	Rewrites []Rewrite
}

// Target is one image as a project file defines it.
type Target struct {
	// Name is the key the target is defined under.
	Name string `yaml:"-" json:"-"`
	// Dir is the directory Context is relative to: the directory of the
	// file that defined the target.
	Dir string `yaml:"-" json:"-"`

	Context    string `yaml:"context"`
	Dockerfile string `yaml:"dockerfile"`
	// DockerfilePerPlatform maps a platform (any spelling) to its own
	// Dockerfile, relative to Context.
	DockerfilePerPlatform map[string]PlatformFile `yaml:"dockerfile-per-platform"`
	Platforms             []string                `yaml:"platforms"`
	Tags                  []string                `yaml:"tags"`
	// ArchTags are per-platform tags with {arch} (and {ARCH}, {date}).
	ArchTags []string `yaml:"arch-tags"`
	// ArchSpelling is what {arch} becomes: bashbrew (default), debian, oci,
	// uname or qemu.
	ArchSpelling string            `yaml:"arch-spelling"`
	Args         map[string]string `yaml:"args"`
	Labels       map[string]string `yaml:"labels"`
	Target       string            `yaml:"target"`
	CacheFrom    []string          `yaml:"cache-from"`
	CacheTo      []string          `yaml:"cache-to"`
	Outputs      []string          `yaml:"outputs"`
	Push         *bool             `yaml:"push"`
	Preprocess   *Preprocess       `yaml:"preprocess"`
	DependsOn    []string          `yaml:"depends-on"`
}

// targetKeys are the keys a polyarch.yaml target may have.
var targetKeys = []string{"context", "dockerfile", "dockerfile-per-platform", "platforms", "tags", "arch-tags",
	"arch-spelling", "args", "labels", "target", "cache-from", "cache-to", "outputs", "push", "preprocess", "depends-on"}

// PlatformFile is one platform's Dockerfile: a path relative to the target's
// context, or a mapping that also names the platform's own context
// (relative to the target's context).
type PlatformFile struct {
	Dockerfile string `yaml:"dockerfile" json:"dockerfile"`
	Context    string `yaml:"context" json:"context,omitempty"`
}

// Preprocess turns a template into each platform's Dockerfile.
type Preprocess struct {
	// Template is relative to the target's context.
	Template string `yaml:"template"`
	// Command is run in the context directory with the template on stdin
	// (or, where an argument is {template}, with its path there) and prints
	// the Dockerfile. {arch}, {ARCH} and {date} are replaced in each argument.
	Command []string `yaml:"command"`
}

// Rewrite maps a legacy base image to today's image, for a platform.
type Rewrite struct {
	// From is a repository (arm64v8/debian: any tag, kept), a namespace
	// ending in "/" (arm64v8/: any repository below it), or a full
	// reference with a tag (multiarch/alpine:aarch64-edge: exactly that).
	From string `json:"from"`
	// Image replaces From; the original tag is kept unless Image has one.
	Image string `json:"image"`
	// Platform is the canonical platform the legacy image was built for,
	// "" when the rule only renames.
	Platform string `json:"platform,omitempty"`
}

// merge sets in t every field src sets; maps are merged key by key.
func (t *Target) merge(src *Target) {
	setStr := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	setList := func(dst *[]string, v []string) {
		if v != nil {
			*dst = slices.Clone(v)
		}
	}
	setStr(&t.Context, src.Context)
	setStr(&t.Dockerfile, src.Dockerfile)
	setStr(&t.ArchSpelling, src.ArchSpelling)
	setStr(&t.Target, src.Target)
	setList(&t.Platforms, src.Platforms)
	setList(&t.Tags, src.Tags)
	setList(&t.ArchTags, src.ArchTags)
	setList(&t.CacheFrom, src.CacheFrom)
	setList(&t.CacheTo, src.CacheTo)
	setList(&t.Outputs, src.Outputs)
	setList(&t.DependsOn, src.DependsOn)
	t.Args = mergeMap(t.Args, src.Args)
	t.Labels = mergeMap(t.Labels, src.Labels)
	t.DockerfilePerPlatform = mergeMap(t.DockerfilePerPlatform, src.DockerfilePerPlatform)
	if src.Push != nil {
		v := *src.Push
		t.Push = &v
	}
	if src.Preprocess != nil {
		p := *src.Preprocess
		p.Command = slices.Clone(p.Command)
		t.Preprocess = &p
	}
	if src.Dir != "" {
		t.Dir = src.Dir
	}
}

func mergeMap[V any](dst, src map[string]V) map[string]V {
	if len(src) == 0 {
		return dst
	}
	if dst == nil {
		dst = map[string]V{}
	}
	maps.Copy(dst, src)
	return dst
}

// addTarget defines t, merging it into an earlier definition of the same name.
func (p *Project) addTarget(t *Target) {
	if old, ok := p.Targets[t.Name]; ok {
		old.merge(t)
		return
	}
	p.Targets[t.Name] = t
}

// Select expands names (targets and groups, recursively) into target names,
// each once, in the order given. No names means the group or target
// "default", else every target by name.
func (p *Project) Select(names []string) ([]string, error) {
	if len(names) == 0 {
		if _, ok := p.Groups["default"]; ok {
			names = []string{"default"}
		} else if _, ok := p.Targets["default"]; ok {
			names = []string{"default"}
		} else {
			return slices.Sorted(maps.Keys(p.Targets)), nil
		}
	}
	var out []string
	seen := map[string]bool{}
	var add func(n string, path []string) error
	add = func(n string, path []string) error {
		if _, ok := p.Targets[n]; ok {
			if !seen[n] {
				seen[n] = true
				out = append(out, n)
			}
			return nil
		}
		members, ok := p.Groups[n]
		if !ok {
			return fmt.Errorf("no target or group %q (targets: %s)", n, strings.Join(slices.Sorted(maps.Keys(p.Targets)), ", "))
		}
		if slices.Contains(path, n) {
			return fmt.Errorf("group cycle: %s → %s", strings.Join(path, " → "), n)
		}
		for _, m := range members {
			if err := add(m, append(path, n)); err != nil {
				return err
			}
		}
		return nil
	}
	for _, n := range names {
		if err := add(n, nil); err != nil {
			return nil, err
		}
	}
	return out, nil
}
