package dockerfile

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/shell"

	"github.com/polyarch/polyarch/platform"
)

// automaticArgs are BuildKit's predefined global ARGs, in its order.
func automaticArgs(target, build platform.Platform, targetStage string) [][2]string {
	return [][2]string{
		{"BUILDPLATFORM", platform.Format(build)},
		{"BUILDOS", build.OS},
		{"BUILDOSVERSION", build.OSVersion},
		{"BUILDARCH", archOf(build)},
		{"BUILDVARIANT", variantOf(build)},
		{"TARGETPLATFORM", platform.Format(target)},
		{"TARGETOS", target.OS},
		{"TARGETOSVERSION", target.OSVersion},
		{"TARGETARCH", archOf(target)},
		{"TARGETVARIANT", variantOf(target)},
		{"TARGETSTAGE", targetStage},
	}
}

func archOf(p platform.Platform) string {
	if a := platform.TargetArch(p); a != "" {
		return a
	}
	return platform.Normalize(p).Architecture
}

func variantOf(p platform.Platform) string {
	if v := platform.TargetVariant(p); v != "" {
		return v
	}
	return platform.Normalize(p).Variant
}

// proxyArgNames are the build args BuildKit passes to RUN without an ARG.
func proxyArgNames() []string {
	return []string{
		"HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "FTP_PROXY", "ftp_proxy",
		"NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy",
	}
}

func proxyArgs(buildArgs map[string]string) []KeyValue {
	var out []KeyValue
	for _, name := range proxyArgNames() {
		if v, ok := buildArgs[name]; ok {
			out = append(out, KeyValue{Key: name, Value: v})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// globals evaluates the global scope for one target platform: the
// automatic args (overridden by --build-arg), then the ARGs before the
// first FROM in order. A default may use the args before it.
func (d *document) globals(lex *shell.Lex, target platform.Platform) (*envList, []Arg, error) {
	env := newEnvList(nil)
	for _, kv := range automaticArgs(target, d.buildPlatform, d.targetName) {
		v := kv[1]
		if ov, ok := d.buildArgs[kv[0]]; ok {
			v = ov
		}
		env.set(kv[0], v)
	}
	var args []Arg
	for _, rc := range d.meta {
		c, err := rc.command()
		if err != nil {
			return nil, nil, errorAt(d.file, rc.line, err)
		}
		for _, kv := range c.(*instructions.ArgCommand).Args {
			var value *string
			if v, ok := d.buildArgs[kv.Key]; ok {
				value = &v
			} else if kv.Value != nil {
				v, err := expandWord(lex, *kv.Value, env)
				if err != nil {
					return nil, nil, errorAt(d.file, rc.line, fmt.Errorf("ARG %s: %w", kv.Key, err))
				}
				value = &v
			}
			if value != nil {
				env.set(kv.Key, *value)
			} else if v, ok := env.Get(kv.Key); ok {
				value = &v // an automatic arg declared without a default
			}
			args = setArg(args, Arg{Name: kv.Key, Value: value})
		}
	}
	return env, args, nil
}

// unusedArgs lists the build args that nothing declares: neither a global
// ARG, nor an ARG of a needed stage of any build. Automatic platform args,
// proxy args and BUILDKIT_* settings never count as unused.
func (d *document) unusedArgs(builds []*Build) []string {
	used := map[string]bool{"SOURCE_DATE_EPOCH": true}
	for _, name := range proxyArgNames() {
		used[name] = true
	}
	for _, kv := range automaticArgs(platform.Platform{}, platform.Platform{}, "") {
		used[kv[0]] = true
	}
	for _, b := range builds {
		for _, a := range b.GlobalArgs {
			used[a.Name] = true
		}
		for _, s := range b.Stages {
			for _, in := range s.Instructions {
				if c, ok := in.Command.(*ArgCmd); ok {
					for _, a := range c.Args {
						used[a.Name] = true
					}
				}
			}
		}
	}
	var out []string
	for name := range d.buildArgs {
		if !used[name] && !strings.HasPrefix(name, "BUILDKIT_") {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}
