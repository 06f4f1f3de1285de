package ciconfig

import "strings"

type travisData struct {
	Image, Registry, Platforms, Emulate, Dockerfile, Context, Version string
	Branches                                                          []string
	TagScript, UserNS                                                 string
}

func travis(o Options) ([]File, error) {
	d := travisData{
		Image: o.Image, Registry: registryOf(o.Image), Platforms: formatList(o.Platforms),
		Emulate: formatList(foreign(x86, o.Platforms)), Dockerfile: o.Dockerfile, Context: o.Context,
		Version: o.PolyarchVersion, Branches: o.Branches,
		TagScript: block(6, TagScript), UserNS: block(4, userNSScript),
	}
	body, err := render("travis.yml.tmpl", d)
	if err != nil {
		return nil, err
	}
	desc := []string{
		"Travis CI: builds " + d.Image + " for " + d.Platforms + " with polyarch, in one",
		"job, emulating the foreign platforms with QEMU: the classic qemu-user-static",
		"recipe without a privileged container or a Docker daemon.", "",
		"Tags come from the git ref, as docker/metadata-action's semver recipe gives them:",
		"branch " + strings.Join(o.Branches, ", ") + " → the branch name; tag v1.2.3 → 1.2.3, 1.2, latest;",
		"tag v1.2.3-rc.1 → 1.2.3-rc.1; pull requests build without pushing.", "",
		"Credentials for " + d.Registry + ": environment variables REGISTRY_USERNAME and",
		"REGISTRY_PASSWORD in the repository settings (More options → Settings →",
		"Environment Variables; keep \"Display value in build log\" off).",
	}
	return []File{{Path: ".travis.yml", Content: withHeader("", desc, body), Mode: 0o644}}, nil
}
