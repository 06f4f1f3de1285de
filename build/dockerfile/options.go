package dockerfile

import (
	"maps"

	"github.com/polyarch/polyarch/platform"
)

// Option configures Parse.
type Option func(*options)

type options struct {
	file          string
	platforms     []platform.Platform
	buildPlatform *platform.Platform
	buildArgs     map[string]string
	target        string
}

// WithFile sets the Dockerfile name used in messages and in Plan.File.
// Default: "Dockerfile".
func WithFile(name string) Option {
	return func(o *options) { o.file = name }
}

// WithPlatforms sets the target platforms, one Build each, in this order;
// duplicates (after normalisation) are dropped. Default: [platform.Host()].
func WithPlatforms(ps ...platform.Platform) Option {
	return func(o *options) { o.platforms = append([]platform.Platform(nil), ps...) }
}

// WithBuildPlatform sets BUILDPLATFORM, the platform the build runs on.
// Default: platform.Host().
func WithBuildPlatform(p platform.Platform) Option {
	return func(o *options) { o.buildPlatform = &p }
}

// WithBuildArgs sets the --build-arg values. They override ARG defaults and
// the automatic platform args. Default: none. The map is copied.
func WithBuildArgs(args map[string]string) Option {
	return func(o *options) { o.buildArgs = maps.Clone(args) }
}

// WithTarget sets the stage to build (--target), matched case-insensitively.
// Default: "", the last stage.
func WithTarget(name string) Option {
	return func(o *options) { o.target = name }
}

func newOptions(opts []Option) options {
	o := options{file: "Dockerfile"}
	for _, opt := range opts {
		opt(&o)
	}
	if o.file == "" {
		o.file = "Dockerfile"
	}
	if o.buildPlatform == nil {
		h := platform.Host()
		o.buildPlatform = &h
	}
	if len(o.platforms) == 0 {
		o.platforms = []platform.Platform{platform.Host()}
	}
	seen := map[string]bool{}
	var ps []platform.Platform
	for _, p := range o.platforms {
		p = platform.Normalize(p)
		if key := platform.Format(p); !seen[key] {
			seen[key] = true
			ps = append(ps, p)
		}
	}
	o.platforms = ps
	if o.buildArgs == nil {
		o.buildArgs = map[string]string{}
	}
	return o
}
