package cli

import (
	"fmt"
	"strings"

	"github.com/polyarch/polyarch/build"
	"github.com/polyarch/polyarch/image"
	"github.com/polyarch/polyarch/publish"
)

// parseCacheFlag parses --cache-from/--cache-to: type=registry,ref=R
// [,mode=min|max] or type=local,src=DIR / dest=DIR. A bare value is a
// registry ref (buildx accepts that for --cache-from).
func parseCacheFlag(s string, export bool, c *image.Client) (build.CacheRef, error) {
	fields := map[string]string{}
	if !strings.Contains(s, "=") {
		fields["type"], fields["ref"] = "registry", s
	}
	for _, f := range strings.Split(s, ",") {
		if k, v, ok := strings.Cut(f, "="); ok {
			fields[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	mode := fields["mode"]
	if mode != "" && mode != "min" && mode != "max" {
		return build.CacheRef{}, fmt.Errorf("cache %q: mode=%s: use min or max", s, mode)
	}
	switch fields["type"] {
	case "registry":
		if fields["ref"] == "" {
			return build.CacheRef{}, fmt.Errorf("cache %q: type=registry needs ref=REPO:TAG", s)
		}
		return build.CacheRef{Backend: image.RegistryCache{Client: c}, Ref: fields["ref"], Mode: mode}, nil
	case "local":
		dir := fields["src"]
		if export {
			dir = fields["dest"]
		}
		if dir == "" {
			return build.CacheRef{}, fmt.Errorf("cache %q: type=local needs src=DIR (import) or dest=DIR (export)", s)
		}
		return build.CacheRef{Backend: publish.NewLayoutCache(dir), Ref: "cache", Mode: mode}, nil
	case "inline", "gha", "s3", "azblob":
		return build.CacheRef{}, fmt.Errorf("cache type %s is not supported by polyarch; use type=registry or type=local", fields["type"])
	}
	return build.CacheRef{}, fmt.Errorf("cache %q: give type=registry,ref=REPO:TAG or type=local,src|dest=DIR", s)
}
