package hub

import (
	"fmt"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/polyarch/polyarch/ciconfig"
	"github.com/polyarch/polyarch/platform"
)

// migration is the state of one Inspect.
type migration struct {
	root     string
	p        *Project
	h        *hints
	dfs      map[string]*dockerfile
	rewrites map[string]Rewrite // by From
}

func (m *migration) finding(file string, line int, format string, args ...any) {
	m.p.Findings = append(m.p.Findings, Finding{file, line, fmt.Sprintf(format, args...)})
}

// target turns a group of Dockerfiles into a Target, with the rewrites its
// FROM lines need.
func (m *migration) target(g *group) {
	t := Target{Name: g.name, Context: g.context}
	if len(g.perArch) > 0 {
		t.PerPlatform = map[string]PlatformFile{}
		for spec, file := range g.perArch {
			t.Platforms = append(t.Platforms, platform.MustParse(spec))
			rel := path.Join(g.context, file)
			m.fromRewrites(m.dfs[rel], []platform.Platform{platform.MustParse(spec)})
			t.PerPlatform[spec] = PlatformFile{Dockerfile: file}
			if dir := path.Dir(file); dir != "." && m.folderContext(m.dfs[rel], g.context, dir) {
				t.PerPlatform[spec] = PlatformFile{Dockerfile: "Dockerfile", Context: dir}
			}
		}
		if g.plain != "" {
			m.plainBeside(&t, g)
		}
		spelling, ok := archSpelling(g.archNames)
		if !ok {
			m.finding(g.context, 0, "the per-arch paths mix spellings (%s): the per-arch tags use the %s spelling", strings.Join(g.archNames, ", "), spelling)
		}
		t.ArchSpelling = spelling
	} else {
		t.Dockerfile = g.plain
		t.Platforms = m.platformsOf(m.dfs[path.Join(g.context, g.plain)])
		if df := m.dfs[path.Join(g.context, g.plain)]; len(df.ArchArgs) > 0 {
			t.ArchSpelling, _ = archSpelling(slices.Collect(maps.Values(m.h.archValues[df.ArchArgs[0]])))
		}
	}
	if t.Dockerfile != "" {
		var own []platform.Platform
		for _, p := range t.Platforms {
			if _, per := t.PerPlatform[platform.Format(p)]; !per {
				own = append(own, p)
			}
		}
		m.fromRewrites(m.dfs[path.Join(g.context, t.Dockerfile)], own)
	}
	sortPlatforms(t.Platforms)
	m.p.Targets = append(m.p.Targets, t)
}

// plainBeside decides what the arch-less Dockerfile next to per-arch ones
// builds: the platform of its legacy base, else linux/amd64 (the classic
// "latest is amd64"), unless a per-arch file builds that already.
func (m *migration) plainBeside(t *Target, g *group) {
	rel := path.Join(g.context, g.plain)
	p, hinted := m.baseHint(m.dfs[rel])
	if !hinted {
		p = platform.MustParse("linux/amd64")
	}
	if other, taken := g.perArch[platform.Format(p)]; taken {
		m.finding(rel, 0, "not built: it would build %s, which %s builds", platform.Format(p), path.Join(g.context, other))
		return
	}
	t.Dockerfile = g.plain
	t.Platforms = append(t.Platforms, p)
}

// baseHint returns the platform of a Dockerfile's first legacy base.
func (m *migration) baseHint(df *dockerfile) (platform.Platform, bool) {
	for _, f := range df.Froms {
		if _, p, ok := LegacyBase(expand(f.Image, df.Args)); ok {
			return p, true
		}
	}
	return platform.Platform{}, false
}

// platformsOf chooses the platforms of a target built from one Dockerfile:
// those its ARCH argument took in the hooks or CI, else its legacy base's,
// else those the repository builds anywhere, else ciconfig's default.
func (m *migration) platformsOf(df *dockerfile) []platform.Platform {
	for _, a := range df.ArchArgs {
		var out []platform.Platform
		for spec := range m.h.archValues[a] {
			out = append(out, platform.MustParse(spec))
		}
		if len(out) > 0 {
			return out
		}
		if p, ok := archName(df.Args[a]); ok {
			m.finding(df.Path, 0, "ARG %s=%s: no hook or CI file sets other values, so only %s is built; list more platforms in polyarch.yaml", a, df.Args[a], platform.Format(p))
			return []platform.Platform{p}
		}
	}
	if p, ok := m.baseHint(df); ok {
		m.finding(df.Path, 0, "builds %s only, as its legacy base image does; with the multi-arch base (see rewrites) it can build more: list them in polyarch.yaml", platform.Format(p))
		return []platform.Platform{p}
	}
	if len(m.h.platforms) > 0 {
		return slices.Clone(m.h.platforms)
	}
	out, _ := platform.ParseList(ciconfig.DefaultPlatforms)
	return out
}

