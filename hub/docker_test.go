package hub

import (
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestParseRegisterLines is the table of registration lines hooks and CI
// files used, as written in a hook (through Commands), and look-alikes
// that must not be taken for one.
func TestParseRegisterLines(t *testing.T) {
	cases := []struct {
		line string
		ok   bool
		want Registration
	}{
		{line: "docker run --rm --privileged multiarch/qemu-user-static:register --reset", ok: true},
		{line: "docker run --rm --privileged multiarch/qemu-user-static:register", ok: true},
		{line: "docker run --rm --privileged multiarch/qemu-user-static", ok: true},
		{line: "docker run --rm --privileged multiarch/qemu-user-static --reset -p yes", ok: true},
		{line: "docker run --rm --privileged multiarch/qemu-user-static --reset --credential yes --persistent yes", ok: true},
		{line: "sudo docker run --rm --privileged docker.io/multiarch/qemu-user-static:latest --reset -p yes", ok: true},
		{line: "docker run --privileged --rm tonistiigi/binfmt --install all", ok: true},
		{line: "docker run --privileged --rm tonistiigi/binfmt --install=arm64,riscv64", ok: true, want: Registration{Arches: []string{"arm64", "riscv64"}}},
		{line: "docker run --privileged --rm tonistiigi/binfmt:qemu-v7.0.0 --install arm64 --install arm", ok: true, want: Registration{Arches: []string{"arm64", "arm"}}},
		{line: "docker run --privileged --rm tonistiigi/binfmt --uninstall qemu-*", ok: true, want: Registration{Arches: []string{"qemu-*"}, Uninstall: true}},
		{line: "docker run --privileged --rm tonistiigi/binfmt", ok: true, want: Registration{Status: true}},
		{line: "docker run --rm --privileged docker/binfmt:a7996909642ee92942dcd6cff44b9b95f08dad64", ok: true},
		{line: "docker run --rm --privileged linuxkit/binfmt:v0.8", ok: true},
		{line: "docker run --rm --privileged hypriot/qemu-register", ok: true},
		{line: "docker run --rm --privileged aptman/qus -s -- -p aarch64 arm", ok: true, want: Registration{Arches: []string{"aarch64", "arm"}}},
		{line: "docker run --rm --privileged aptman/qus -- -r", ok: true, want: Registration{Uninstall: true}},
		{line: "docker run --rm -t --privileged multiarch/qemu-user-static:register --reset || true", ok: true},
		{line: "docker container run --rm --privileged multiarch/qemu-user-static --reset -p yes # qemu", ok: true},
		{line: `docker run --rm --privileged "multiarch/qemu-user-static:register" --reset > /dev/null 2>&1`, ok: true},
		{line: "docker run --rm --privileged --name reg multiarch/qemu-user-static:register --reset", ok: true},
		// Not registrations:
		{line: "docker run --rm multiarch/qemu-user-static:register --bogus"},
		{line: "docker run --rm -v /usr/bin:/usr/bin multiarch/alpine:aarch64-edge uname -m"},
		{line: "docker run --rm --privileged busybox true"},
		{line: "docker pull multiarch/qemu-user-static:register"},
		{line: "docker run --rm --mystery-flag multiarch/qemu-user-static --reset"},
		{line: "docker run --rm -v /usr/bin/qemu-aarch64-static:/q multiarch/qemu-user-static:x86_64-aarch64 /q --version"},
	}
	for _, c := range cases {
		cmds := Commands(c.line)
		if len(cmds) == 0 || cmds[0][0] != "docker" {
			t.Fatalf("%q: Commands gave %q", c.line, cmds)
		}
		got, ok := ParseRegister(cmds[0][1:])
		if ok != c.ok {
			t.Errorf("%q: recognised = %v, want %v", c.line, ok, c.ok)
			continue
		}
		if !ok {
			continue
		}
		got.Image = ""
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%q: %+v, want %+v", c.line, got, c.want)
		}
	}
	r, _ := ParseRegister([]string{"run", "--rm", "--privileged", "multiarch/qemu-user-static:register", "--reset"})
	if n := r.Note(); !strings.Contains(n, "multiarch/qemu-user-static:register") || !strings.Contains(n, "nothing to register") {
		t.Errorf("note: %s", n)
	}
}

