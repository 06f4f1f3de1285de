package bake

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/polyarch/polyarch/build/dockerfile"
	"github.com/polyarch/polyarch/image"
	"github.com/polyarch/polyarch/platform"
)

// sortRewrites validates rules, makes their platforms canonical and orders
// them most specific first: full references, then repositories and
// namespaces, longer before shorter.
func sortRewrites(rules []Rewrite) ([]Rewrite, error) {
	out := make([]Rewrite, 0, len(rules))
	for _, r := range rules {
		if _, err := compileRule(r); err != nil {
			return nil, err
		}
		if r.Platform != "" {
			p, _ := platform.Parse(r.Platform)
			r.Platform = platform.Format(p)
		}
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b Rewrite) int {
		if ea, eb := hasTagOrDigest(a.From), hasTagOrDigest(b.From); ea != eb {
			if ea {
				return -1
			}
			return 1
		}
		return cmp.Or(len(b.From)-len(a.From), strings.Compare(a.From, b.From))
	})
	return out, nil
}

// rule is a Rewrite with its match key normalised the way image references
// are (arm64v8/debian is index.docker.io/arm64v8/debian).
type rule struct {
	Rewrite
	exact, repo, prefix string
	plat                *platform.Platform
}

func compileRule(r Rewrite) (rule, error) {
	c := rule{Rewrite: r}
	bad := func(err error) (rule, error) {
		return rule{}, fmt.Errorf("rewrite %q: %w", r.From, err)
	}
	switch {
	case strings.HasSuffix(r.From, "/"):
		ref, err := image.ParseReference(r.From + "x")
		if err != nil {
			return bad(err)
		}
		c.prefix = strings.TrimSuffix(ref.Context().Name(), "x")
	case hasTagOrDigest(r.From):
		ref, err := image.ParseReference(r.From)
		if err != nil {
			return bad(err)
		}
		c.exact = ref.Name()
	default:
		ref, err := image.ParseReference(r.From)
		if err != nil {
			return bad(err)
		}
		c.repo = ref.Context().Name()
	}
	if r.Image == "" && c.prefix == "" {
		return bad(fmt.Errorf("image: is empty (say what replaces it)"))
	}
	if r.Platform != "" {
		p, err := platform.Parse(r.Platform)
		if err != nil {
			return bad(err)
		}
		c.plat = &p
	}
	return c, nil
}

// hasTagOrDigest reports whether a reference names a tag or a digest.
func hasTagOrDigest(ref string) bool {
	return suffixOf(ref) != ""
}

// suffixOf is ":tag" or "@digest" as written in ref, "" when it has none.
func suffixOf(ref string) string {
	if i := strings.Index(ref, "@"); i >= 0 {
		return ref[i:]
	}
	last := ref[strings.LastIndex(ref, "/")+1:]
	if j := strings.Index(last, ":"); j >= 0 {
		return last[j:]
	}
	return ""
}

// rewriter applies the rules of a project.
type rewriter struct{ rules []rule }

func newRewriter(rules []Rewrite) (*rewriter, error) {
	rw := &rewriter{}
	for _, r := range rules {
		c, err := compileRule(r)
		if err != nil {
			return nil, err
		}
		rw.rules = append(rw.rules, c)
	}
	return rw, nil
}

// match returns what replaces img and the platform the legacy image was
// built for (nil when the rule does not say).
func (rw *rewriter) match(img string) (string, *platform.Platform, bool) {
	ref, err := image.ParseReference(img)
	if err != nil {
		return "", nil, false
	}
	repo := ref.Context().Name()
	for _, r := range rw.rules {
		switch {
		case r.exact != "" && ref.Name() == r.exact:
			return r.Image, r.plat, true
		case r.prefix != "" && strings.HasPrefix(repo, r.prefix):
			return r.Image + strings.TrimPrefix(repo, r.prefix) + suffixOf(img), r.plat, true
		case r.repo != "" && repo == r.repo:
			if hasTagOrDigest(r.Image) {
				return r.Image, r.plat, true
			}
			return r.Image + suffixOf(img), r.plat, true
		}
	}
	return "", nil, false
}

