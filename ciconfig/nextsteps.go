package ciconfig

import "fmt"

// NextSteps tells, in a few lines for people, what is left to do after
// writing p's files: credentials to set and runners to enable.
func NextSteps(p Provider, opts Options) ([]string, error) {
	o, err := resolve(p, opts)
	if err != nil {
		return nil, err
	}
	var steps []string
	switch p {
	case GitHub:
		if o.Image == "" || registryOf(o.Image) == "ghcr.io" {
			steps = append(steps, "the workflow pushes to ghcr.io with its GITHUB_TOKEN: no secret to add")
		} else {
			steps = append(steps, fmt.Sprintf("add the repository secrets REGISTRY_USERNAME and REGISTRY_PASSWORD (a token for %s): Settings → Secrets and variables → Actions", registryOf(o.Image)))
		}
		if o.NativeARM {
			steps = append(steps, "the arm jobs run on ubuntu-24.04-arm: GitHub's arm64 hosted runners must be available to the repository")
		}
	case GitLab:
		if o.Image == "" || registryOf(o.Image) == "registry.gitlab.com" {
			steps = append(steps, "the pipeline pushes to the project's container registry with CI_REGISTRY_USER/CI_REGISTRY_PASSWORD: no variable to add")
		} else {
			steps = append(steps, fmt.Sprintf("add the masked CI/CD variables REGISTRY_USERNAME and REGISTRY_PASSWORD (a token for %s): Settings → CI/CD → Variables", registryOf(o.Image)))
		}
		steps = append(steps, "runners must allow user namespaces (GitLab.com's hosted runners do; a self-managed Docker executor needs privileged = true)")
		if o.NativeARM {
			steps = append(steps, "the arm jobs ask for runners tagged "+glRunner[arm]+" (GitLab.com's hosted arm64 runners); edit the RUNNER tags for your own")
		}
	case Travis:
		steps = append(steps, fmt.Sprintf("set REGISTRY_USERNAME and REGISTRY_PASSWORD (a token for %s) in the repository's Travis settings, not displayed in the build log", registryOf(o.Image)))
	case DockerHub:
		steps = append(steps,
			"in the Docker Hub repository's automated builds, point the build rule's Dockerfile location at "+o.Dockerfile+" (the hooks sit next to it)",
			"Docker Hub logs the builder in to its repository; set REGISTRY_USERNAME and REGISTRY_PASSWORD build variables only for other registries")
	}
	return append(steps, "commit the generated files"), nil
}