// TestParseDocker is the table of docker command lines the shim parses.
func TestParseDocker(t *testing.T) {
	cases := []struct {
		args string
		want DockerCommand
	}{
		{"build -t a/b:1 -t a/b:latest -f arm64v8/Dockerfile --build-arg ARCH=arm64v8 --build-arg X --platform linux/arm64 --target run --pull --no-cache .",
			&DockerBuild{Tags: []string{"a/b:1", "a/b:latest"}, File: "arm64v8/Dockerfile", BuildArgs: []string{"ARCH=arm64v8", "X"},
				Platform: "linux/arm64", Target: "run", Pull: true, NoCache: true, Context: "."}},
		{"build --tag=x --file=Dockerfile.arm -q --rm --force-rm ctx", &DockerBuild{Tags: []string{"x"}, File: "Dockerfile.arm", Quiet: true, Context: "ctx"}},
		{"build -tx -fD --label a=b,c=d .", &DockerBuild{Tags: []string{"x"}, File: "D", Labels: []string{"a=b,c=d"}, Context: "."}},
		{"build --cache-from a/b:latest -t a/b .", &DockerBuild{Tags: []string{"a/b"}, Context: ".",
			Notes: []string{"--cache-from a/b:latest is ignored: polyarch's build cache is kept in its store"}}},
		{"image build --build-arg A=1,2 -", &DockerBuild{BuildArgs: []string{"A=1,2"}, Context: "-"}},
		{"builder build .", &DockerBuild{Context: "."}},
		{"push acme/app:arm64v8", &DockerPush{Ref: "acme/app:arm64v8"}},
		{"image push -q acme/app", &DockerPush{Ref: "acme/app"}},
		{"tag acme/app:amd64 acme/app:latest", &DockerTag{Source: "acme/app:amd64", Target: "acme/app:latest"}},
		{"image tag a b", &DockerTag{Source: "a", Target: "b"}},
		{"login -u me --password-stdin", &DockerLogin{Username: "me", PasswordStdin: true, Registry: "docker.io"}},
		{"login --username=me -p secret quay.io", &DockerLogin{Username: "me", Password: "secret", Registry: "quay.io"}},
		{"manifest create acme/app:latest acme/app:amd64 acme/app:arm64v8", &DockerManifestCreate{List: "acme/app:latest", Sources: []string{"acme/app:amd64", "acme/app:arm64v8"}}},
		{"manifest create --amend --insecure l a", &DockerManifestCreate{List: "l", Sources: []string{"a"}, Amend: true}},
		{"manifest annotate --os linux --arch arm --variant v7 l a", &DockerManifestAnnotate{List: "l", Image: "a", OS: "linux", Arch: "arm", Variant: "v7"}},
		{"manifest push --purge acme/app:latest", &DockerManifestPush{List: "acme/app:latest", Purge: true}},
		{"manifest push l", &DockerManifestPush{List: "l"}},
		{"run --rm --privileged multiarch/qemu-user-static:register --reset", &DockerRegister{Registration{Image: "multiarch/qemu-user-static:register"}}},
	}
	for _, c := range cases {
		got, err := ParseDocker(strings.Fields(c.args))
		if err != nil {
			t.Errorf("docker %s: %v", c.args, err)
			continue
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("docker %s:\n got %+v\nwant %+v", c.args, got, c.want)
		}
	}
}

