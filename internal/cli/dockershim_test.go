package cli

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/random"

	"github.com/polyarch/polyarch/hub"
	"github.com/polyarch/polyarch/store"
)

// TestShimArgs is the table of docker command lines and the polyarch
// command lines the shim runs for them.
func TestShimArgs(t *testing.T) {
	cases := []struct{ docker, defaultPlatform, polyarch string }{
		{"build -t acme/app:latest .", "", "build -t acme/app:latest ."},
		{"build -f $DOCKERFILE_PATH -t $IMAGE_NAME .", "", "build -f $DOCKERFILE_PATH -t $IMAGE_NAME ."},
		{"build --platform linux/arm64 -t a:arm64v8 -t a:latest -f arm64v8/Dockerfile --build-arg ARCH=arm64v8 --build-arg REG --target rt --pull --no-cache ctx", "",
			"build --platform linux/arm64 -f arm64v8/Dockerfile -t a:arm64v8 -t a:latest --build-arg ARCH=arm64v8 --build-arg REG --target rt --pull --no-cache ctx"},
		{"build -t a .", "linux/arm/v7", "build --platform linux/arm/v7 -t a ."},
		{"build --platform linux/s390x -t a .", "linux/arm/v7", "build --platform linux/s390x -t a ."},
		{"build -q --label org.opencontainers.image.revision=abc --iidfile id .", "", "build --label org.opencontainers.image.revision=abc --iidfile id --progress quiet ."},
		{"build --progress rawjson --rm --force-rm .", "", "build --progress json ."},
		{"image build -", "", "build -"},
		{"push acme/app:arm64v8", "", "push acme/app:arm64v8"},
		{"image push --disable-content-trust acme/app", "", "push acme/app"},
		{"tag acme/app:amd64 acme/app:latest", "", "tag acme/app:amd64 acme/app:latest"},
		{"login -u me --password-stdin", "", "login -u me --password-stdin docker.io"},
		{"login -u me -p pw registry.example:5000", "", "login -u me -p pw registry.example:5000"},
	}
	for _, c := range cases {
		dc, err := hub.ParseDocker(strings.Fields(c.docker))
		if err != nil {
			t.Errorf("docker %s: %v", c.docker, err)
			continue
		}
		args, err := shimArgs(dc, func(k string) string {
			if k == "DOCKER_DEFAULT_PLATFORM" {
				return c.defaultPlatform
			}
			return ""
		})
		if err != nil {
			t.Errorf("docker %s: %v", c.docker, err)
			continue
		}
		if got := strings.Join(args, " "); got != c.polyarch {
			t.Errorf("docker %s\n  → polyarch %s\n  want       %s", c.docker, got, c.polyarch)
		}
	}
}

// shimEnv is an env for the shim with its own store, lists and config.
func shimEnv(t *testing.T) (*env, *bytes.Buffer, *bytes.Buffer, string) {
	t.Helper()
	home := t.TempDir()
	storeRoot := t.TempDir()
	vars := map[string]string{"HOME": home, "XDG_CONFIG_HOME": home + "/config", "DOCKER_CONFIG": home + "/docker",
		"POLYARCH_ROOT": storeRoot, manifestListsEnv: home + "/lists"}
	var out, errb bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: func(k string) string { return vars[k] }, uid: 1000}
	return e, &out, &errb, storeRoot
}

func shim(t *testing.T, e *env, line string) error {
	t.Helper()
	return e.dockerShim(context.Background(), strings.Fields(line))
}