// fromRewrites records the rewrites of df's legacy FROM lines for the
// platforms it builds, and reports a base of another platform (the 2018
// bug: an arm64v8 tag built from an i386 base).
func (m *migration) fromRewrites(df *dockerfile, plats []platform.Platform) {
	stages := df.stageNames()
	for _, pl := range plats {
		args := maps.Clone(df.Args)
		for _, a := range df.ArchArgs {
			if v, ok := m.h.archValues[a][platform.Format(pl)]; ok {
				args[a] = v
			}
		}
		for _, f := range df.Froms {
			img := expand(f.Image, args)
			if img == "" || img == "scratch" || slices.Contains(stages, strings.ToLower(img)) {
				continue
			}
			to, bp, ok := LegacyBase(img)
			if !ok {
				continue
			}
			m.rewrites[img] = Rewrite{From: img, Image: to, Platform: bp}
			if f.Platform == "" && len(df.ArchArgs) == 0 && !platform.Equal(bp, pl) {
				m.finding(df.Path, f.Line, "FROM %s is a %s image, but this Dockerfile builds %s: fix the FROM line (polyarch refuses the mismatch)", img, platform.Format(bp), platform.Format(pl))
			}
		}
	}
}

// lint reports what a legacy Dockerfile does that polyarch makes
// unnecessary or cannot express.
func (m *migration) lint(df *dockerfile) {
	for _, c := range df.Copies {
		for _, s := range c.Sources {
			if b := path.Base(s); strings.HasPrefix(b, "qemu-") && strings.Contains(b, "-static") {
				m.finding(df.Path, c.Line, "%s %s: not needed, polyarch emulates RUN steps without a QEMU inside the image; delete the line (the hook that fetched the file is not needed either)", c.Command, s)
			}
		}
	}
	for _, l := range df.CrossBuild {
		m.finding(df.Path, l, "resin's cross-build-start/end: not needed, polyarch emulates every RUN step (and multi-arch bases lack the script); delete the line")
	}
	for _, a := range df.ArchArgs {
		for _, f := range df.Froms {
			if !strings.Contains(f.Image, a) {
				continue
			}
			m.finding(df.Path, f.Line, "ARG %s chooses a per-arch base (FROM %s), but polyarch.yaml passes one value to every platform: FROM the multi-arch image instead (see rewrites; polyarch pulls each platform's variant) and use TARGETARCH, which polyarch sets per platform, where %s is used", a, f.Image, a)
			break
		}
	}
}

// folderContext tells whether a per-arch folder's Dockerfile builds with
// the folder as its context, as Docker Hub's build rules usually had it:
// yes unless a COPY source exists only in the image's folder (the hooks
// then built with -f <arch>/Dockerfile from there). Sources in both places
// at once cannot be served by one context: that is reported.
func (m *migration) folderContext(df *dockerfile, context, archDir string) bool {
	var onlyImage, onlyArch []string
	for _, c := range df.Copies {
		for _, s := range c.Sources {
			if strings.ContainsAny(s, "$*?[") || strings.Contains(s, "://") || path.IsAbs(s) {
				continue
			}
			inArch := exists(filepath.Join(m.root, context, archDir, s))
			inImage := exists(filepath.Join(m.root, context, s))
			switch {
			case inArch && !inImage:
				onlyArch = append(onlyArch, s)
			case inImage && !inArch:
				onlyImage = append(onlyImage, s)
			}
		}
	}
	if len(onlyImage) > 0 && len(onlyArch) > 0 {
		m.finding(df.Path, 0, "copies %s from %s and %s from %s: polyarch.yaml builds it from %s; write %s/ before the sources that sit in the arch folder",
			strings.Join(onlyImage, ", "), context, strings.Join(onlyArch, ", "), path.Join(context, archDir), context, archDir)
	}
	return len(onlyImage) == 0
}

func exists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}

// archSpelling names the spelling family every name belongs to:
// bashbrew (arm64v8), debian (armhf) or uname (aarch64), in that order of
// preference. ok is false when no family fits them all (bashbrew then).
func archSpelling(names []string) (string, bool) {
	families := []struct {
		name  string
		spell func(platform.Platform) string
	}{{"bashbrew", platform.Bashbrew}, {"debian", platform.Debian}, {"uname", platform.Uname}}
	for _, f := range families {
		if !slices.ContainsFunc(names, func(n string) bool {
			p, ok := archName(n)
			return !ok || f.spell(p) != strings.ToLower(n)
		}) {
			return f.name, true
		}
	}
	return "bashbrew", len(names) == 0
}

// sortPlatforms orders platforms as platform.Known lists them.
func sortPlatforms(ps []platform.Platform) {
	known := platform.Known()
	rank := func(p platform.Platform) int {
		if i := slices.IndexFunc(known, func(k platform.Platform) bool { return platform.Equal(k, p) }); i >= 0 {
			return i
		}
		return len(known)
	}
	slices.SortStableFunc(ps, func(a, b platform.Platform) int { return rank(a) - rank(b) })
}
