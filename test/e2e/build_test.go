package e2e

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// writeContext writes files (path → content) into a new build context dir.
func writeContext(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for p, c := range files {
		full := filepath.Join(dir, p)
		os.MkdirAll(filepath.Dir(full), 0o755)
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const crossDockerfile = `ARG REG
FROM --platform=$BUILDPLATFORM $REG/library/busybox AS cross
ARG TARGETPLATFORM TARGETARCH BUILDPLATFORM
RUN echo "built on $(uname -m) ($BUILDPLATFORM) for $TARGETPLATFORM" > /cross.txt

FROM $REG/library/busybox
ARG TARGETARCH
COPY --from=cross /cross.txt /cross.txt
COPY hello.sh /usr/local/bin/hello
RUN chmod +x /usr/local/bin/hello && echo "$TARGETARCH $(uname -m)" > /native.txt
CMD ["hello"]
`

// TestBuildMultiPlatformPushAndRun is the first acceptance: a
// multi-stage build with a $BUILDPLATFORM cross stage for five platforms,
// pushed as one index in the requested order, each platform running with
// its own uname -m and files.
func TestBuildMultiPlatformPushAndRun(t *testing.T) {
	reg := registry(t)
	root := storeFlag(t)
	ctx := writeContext(t, map[string]string{"Dockerfile": crossDockerfile, "hello.sh": "#!/bin/sh\ncat /cross.txt /native.txt\n"})
	plats := "linux/amd64,linux/arm64,linux/arm/v7,linux/ppc64le,linux/s390x"
	ref := reg + "/e2e/cross:1"
	polyarch(t, runOpts{}, root, "build", "--platform", plats, "--build-arg", "REG="+reg, "-t", ref, "--push", ctx).mustOK(t)

	out, err := exec.Command("skopeo", "inspect", "--raw", "--tls-verify=false", "docker://"+ref).Output()
	if err != nil {
		t.Fatalf("skopeo inspect: %v", err)
	}
	var idx struct {
		Manifests []struct {
			Platform struct{ OS, Architecture, Variant string }
		}
	}
	if err := json.Unmarshal(out, &idx); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range idx.Manifests {
		p := m.Platform.OS + "/" + m.Platform.Architecture
		if m.Platform.Variant != "" {
			p += "/" + m.Platform.Variant
		}
		got = append(got, p)
	}
	if strings.Join(got, ",") != plats {
		t.Fatalf("index order %v, want %s", got, plats)
	}
	fresh := storeFlag(t) // run from the registry, not the build's store
	for plat, uname := range map[string]string{"linux/amd64": "x86_64", "linux/arm64": "aarch64", "linux/arm/v7": "armv7l", "linux/ppc64le": "ppc64le", "linux/s390x": "s390x"} {
		r := polyarch(t, runOpts{}, fresh, "run", "--platform", plat, ref).mustOK(t)
		want := "built on x86_64 (linux/amd64) for " + plat + "\n"
		if !strings.HasPrefix(r.stdout, want) || !strings.Contains(r.stdout, " "+uname+"\n") {
			t.Errorf("%s: got %q", plat, r.stdout)
		}
	}
}

// TestBuildDebianCompile installs gcc under emulation and compiles C.
func TestBuildDebianCompile(t *testing.T) {
	reg := registry(t)
	root := storeFlag(t)
	ctx := writeContext(t, map[string]string{
		"Dockerfile": "ARG REG\nFROM $REG/library/debian:bookworm\nRUN apt-get update -q && apt-get install -y -q --no-install-recommends gcc libc6-dev >/dev/null\nCOPY hello.c /src/\nRUN gcc -O1 -o /usr/local/bin/hello /src/hello.c\nCMD [\"hello\"]\n",
		"hello.c":    "#include <stdio.h>\n#include <sys/utsname.h>\nint main(void){struct utsname u; uname(&u); printf(\"compiled hello on %s\\n\", u.machine); return 0;}\n",
	})
	polyarch(t, runOpts{}, root, "build", "--platform", "linux/arm64", "--build-arg", "REG="+reg, "-t", "e2e/gcc:1", ctx).mustOK(t)
	r := polyarch(t, runOpts{}, root, "run", "e2e/gcc:1").mustOK(t)
	if r.stdout != "compiled hello on aarch64\n" {
		t.Fatalf("got %q", r.stdout)
	}
}

func TestBuildFailingRunExitCode(t *testing.T) {
	reg := registry(t)
	ctx := writeContext(t, map[string]string{"Dockerfile": "ARG REG\nFROM $REG/library/busybox\nRUN echo about to fail; exit 7\n"})
	r := polyarch(t, runOpts{}, storeFlag(t), "build", "--platform", "linux/arm64,linux/s390x", "--build-arg", "REG="+reg, "-t", "e2e/fail:1", ctx)
	if r.code != 7 {
		t.Fatalf("exit %d, want 7\n%s", r.code, r.stderr)
	}
	for _, want := range []string{"Dockerfile:3", "about to fail", "exit code 7"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
}
