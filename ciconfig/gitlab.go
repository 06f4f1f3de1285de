package ciconfig

import "strings"

// glRunner is GitLab.com's hosted runner tag per CPU (used with NativeARM).
var glRunner = map[runnerArch]string{x86: "saas-linux-small-amd64", arm: "saas-linux-small-arm64"}

type glData struct {
	Image, Registry, Platforms, Dockerfile, Context, Version string
	Branches                                                 []string
	FanOut, NativeARM                                        bool
	CIRegistry                                               bool // log in with the job's CI_REGISTRY_* credentials
	Jobs                                                     []ghJob
	Emulate                                                  string
	TagScript, DigestScript                                  string
}

func gitlab(o Options) ([]File, error) {
	d := glData{
		Image: o.Image, Platforms: formatList(o.Platforms), Dockerfile: o.Dockerfile, Context: o.Context,
		Version: o.PolyarchVersion, Branches: o.Branches, FanOut: o.FanOut, NativeARM: o.NativeARM,
		Emulate:   formatList(foreign(x86, o.Platforms)),
		TagScript: block(6, TagScript), DigestScript: digestScript,
	}
	if d.Image == "" {
		d.Image = "$CI_REGISTRY_IMAGE"
	}
	d.Registry = registryOf(d.Image)
	if d.Image == "$CI_REGISTRY_IMAGE" || d.Registry == "registry.gitlab.com" {
		d.CIRegistry = true
		d.Registry = "$CI_REGISTRY"
	}
	d.Jobs = platformJobs(o, glRunner)
	body, err := render("gitlab.yml.tmpl", d)
	if err != nil {
		return nil, err
	}
	return []File{{Path: ".gitlab-ci.yml", Content: withHeader("", gitlabDescription(o, d), body), Mode: 0o644}}, nil
}

func gitlabDescription(o Options, d glData) []string {
	desc := []string{"GitLab CI: builds " + d.Image + " for " + d.Platforms + " with polyarch."}
	if o.FanOut {
		desc = append(desc,
			"Each platform builds in its own job (a parallel:matrix row) and is pushed by",
			"digest, with a registry build cache per platform ($IMAGE:buildcache-<platform>);",
			"the merge job then creates the multi-platform index. Keep the matrix and",
			"$PLATFORMS in step when you change the platforms.")
		if o.NativeARM {
			desc = append(desc, "Jobs pick runners by tag ($RUNNER): arm64 and arm on "+glRunner[arm]+",",
				"the others on "+glRunner[x86]+" (GitLab.com's hosted runners).")
		}
	} else {
		desc = append(desc, "One job builds every platform, emulating the foreign ones with QEMU.")
	}
	desc = append(desc, "",
		"Tags come from the git ref, as docker/metadata-action's semver recipe gives them:",
		"branch "+strings.Join(o.Branches, ", ")+" → the branch name; tag v1.2.3 → 1.2.3, 1.2, latest;",
		"tag v1.2.3-rc.1 → 1.2.3-rc.1; merge requests build without pushing.", "")
	if d.CIRegistry {
		desc = append(desc, "Credentials: the job's CI_REGISTRY_USER and CI_REGISTRY_PASSWORD.")
	} else {
		desc = append(desc, "Credentials for "+d.Registry+": CI/CD variables REGISTRY_USERNAME and",
			"REGISTRY_PASSWORD (Settings → CI/CD → Variables; masked).")
	}
	desc = append(desc,
		"polyarch's sandboxes need user namespaces: GitLab.com's hosted runners run",
		"jobs privileged, which allows them; a self-managed Docker executor needs",
		"privileged = true (or a seccomp profile that allows unshare).")
	return desc
}
