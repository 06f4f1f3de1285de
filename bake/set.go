package bake

import (
	"fmt"
	"maps"
	"path"
	"slices"
	"strconv"
	"strings"
)

// ApplySet applies --set overrides: PATTERN.KEY=VALUE, where PATTERN is a
// target name or a glob (*, web-*). Keys: context, dockerfile, target,
// arch-spelling, push; platform (comma-separated), tags, arch-tags,
// cache-from, cache-to, output, depends-on (repeating the key adds values;
// together they replace the file's list); args.NAME, labels.NAME,
// dockerfile-per-platform.PLATFORM.
func (p *Project) ApplySet(sets []string) error {
	type keyed struct{ pattern, key string }
	var order []keyed
	values := map[keyed][]string{}
	for _, s := range sets {
		lhs, val, ok := strings.Cut(s, "=")
		pattern, key, ok2 := strings.Cut(lhs, ".")
		if !ok || !ok2 || pattern == "" || key == "" {
			return fmt.Errorf("--set %q: want TARGET.KEY=VALUE (e.g. web.platform=linux/arm64, *.args.VERSION=2)", s)
		}
		if _, err := path.Match(pattern, ""); err != nil {
			return fmt.Errorf("--set %q: bad pattern %q: %w", s, pattern, err)
		}
		k := keyed{pattern, key}
		if _, seen := values[k]; !seen {
			order = append(order, k)
		}
		values[k] = append(values[k], val)
	}
	names := slices.Sorted(maps.Keys(p.Targets))
	for _, k := range order {
		matched := false
		for _, n := range names {
			if ok, _ := path.Match(k.pattern, n); !ok {
				continue
			}
			matched = true
			if err := p.Targets[n].set(k.key, values[k]); err != nil {
				return fmt.Errorf("--set %s.%s: %w", k.pattern, k.key, err)
			}
		}
		if !matched {
			return fmt.Errorf("--set %s.%s: no target matches %q (targets: %s)", k.pattern, k.key, k.pattern, strings.Join(names, ", "))
		}
	}
	return nil
}

// set applies one key's values (the last one for single-valued keys).
func (t *Target) set(key string, vals []string) error {
	last := vals[len(vals)-1]
	if prefix, sub, ok := strings.Cut(key, "."); ok {
		switch prefix {
		case "args":
			t.Args = mergeMap(t.Args, map[string]string{sub: last})
		case "labels":
			t.Labels = mergeMap(t.Labels, map[string]string{sub: last})
		case "dockerfile-per-platform":
			t.DockerfilePerPlatform = mergeMap(t.DockerfilePerPlatform, map[string]PlatformFile{sub: {Dockerfile: last}})
		default:
			return fmt.Errorf("unknown key %q (args.NAME, labels.NAME, dockerfile-per-platform.PLATFORM)", key)
		}
		return nil
	}
	switch key {
	case "context":
		t.Context = last
	case "dockerfile":
		t.Dockerfile = last
	case "target":
		t.Target = last
	case "arch-spelling":
		t.ArchSpelling = last
	case "push":
		b, err := strconv.ParseBool(last)
		if err != nil {
			return fmt.Errorf("push=%q: want true or false", last)
		}
		t.Push = &b
	case "platform", "platforms":
		t.Platforms = nil
		for _, v := range vals {
			for _, p := range strings.Split(v, ",") {
				if p = strings.TrimSpace(p); p != "" {
					t.Platforms = append(t.Platforms, p)
				}
			}
		}
	case "tags", "tag":
		t.Tags = slices.Clone(vals)
	case "arch-tags":
		t.ArchTags = slices.Clone(vals)
	case "cache-from":
		t.CacheFrom = slices.Clone(vals)
	case "cache-to":
		t.CacheTo = slices.Clone(vals)
	case "output", "outputs":
		t.Outputs = slices.Clone(vals)
	case "depends-on":
		t.DependsOn = slices.Clone(vals)
	default:
		return fmt.Errorf("unknown key %q (context, dockerfile, platform, tags, arch-tags, arch-spelling, args.NAME, labels.NAME, target, cache-from, cache-to, output, push, depends-on, dockerfile-per-platform.PLATFORM)", key)
	}
	return nil
}
