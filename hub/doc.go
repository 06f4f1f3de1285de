// Package hub brings Docker Hub-era repositories to polyarch.
//
// Docker Hub's automated builds retire on 2027-04-01. Their repositories
// often carry build hooks (hooks/pre_build, hooks/build, ...) that call the
// docker CLI, a privileged multiarch/qemu-user-static registration, per-arch
// Dockerfiles and a Travis matrix. This package knows that world:
//
//   - the hook phases in Docker Hub's order and the environment it gave them
//     (Hooks, Info, Runner);
//   - the docker command lines such hooks use, parsed into typed commands
//     for polyarch's docker shim (ParseDocker), the binfmt registration
//     containers among them (ParseRegister), and the manifest lists that
//     "docker manifest create" keeps until "docker manifest push" (Lists);
//   - what a legacy repository holds (Inspect): per-arch folders,
//     Dockerfile.<arch> files, an ARCH build argument, legacy base images,
//     hooks and .travis.yml matrices, rendered as a polyarch.yaml project
//     file (Project.YAML) and a CI configuration (Project.CI).
//
// It does not build, push or register anything itself: the CLI runs the
// commands ParseDocker describes, and polyarch's sandboxes emulate foreign
// platforms privately, so a registration container has nothing to do.
package hub
