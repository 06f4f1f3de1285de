package ciconfig

import (
	"fmt"
	"strings"
)

// ghJob is one row of the fan-out matrix.
type ghJob struct {
	Platform, Runner, Emulate string
}

// ghRunner is GitHub's hosted runner label per CPU.
var ghRunner = map[runnerArch]string{x86: "ubuntu-24.04", arm: "ubuntu-24.04-arm"}

type ghData struct {
	Image, Registry, Platforms, Dockerfile, Context, Version string
	Branches                                                 []string
	FanOut                                                   bool
	GHCR                                                     bool // log in with GITHUB_TOKEN
	LowerImage                                               bool // the image comes from github.repository, which may hold capitals
	Jobs                                                     []ghJob
	Emulate                                                  string // one job: the platforms the x86 runner emulates
	TagScript, UserNS                                        string
}

func github(o Options) ([]File, error) {
	d := ghData{
		Image: o.Image, Platforms: formatList(o.Platforms), Dockerfile: o.Dockerfile, Context: o.Context,
		Version: o.PolyarchVersion, Branches: o.Branches, FanOut: o.FanOut,
		Emulate:   formatList(foreign(x86, o.Platforms)),
		TagScript: block(10, TagScript), UserNS: block(10, userNSScript),
	}
	if d.Image == "" {
		d.Image, d.LowerImage = "ghcr.io/${{ github.repository }}", true
	}
	d.Registry = registryOf(d.Image)
	d.GHCR = d.Registry == "ghcr.io"
	d.Jobs = platformJobs(o, ghRunner)
	body, err := render("github.yml.tmpl", d)
	if err != nil {
		return nil, err
	}
	return []File{{Path: ".github/workflows/polyarch.yml", Content: withHeader("", githubDescription(o, d), body), Mode: 0o644}}, nil
}

func githubDescription(o Options, d ghData) []string {
	desc := []string{"GitHub Actions: builds " + d.Image + " for " + d.Platforms + " with polyarch."}
	if o.FanOut {
		desc = append(desc,
			"Each platform builds in its own job (its matrix row) and is pushed by digest,",
			"with a registry build cache per platform ($IMAGE:buildcache-<platform>);",
			"the merge job then creates the multi-platform index. Keep the matrix and",
			"$PLATFORMS in step when you change the platforms.")
		if o.NativeARM {
			desc = append(desc, "arm64 and arm jobs run on GitHub's arm64 runners (ubuntu-24.04-arm).")
		}
	} else {
		desc = append(desc, "One job builds every platform, emulating the foreign ones with QEMU.")
	}
	desc = append(desc, "",
		"Tags come from the git ref, as docker/metadata-action's semver recipe gives them:",
		"branch "+strings.Join(o.Branches, ", ")+" → the branch name; tag v1.2.3 → 1.2.3, 1.2, latest;",
		"tag v1.2.3-rc.1 → 1.2.3-rc.1; pull request 42 → pr-42, built but not pushed.", "")
	if d.GHCR {
		desc = append(desc, "Credentials: the workflow's GITHUB_TOKEN (it asks for packages: write).")
	} else {
		desc = append(desc, fmt.Sprintf("Credentials for %s: repository secrets REGISTRY_USERNAME and", d.Registry),
			"REGISTRY_PASSWORD (Settings → Secrets and variables → Actions).")
	}
	return desc
}
