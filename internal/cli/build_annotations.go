package cli

import (
	"fmt"
	"strings"

	"github.com/polyarch/polyarch/platform"
)

// buildAnnotations are --annotation values sorted by where they go, with
// buildx's grammar: KEY=VALUE and manifest:KEY=VALUE annotate every
// platform's manifest, manifest[linux/arm64]:KEY=VALUE one of them,
// index:KEY=VALUE the index, manifest-descriptor:KEY=VALUE the index's
// entries.
type buildAnnotations struct {
	manifest   map[string]map[string]string // platform ("" = all) → annotations
	index      map[string]string
	descriptor map[string]map[string]string
}

func parseBuildAnnotations(list []string) (buildAnnotations, error) {
	a := buildAnnotations{manifest: map[string]map[string]string{}, index: map[string]string{}, descriptor: map[string]map[string]string{}}
	for _, s := range list {
		kv, val, ok := strings.Cut(s, "=")
		if !ok {
			return a, fmt.Errorf("--annotation %q: want [TYPE[PLATFORM]:]KEY=VALUE", s)
		}
		kind, key := "manifest", kv
		if prefix, k, ok := strings.Cut(kv, ":"); ok && !strings.Contains(prefix, ".") {
			kind, key = prefix, k
		}
		plat := ""
		if i := strings.Index(kind, "["); i >= 0 && strings.HasSuffix(kind, "]") {
			p, err := platform.Parse(kind[i+1 : len(kind)-1])
			if err != nil {
				return a, fmt.Errorf("--annotation %q: %w", s, err)
			}
			kind, plat = kind[:i], platform.Format(p)
		}
		if key == "" {
			return a, fmt.Errorf("--annotation %q: empty key", s)
		}
		var dst map[string]map[string]string
		switch kind {
		case "manifest":
			dst = a.manifest
		case "manifest-descriptor":
			dst = a.descriptor
		case "index":
			if plat != "" {
				return a, fmt.Errorf("--annotation %q: an index has no platform", s)
			}
			a.index[key] = val
			continue
		default:
			return a, fmt.Errorf("--annotation %q: type %s: use manifest, index or manifest-descriptor", s, kind)
		}
		if dst[plat] == nil {
			dst[plat] = map[string]string{}
		}
		dst[plat][key] = val
	}
	return a, nil
}

// forPlatform merges the annotations for all platforms with p's own.
func forPlatform(m map[string]map[string]string, p platform.Platform) map[string]string {
	out := map[string]string{}
	for k, v := range m[""] {
		out[k] = v
	}
	for k, v := range m[platform.Format(p)] {
		out[k] = v
	}
	return out
}