// TestParseDockerRefuses checks that what the shim does not serve fails
// with a message naming it.
func TestParseDockerRefuses(t *testing.T) {
	cases := []struct{ args, unsupported, inMessage string }{
		{"run --rm busybox true", "run", "use polyarch run"},
		{"pull busybox", "pull", ""},
		{"images", "images", ""},
		{"buildx build --platform linux/arm64 .", "buildx", ""},
		{"image ls", "image ls", ""},
		{"builder prune", "builder prune", ""},
		{"manifest inspect a", "manifest inspect", ""},
		{"manifest", "manifest", ""},
		{"--host tcp://x build .", "--host", ""},
		{"build --squash .", "", "unknown flag: --squash"},
		{"build", "", "want exactly one build context"},
		{"build https://github.com/a/b.git", "", "remote build contexts"},
		{"build --network bridge .", "", "--network bridge"},
		{"push -a acme/app", "", "--all-tags"},
		{"push", "", "want one image reference"},
		{"tag a", "", "want SOURCE TARGET"},
		{"manifest create l", "", "at least one IMAGE"},
		{"manifest annotate --os-version 10 l a", "", "Windows"},
		{"", "", "no command"},
	}
	for _, c := range cases {
		_, err := ParseDocker(strings.Fields(c.args))
		if err == nil {
			t.Errorf("docker %s: no error", c.args)
			continue
		}
		var ue *UnsupportedError
		if c.unsupported != "" {
			if !errors.As(err, &ue) || ue.Verb != c.unsupported {
				t.Errorf("docker %s: %v, want unsupported %q", c.args, err, c.unsupported)
			} else if !strings.Contains(err.Error(), "docker "+c.unsupported+" is not served") {
				t.Errorf("docker %s: message %q does not name the verb", c.args, err)
			}
		}
		if !strings.Contains(err.Error(), c.inMessage) {
			t.Errorf("docker %s: %q lacks %q", c.args, err, c.inMessage)
		}
	}
}

func TestCommands(t *testing.T) {
	cases := []struct{ text, want string }{
		{`docker build -t "$DOCKER_REPO:$arch" -f $arch/Dockerfile .`, `[docker build -t $DOCKER_REPO:$arch -f $arch/Dockerfile .]`},
		{"set -e; docker push a && docker push b || true", `[set -e] [docker push a] [docker push b] [true]`},
		{"docker build \\\n  --build-arg 'A=x y' \\\n  .", `[docker build --build-arg A=x y .]`},
		{"# a comment\nsudo -E env FOO=1 docker run x # trailing", `[-E env FOO=1 docker run x]`},
		{"FOO=1 BAR=2 docker tag a b 2>&1 >/dev/null", `[docker tag a b]`},
		{`echo "a \"q\" \$x" 'it''s'`, `[echo a "q" $x its]`},
		{"for arch in amd64 arm64v8; do docker build .; done", `[for arch in amd64 arm64v8] [docker build .] [done]`},
	}
	for _, c := range cases {
		var parts []string
		for _, cmd := range Commands(c.text) {
			parts = append(parts, "["+strings.Join(cmd, " ")+"]")
		}
		if got := strings.Join(parts, " "); got != c.want {
			t.Errorf("Commands(%q) = %s, want %s", c.text, got, c.want)
		}
	}
}

func TestLists(t *testing.T) {
	s := Lists{Dir: filepath.Join(t.TempDir(), "lists")}
	if _, err := s.Load("x"); !errors.Is(err, ErrNoList) {
		t.Fatalf("Load of nothing: %v", err)
	}
	l := List{Name: "reg/app:1"}
	l.Add("reg/app:amd64", "reg/app:arm64", "reg/app:amd64")
	l.Entries[1].Platform = "linux/arm64"
	if err := s.Save(l); err != nil {
		t.Fatal(err)
	}
	got, err := s.Load("reg/app:1")
	if err != nil || !reflect.DeepEqual(got, l) || strings.Join(got.Images(), " ") != "reg/app:amd64 reg/app:arm64" {
		t.Fatalf("Load = %+v, %v", got, err)
	}
	if err := s.Remove("reg/app:1"); err != nil {
		t.Fatal(err)
	}
	if err := s.Remove("reg/app:1"); err != nil {
		t.Fatalf("second Remove: %v", err)
	}
}
