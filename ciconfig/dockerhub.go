package ciconfig

import (
	"path"
	"strings"

	"github.com/polyarch/polyarch/platform"
)

type hubData struct {
	Platforms, Emulate, Emulators, Dockerfile, Version string
}

// dockerhub writes the build hooks Docker Hub's automated builds run from
// the Dockerfile's directory: pre_build, build and push.
func dockerhub(o Options) ([]File, error) {
	d := hubData{
		Platforms: formatList(o.Platforms), Emulate: formatList(foreign(x86, o.Platforms)),
		Dockerfile: path.Base(o.Dockerfile), Version: o.PolyarchVersion,
	}
	seen := map[string]bool{}
	var emus []string
	for _, p := range foreign(x86, o.Platforms) {
		if cpu := platform.QEMU(p); !seen[cpu] {
			seen[cpu] = true
			emus = append(emus, "qemu-"+cpu+"-static")
		}
	}
	d.Emulators = strings.Join(emus, " ")
	dir := path.Join(path.Dir(o.Dockerfile), "hooks")
	hooks := []struct {
		name string
		desc []string
	}{
		{"pre_build", []string{
			"Docker Hub build hook: runs before hooks/build. Fetches polyarch and QEMU's",
			"static emulators with throwaway unprivileged containers and checks that",
			"emulation works: the privileged multiarch/qemu-user-static container is",
			"not needed.",
		}},
		{"build", []string{
			"Docker Hub build hook: builds $IMAGE_NAME for " + d.Platforms + " with polyarch.",
		}},
		{"push", []string{
			"Docker Hub build hook: pushes the multi-platform image hooks/build made.",
		}},
	}
	files := make([]File, 0, len(hooks))
	for _, h := range hooks {
		body, err := render(h.name+".tmpl", d)
		if err != nil {
			return nil, err
		}
		desc := append(h.desc, "",
			"Docker Hub sets DOCKER_REPO, DOCKER_TAG, IMAGE_NAME (DOCKER_REPO:DOCKER_TAG),",
			"DOCKERFILE_PATH and SOURCE_BRANCH, and runs the hooks in the build context.",
			"To change the platforms, run polyarch ci init --provider dockerhub --platforms",
			"LIST again: pre_build fetches the emulators they need.")
		files = append(files, File{Path: path.Join(dir, h.name), Content: withHeader("#!/bin/bash", desc, body), Mode: 0o755})
	}
	return files, nil
}