// impliedPlatform is the platform a legacy single-arch image name says it
// is for: Docker Hub's per-arch namespaces (arm64v8/debian, i386/alpine)
// and multiarch/* tags that start with an arch (multiarch/alpine:aarch64-edge).
func impliedPlatform(img string) (platform.Platform, bool) {
	ref, err := image.ParseReference(img)
	if err != nil || ref.Context().RegistryStr() != name.DefaultRegistry {
		return platform.Platform{}, false
	}
	ns, _, ok := strings.Cut(ref.Context().RepositoryStr(), "/")
	if !ok {
		return platform.Platform{}, false
	}
	for _, p := range platform.Known() {
		if b := platform.Bashbrew(p); b != "" && b == ns {
			return p, true
		}
	}
	tag := strings.TrimPrefix(suffixOf(img), ":")
	if ns != "multiarch" || tag == "" || strings.HasPrefix(tag, "@") {
		return platform.Platform{}, false
	}
	arch, _, _ := strings.Cut(tag, "-")
	if strings.ContainsAny(arch, "/.") || arch == "linux" || arch == "latest" {
		return platform.Platform{}, false
	}
	p, err := platform.Parse(arch)
	return p, err == nil
}

// rewriteFROMs applies the rules to the FROM lines of one platform's
// Dockerfile (ARGs expanded as the build would) and checks that no base is a
// legacy image of another platform than the stage builds for. It returns
// the new source and a description of each change.
func (rw *rewriter) rewriteFROMs(ctx context.Context, src []byte, file string, plat platform.Platform, args map[string]string, target string) ([]byte, []string, error) {
	plan, err := dockerfile.Parse(ctx, src, dockerfile.WithFile(file), dockerfile.WithPlatforms(plat),
		dockerfile.WithBuildArgs(args), dockerfile.WithTarget(target))
	if err != nil {
		return nil, nil, err
	}
	lines := strings.SplitAfter(string(src), "\n")
	var changes []string
	for _, st := range plan.Builds[0].Stages {
		if st.Base.Kind != dockerfile.BaseImage {
			continue
		}
		newImg, rulePlat, ok := rw.match(st.Base.Image)
		implied := rulePlat
		if !ok {
			if p, found := impliedPlatform(st.Base.Image); found {
				implied = &p
			}
		}
		if implied != nil && !platform.Equal(*implied, st.Platform) {
			return nil, nil, fmt.Errorf("%s:%d: FROM %s is a %s image, but this stage builds for %s: an image of one architecture cannot be the base of another's (add a rewrite rule to a multi-arch image, or build this Dockerfile for %s)",
				file, st.Line, st.Base.Image, platform.Format(*implied), platform.Format(st.Platform), platform.Format(*implied))
		}
		if !ok {
			continue
		}
		line, err := rewriteFROMLine(lines[st.Line-1], plan.Escape, newImg, rulePlat)
		if err != nil {
			return nil, nil, fmt.Errorf("%s:%d: %w", file, st.Line, err)
		}
		changes = append(changes, fmt.Sprintf("%s:%d: FROM %s → %s", file, st.Line, st.Base.Image, strings.TrimSpace(strings.TrimPrefix(line, "FROM "))))
		lines[st.Line-1] = line
	}
	return []byte(strings.Join(lines, "")), changes, nil
}

// rewriteFROMLine replaces the image of one FROM line, adding
// --platform=<p> when the line has no --platform of its own.
func rewriteFROMLine(line, escape, img string, p *platform.Platform) (string, error) {
	body := strings.TrimRight(line, " \t\r\n")
	if escape != "" && strings.HasSuffix(body, escape) {
		return "", fmt.Errorf("cannot rewrite a FROM line continued on the next line: join it into one line")
	}
	fields := strings.Fields(body)
	if len(fields) < 2 || !strings.EqualFold(fields[0], "FROM") {
		return "", fmt.Errorf("expected a FROM instruction, found %q", body)
	}
	out := []string{"FROM"}
	hasPlatform := false
	i := 1
	for ; i < len(fields) && strings.HasPrefix(fields[i], "--"); i++ {
		hasPlatform = hasPlatform || strings.HasPrefix(fields[i], "--platform")
		out = append(out, fields[i])
	}
	if i == len(fields) {
		return "", fmt.Errorf("FROM without an image: %q", body)
	}
	if !hasPlatform && p != nil {
		out = append(out, "--platform="+platform.Format(*p))
	}
	out = append(out, img)
	out = append(out, fields[i+1:]...)
	return strings.Join(out, " ") + "\n", nil
}
