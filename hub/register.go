package hub

import (
	"fmt"
	"strings"
)

// Registration is a "docker run" of a container whose only job is to
// register QEMU in the host's binfmt_misc: the classic first line of a
// multi-arch hook.
type Registration struct {
	Image string // as written, e.g. multiarch/qemu-user-static:register
	// Arches lists the architectures asked for, as spelled; nil means the
	// image's default (every one it knows).
	Arches []string
	// Uninstall is a removal (tonistiigi/binfmt --uninstall, --reset
	// alone with multiarch's -r).
	Uninstall bool
	// Status only prints what is registered (tonistiigi/binfmt without
	// arguments).
	Status bool
}

// Note says, for people, why the registration is not needed.
func (r Registration) Note() string {
	what := "register QEMU host-wide"
	switch {
	case r.Status:
		what = "list the host's emulators"
	case r.Uninstall:
		what = "remove host-wide emulators"
	}
	return fmt.Sprintf("docker run %s (to %s) is not run: polyarch's emulation is private to each build sandbox, so there is nothing to register; see polyarch binfmt status", r.Image, what)
}

// registrationImages maps the repositories of registration containers to
// the parser of their arguments.
var registrationImages = map[string]func(args []string) (Registration, bool){
	"multiarch/qemu-user-static": multiarchArgs,
	"hypriot/qemu-register":      noArgs,
	"docker/binfmt":              noArgs,
	"linuxkit/binfmt":            noArgs,
	"tonistiigi/binfmt":          tonistiigiArgs,
	"aptman/qus":                 qusArgs,
}

// runBoolFlags are the docker run flags that take no value and may come
// before a registration image; any other flag without "=" makes the
// command unrecognised, so that a value is never mistaken for the image.
var runBoolFlags = map[string]bool{
	"--rm": true, "--privileged": true, "-i": true, "-t": true, "-it": true, "-ti": true,
	"--interactive": true, "--tty": true, "--init": true, "-d": true, "--detach": true,
}

// runValueFlags take the next word as their value.
var runValueFlags = map[string]bool{
	"-v": true, "--volume": true, "-e": true, "--env": true, "--name": true, "--platform": true,
	"--pull": true, "--security-opt": true, "--cap-add": true, "--network": true, "--net": true,
	"-u": true, "--user": true, "--pid": true, "--userns": true,
}

// ParseRegister recognises a registration container in the arguments of
// a docker command (args[0] is "run", or "container" "run"):
//
//	docker run --rm --privileged multiarch/qemu-user-static:register --reset
//	docker run --rm --privileged multiarch/qemu-user-static --reset -p yes
//	docker run --privileged --rm tonistiigi/binfmt --install all
//	docker run --rm --privileged docker/binfmt:a7996909642ee92942dcd6cff44b9b95f08dad64
//	docker run --rm --privileged aptman/qus -s -- -p aarch64
//
// Other images, and flags it does not know, are not recognised.
func ParseRegister(args []string) (Registration, bool) {
	if len(args) > 1 && args[0] == "container" {
		args = args[1:]
	}
	if len(args) == 0 || args[0] != "run" {
		return Registration{}, false
	}
	args = args[1:]
	for len(args) > 0 && strings.HasPrefix(args[0], "-") {
		switch f := args[0]; {
		case runBoolFlags[f] || strings.Contains(f, "="):
			args = args[1:]
		case runValueFlags[f] && len(args) > 1:
			args = args[2:]
		default:
			return Registration{}, false
		}
	}
	if len(args) == 0 {
		return Registration{}, false
	}
	parse, ok := registrationImages[repository(args[0])]
	if !ok {
		return Registration{}, false
	}
	r, ok := parse(args[1:])
	r.Image = args[0]
	return r, ok
}

// repository is an image reference's repository on Docker Hub, without
// registry, library/ prefix, tag or digest.
func repository(ref string) string {
	ref, _, _ = strings.Cut(ref, "@")
	if i := strings.LastIndexByte(ref, ':'); i > strings.LastIndexByte(ref, '/') {
		ref = ref[:i]
	}
	for _, p := range []string{"docker.io/", "index.docker.io/", "registry-1.docker.io/", "library/"} {
		ref = strings.TrimPrefix(ref, p)
	}
	return ref
}

func noArgs(args []string) (Registration, bool) { return Registration{}, len(args) == 0 }

// multiarchArgs reads multiarch/qemu-user-static's register script
// options: --reset, -p|--persistent yes|no, --credential yes|no, and -r
// (reset only).
func multiarchArgs(args []string) (Registration, bool) {
	var r Registration
	resetOnly := false
	for i := 0; i < len(args); i++ {
		switch args[i] {
		case "--reset":
		case "-r":
			resetOnly = true
		case "-p", "--persistent", "-c", "--credential":
			i++ // yes|no
		default:
			return r, false
		}
	}
	r.Uninstall = resetOnly
	return r, true
}

// tonistiigiArgs reads tonistiigi/binfmt's --install LIST and
// --uninstall LIST; no arguments only prints the status.
func tonistiigiArgs(args []string) (Registration, bool) {
	var r Registration
	if len(args) == 0 {
		r.Status = true
		return r, true
	}
	for i := 0; i < len(args); i++ {
		name, value, hasValue := strings.Cut(args[i], "=")
		switch name {
		case "--install", "--uninstall":
			if !hasValue {
				if i+1 >= len(args) {
					return r, false
				}
				i++
				value = args[i]
			}
			r.Uninstall = name == "--uninstall"
			if value != "all" {
				r.Arches = append(r.Arches, strings.Split(value, ",")...)
			}
		default:
			return r, false
		}
	}
	return r, true
}

// qusArgs reads aptman/qus: [-s] -- -p [ARCH...] registers, -- -r removes.
func qusArgs(args []string) (Registration, bool) {
	var r Registration
	for len(args) > 0 && (args[0] == "-s" || args[0] == "--") {
		args = args[1:]
	}
	if len(args) == 0 {
		return r, true
	}
	switch args[0] {
	case "-p":
		r.Arches = args[1:]
		if len(r.Arches) == 0 {
			r.Arches = nil
		}
	case "-r":
		r.Uninstall = true
	default:
		return r, false
	}
	return r, true
}