// TestShimManifestListFlow: create records, annotate checks the platform
// against the image at push, push makes the index.
func TestShimManifestListFlow(t *testing.T) {
	reg := testRegistry(t)
	amd := archImage(t, reg+"/app:amd64", "amd64")
	arm := archImage(t, reg+"/app:arm64v8", "arm64")
	e, out, _, _ := shimEnv(t)
	if err := shim(t, e, "manifest push "+reg+"/app:latest"); !errors.Is(err, hub.ErrNoList) {
		t.Fatalf("push before create: %v", err)
	}
	for _, l := range []string{
		"manifest create " + reg + "/app:latest " + reg + "/app:amd64",
		"manifest create --amend " + reg + "/app:latest " + reg + "/app:arm64v8",
		"manifest annotate --os linux --arch arm64 --variant v8 " + reg + "/app:latest " + reg + "/app:arm64v8",
	} {
		if err := shim(t, e, l); err != nil {
			t.Fatalf("docker %s: %v", l, err)
		}
	}
	if err := shim(t, e, "manifest create "+reg+"/app:latest "+reg+"/app:amd64"); err == nil || !strings.Contains(err.Error(), "--amend") {
		t.Errorf("create over an existing list: %v", err)
	}
	out.Reset()
	if err := shim(t, e, "manifest push --purge "+reg+"/app:latest"); err != nil {
		t.Fatal(err)
	}
	_, idx := inspectJSON(t, reg+"/app:latest")
	if len(idx.Manifests) != 2 || idx.Manifests[0].Digest != amd || idx.Manifests[1].Digest != arm {
		t.Fatalf("index %+v, want amd64 %s then arm64 %s", idx.Manifests, amd, arm)
	}
	if err := shim(t, e, "manifest push "+reg+"/app:latest"); !errors.Is(err, hub.ErrNoList) {
		t.Errorf("--purge kept the list: %v", err)
	}

	// The 2018 bug: an image annotated arm but built for amd64.
	shim(t, e, "manifest create "+reg+"/app:bad "+reg+"/app:amd64")
	shim(t, e, "manifest annotate --arch arm --variant v7 "+reg+"/app:bad "+reg+"/app:amd64")
	err := shim(t, e, "manifest push "+reg+"/app:bad")
	if err == nil || !strings.Contains(err.Error(), "annotated as linux/arm/v7, but its config says linux/amd64") {
		t.Errorf("mismatched annotation: %v", err)
	}
}

// TestShimTagAndPush serves docker tag and docker push from the store
// POLYARCH_ROOT names.
func TestShimTagAndPush(t *testing.T) {
	reg := testRegistry(t)
	e, out, _, storeRoot := shimEnv(t)
	st, err := store.Open(context.Background(), storeRoot)
	if err != nil {
		t.Fatal(err)
	}
	img, _ := random.Image(128, 1)
	d, err := st.WriteImage(context.Background(), img)
	if err != nil {
		t.Fatal(err)
	}
	desc, _ := st.Resolve(d.String())
	if err := st.Tag(context.Background(), reg+"/app:amd64", desc); err != nil {
		t.Fatal(err)
	}
	if err := shim(t, e, "tag "+reg+"/app:amd64 "+reg+"/app:latest"); err != nil {
		t.Fatal(err)
	}
	if err := shim(t, e, "push "+reg+"/app:latest"); err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(out.String()) != d.String() {
		t.Errorf("push printed %q, want %s", out.String(), d)
	}
	got, _ := inspectJSON(t, reg+"/app:latest")
	if got.Digest != d.String() {
		t.Errorf("registry has %s, want %s", got.Digest, d)
	}
	if err := shim(t, e, "push "+reg+"/app:missing"); err == nil || !strings.Contains(err.Error(), "polyarch images") {
		t.Errorf("push of a missing tag: %v", err)
	}
}

// TestShimRegistrationAndRefusals: the registration line is skipped with a
// note; anything else unserved names its verb.
func TestShimRegistrationAndRefusals(t *testing.T) {
	e, _, errb, _ := shimEnv(t)
	if err := shim(t, e, "run --rm --privileged multiarch/qemu-user-static:register --reset"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(errb.String(), "is not run: polyarch's emulation is private to each build sandbox") {
		t.Errorf("note: %s", errb.String())
	}
	for line, want := range map[string]string{
		"run --rm alpine echo hi":    "docker run is not served",
		"pull alpine":                "docker pull is not served",
		"buildx build .":             "docker buildx is not served",
		"manifest inspect alpine":    "docker manifest inspect is not served",
		"build --squash -t a .":      "unknown flag: --squash",
		"system prune -f":            "docker system is not served",
		"compose -f x.yml up -d sut": "docker compose is not served",
	} {
		if err := shim(t, e, line); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("docker %s: %v, want %q", line, err, want)
		}
	}
}
