package e2e

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// buildAndRun builds dockerfile (REG is passed as a build arg) for the
// platform into a fresh store, then runs script in the result.
func buildAndRun(t *testing.T, plat, dockerfile string, files map[string]string, script string, extra ...string) string {
	t.Helper()
	reg := registry(t)
	root := storeFlag(t)
	if files == nil {
		files = map[string]string{}
	}
	files["Dockerfile"] = dockerfile
	ctx := writeContext(t, files)
	args := append([]string{root, "build", "--platform", plat, "--build-arg", "REG=" + reg, "-t", "e2e/feature:1"}, extra...)
	polyarch(t, runOpts{}, append(args, ctx)...).mustOK(t)
	return polyarch(t, runOpts{}, root, "run", "--platform", plat, "e2e/feature:1", "sh", "-c", script).mustOK(t).stdout
}

func TestBuildHeredocs(t *testing.T) {
	df := "ARG REG\nFROM $REG/library/busybox\nARG NAME=world\n" +
		"RUN <<EOF\necho \"hello $NAME\" > /a\nEOF\n" +
		"RUN <<-EOT sh\n\techo tabs stripped > /b\n\tEOT\n" +
		"RUN <<EOF\n#!/bin/sh\necho shebang $0 > /c\nEOF\n" +
		"RUN cat <<EOF > /d\nliteral \\$NAME and $NAME\nEOF\n"
	got := buildAndRun(t, "linux/arm64", df, nil, "cat /a /b /c /d")
	want := "hello world\ntabs stripped\nshebang /dev/pipes/EOF\nliteral $NAME and world\n"
	if got != want {
		t.Fatalf("got %q\nwant %q", got, want)
	}
}

func TestBuildArgScoping(t *testing.T) {
	df := `ARG REG
ARG GLOBAL=g1
ARG OVER=default
FROM $REG/library/busybox
ARG GLOBAL
ARG OVER
ARG LOCAL=l-$GLOBAL
ARG TARGETARCH
RUN echo "$GLOBAL $OVER $LOCAL $TARGETARCH [$BUILDARCH]" > /args
`
	got := buildAndRun(t, "linux/s390x", df, nil, "cat /args", "--build-arg", "OVER=given")
	if got != "g1 given l-g1 s390x []\n" {
		t.Fatalf("got %q", got)
	}
}

func TestBuildWorkdirUserOwnership(t *testing.T) {
	df := `ARG REG
FROM $REG/library/busybox
USER nobody
WORKDIR /home/app/data
RUN touch mine && id -u > uid
USER root
`
	got := buildAndRun(t, "linux/arm64", df, nil, "stat -c '%U %a' /home/app/data /home/app/data/mine; cat /home/app/data/uid; stat -c %U /home")
	want := "nobody 755\nnobody 644\n65534\nroot\n"
	if got != want {
		t.Fatalf("got %q want %q", got, want)
	}
}

func TestBuildWhiteoutsSetuidXattrs(t *testing.T) {
	df := `ARG REG
FROM $REG/library/busybox
RUN mkdir -p /d/sub && echo x > /d/sub/f && echo y > /file && mkdir /replace && touch /replace/inner
RUN rm /file && rm -r /d/sub && rm -r /replace && echo now-a-file > /replace
RUN cp /bin/busybox /suid && chmod 4755 /suid && setfattr -n user.polyarch -v yes /suid 2>/dev/null || true
`
	got := buildAndRun(t, "linux/arm64", df, nil, "ls /file 2>&1; ls /d; cat /replace; stat -c %a /suid")
	want := "ls: /file: No such file or directory\nnow-a-file\n4755\n"
	if got != want {
		t.Fatalf("got %q want %q", got, want)
	}
}

func TestBuildOnbuildAcrossBuilds(t *testing.T) {
	reg := registry(t)
	root := storeFlag(t)
	parent := writeContext(t, map[string]string{"Dockerfile": "ARG REG\nFROM $REG/library/busybox\nONBUILD RUN echo triggered > /onbuild\nRUN echo parent > /parent\n"})
	polyarch(t, runOpts{}, root, "build", "--platform", "linux/arm64", "--build-arg", "REG="+reg, "-t", "e2e/parent:1", parent).mustOK(t)
	r := polyarch(t, runOpts{}, root, "run", "e2e/parent:1", "sh", "-c", "ls /onbuild 2>&1 || true").mustOK(t)
	if !strings.Contains(r.stdout, "No such file") {
		t.Fatalf("the trigger ran in the parent: %q", r.stdout)
	}
	child := writeContext(t, map[string]string{"Dockerfile": "FROM e2e/parent:1\nRUN cat /onbuild /parent > /both\n"})
	polyarch(t, runOpts{}, root, "build", "--platform", "linux/arm64", "-t", "e2e/child:1", child).mustOK(t)
	r = polyarch(t, runOpts{}, root, "run", "e2e/child:1", "cat", "/both").mustOK(t)
	if r.stdout != "triggered\nparent\n" {
		t.Fatalf("got %q", r.stdout)
	}
	r = polyarch(t, runOpts{}, root, "inspect", "e2e/child:1").mustOK(t)
	if strings.Contains(r.stdout, "OnBuild\": [") {
		t.Fatalf("the child inherited the trigger:\n%s", r.stdout)
	}
}

func TestBuildConfig(t *testing.T) {
	reg := registry(t)
	root := storeFlag(t)
	df := `ARG REG
FROM $REG/library/busybox
ENV A=1 B="two words"
ENV C $A-x
LABEL org.a=1 "org.b"="two words"
EXPOSE 80 53/udp 8000-8001
VOLUME ["/data"]
VOLUME /logs
USER 1000:1000
WORKDIR /w
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=5s --retries=2 CMD true
SHELL ["/bin/sh", "-ec"]
ENTRYPOINT echo entry
MAINTAINER someone
`
	ctx := writeContext(t, map[string]string{"Dockerfile": df})
	polyarch(t, runOpts{}, root, "build", "--platform", "linux/ppc64le", "--build-arg", "REG="+reg, "-t", "e2e/config:1", ctx).mustOK(t)
	r := polyarch(t, runOpts{}, root, "inspect", "e2e/config:1").mustOK(t)
	for _, want := range []string{`"A=1"`, `"B=two words"`, `"C=1-x"`, `"org.b": "two words"`, `"53/udp"`, `"8001/tcp"`, `"/data"`, `"/logs"`,
		`"User": "1000:1000"`, `"WorkingDir": "/w"`, `"StopSignal": "SIGTERM"`, `"Retries": 2`, `"/bin/sh",`, `"-ec",`, `"echo entry"`,
		`"author": "someone"`, `"architecture": "ppc64le"`} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("config lacks %s", want)
		}
	}
	if t.Failed() {
		t.Log(r.stdout)
	}
}

func TestBuildCacheAndReproducible(t *testing.T) {
	reg := registry(t)
	root := storeFlag(t)
	ctx := writeContext(t, map[string]string{"Dockerfile": "ARG REG\nFROM $REG/library/busybox\nARG V=1\nRUN echo $V > /v && date +%s%N > /t\n"})
	build := func(extra ...string) result {
		args := append([]string{root, "build", "--platform", "linux/arm64", "--build-arg", "REG=" + reg}, extra...)
		return polyarch(t, runOpts{}, append(args, ctx)...).mustOK(t)
	}
	build()
	second := build()
	if !strings.Contains(second.stderr, "CACHED") {
		t.Fatalf("second build not cached:\n%s", second.stderr)
	}
	if third := build("--build-arg", "V=2"); strings.Contains(third.stderr, "CACHED") {
		t.Fatalf("a changed build arg must miss the cache:\n%s", third.stderr)
	}
	if other := polyarch(t, runOpts{}, root, "build", "--platform", "linux/s390x", "--build-arg", "REG="+reg, ctx).mustOK(t); strings.Contains(other.stderr, "CACHED") {
		t.Fatalf("another platform must miss the cache:\n%s", other.stderr)
	}
	if nc := build("--no-cache"); strings.Contains(nc.stderr, "CACHED") {
		t.Fatalf("--no-cache used the cache")
	}
	// SOURCE_DATE_EPOCH: two uncached builds give the same digest
	ctx2 := writeContext(t, map[string]string{"Dockerfile": "ARG REG\nFROM $REG/library/busybox\nRUN echo stable > /s && mkdir /d\n"})
	var digests []string
	for i := 0; i < 2; i++ {
		r := polyarch(t, runOpts{}, storeFlag(t), "build", "--platform", "linux/arm64,linux/arm/v7", "--build-arg", "REG="+reg,
			"--build-arg", "SOURCE_DATE_EPOCH=1700000000", ctx2).mustOK(t)
		digests = append(digests, strings.TrimSpace(r.stdout))
	}
	if digests[0] != digests[1] {
		t.Fatalf("SOURCE_DATE_EPOCH builds differ: %v", digests)
	}
}

func TestBuildOutputs(t *testing.T) {
	reg := registry(t)
	root := storeFlag(t)
	ctx := writeContext(t, map[string]string{"Dockerfile": "ARG REG\nFROM $REG/library/busybox\nRUN echo out > /out.txt\n"})
	dir := t.TempDir()
	polyarch(t, runOpts{}, root, "build", "--platform", "linux/arm64,linux/s390x", "--build-arg", "REG="+reg,
		"-o", "type=oci,dest="+filepath.Join(dir, "img.tar"), "-o", "type=local,dest="+filepath.Join(dir, "fs"), ctx).mustOK(t)
	if st, err := os.Stat(filepath.Join(dir, "img.tar")); err != nil || st.Size() == 0 {
		t.Fatalf("oci tar: %v", err)
	}
	for _, p := range []string{"linux_arm64", "linux_s390x"} {
		if b, err := os.ReadFile(filepath.Join(dir, "fs", p, "out.txt")); err != nil || string(b) != "out\n" {
			t.Errorf("%s: %q %v", p, b, err)
		}
	}
}

func TestBuildKeepGoingAndRunTimeout(t *testing.T) {
	reg := registry(t)
	root := storeFlag(t)
	ctx := writeContext(t, map[string]string{"Dockerfile": "ARG REG\nFROM $REG/library/busybox\nRUN [ \"$(uname -m)\" != s390x ] || exit 3\nRUN echo ok > /ok\n"})
	r := polyarch(t, runOpts{}, root, "build", "--keep-going", "--platform", "linux/arm64,linux/s390x", "--build-arg", "REG="+reg, "-t", "e2e/kg:1", ctx)
	r.mustFail(t, "1 of 2 platforms failed", "linux/s390x    FAILED: Dockerfile:3", "linux/arm64    ok", "nothing was tagged")
	polyarch(t, runOpts{}, root, "inspect", "e2e/kg:1").mustFail(t)
	polyarch(t, runOpts{}, root, "build", "--keep-going", "--push-partial", "--platform", "linux/arm64,linux/s390x", "--build-arg", "REG="+reg, "-t", "e2e/kg:1", ctx).mustOK(t)
	if r := polyarch(t, runOpts{}, root, "images").mustOK(t); !strings.Contains(r.stdout, "e2e/kg:1") {
		t.Fatalf("partial result not tagged:\n%s", r.stdout)
	}

	hang := writeContext(t, map[string]string{"Dockerfile": "ARG REG\nFROM $REG/library/busybox\nRUN echo start; sleep 600\n"})
	r = polyarch(t, runOpts{}, root, "build", "--run-timeout", "2s", "--platform", "linux/arm64", "--build-arg", "REG="+reg, hang)
	r.mustFail(t, "--run-timeout 2s", "Dockerfile:3")
}

func TestBuildRunMounts(t *testing.T) {
	df := `ARG REG
FROM $REG/library/busybox AS tools
RUN mkdir -p /opt/tool && echo tool-from-stage > /opt/tool/t.txt
FROM $REG/library/busybox
RUN --mount=type=bind,from=tools,source=/opt/tool,target=/mnt/tool cat /mnt/tool/t.txt > /copied
RUN --mount=type=bind,from=tools,target=/mnt/all cat /mnt/all/opt/tool/t.txt >> /copied
RUN --mount=type=bind,source=ctx.txt,target=/ctx.txt cat /ctx.txt >> /copied
RUN --mount=type=cache,target=/var/cache/x echo hi >> /var/cache/x/log && wc -l < /var/cache/x/log > /cachecount
RUN --mount=type=tmpfs,target=/scratch touch /scratch/x
RUN --mount=type=secret,id=token wc -c < /run/secrets/token > /secretlen
`
	dir := t.TempDir()
	secret := filepath.Join(dir, "token")
	os.WriteFile(secret, []byte("s3cr3t-value"), 0o600)
	got := buildAndRun(t, "linux/arm64", df, map[string]string{"ctx.txt": "from-context\n"},
		"cat /copied /cachecount /secretlen; ls /mnt /scratch /var/cache /run/secrets 2>&1 | wc -l",
		"--secret", "id=token,src="+secret)
	want := "tool-from-stage\ntool-from-stage\nfrom-context\n1\n12\n4\n"
	if got != want {
		t.Fatalf("got %q want %q", got, want)
	}
}

// TestBuildSecretsLeaveNoTrace: a secret's value is in no layer, config,
// cache record or progress line.
func TestBuildSecretsLeaveNoTrace(t *testing.T) {
	reg := registry(t)
	root := storeFlag(t)
	value := "polyarch-secret-4f1d9c"
	dir := t.TempDir()
	secret := filepath.Join(dir, "token")
	os.WriteFile(secret, []byte(value), 0o600)
	ctx := writeContext(t, map[string]string{"Dockerfile": "ARG REG\nFROM $REG/library/busybox\n" +
		"RUN --mount=type=secret,id=token,required=true cat /run/secrets/token | wc -c > /len && ls /run/secrets\n"})
	out, fsDir := filepath.Join(dir, "oci"), filepath.Join(dir, "fs")
	r := polyarch(t, runOpts{}, root, "build", "--progress", "plain", "--platform", "linux/arm64",
		"--build-arg", "REG="+reg, "--secret", "id=token,src="+secret, "-o", "type=oci,tar=false,dest="+out,
		"-o", "type=local,dest="+fsDir, ctx).mustOK(t)
	if strings.Contains(r.stderr+r.stdout, value) {
		t.Fatal("the secret value appeared in the build output")
	}
	storeDir := strings.TrimPrefix(root, "--root=")
	if b, err := os.ReadFile(filepath.Join(fsDir, "len")); err != nil || strings.TrimSpace(string(b)) != "22" {
		t.Fatalf("the RUN did not see the secret: %q %v", b, err)
	}
	for _, d := range []string{out, storeDir, fsDir} {
		filepath.Walk(d, func(p string, info os.FileInfo, err error) error {
			if err != nil || !info.Mode().IsRegular() {
				return nil
			}
			b, _ := os.ReadFile(p)
			if strings.Contains(string(b), value) {
				t.Errorf("secret value found in %s", p)
			}
			return nil
		})
	}
	polyarch(t, runOpts{}, root, "build", "--platform", "linux/arm64", "--build-arg", "REG="+reg, ctx).mustFail(t, "secret token is required")
}

func TestBuildSSHAndSecretEnv(t *testing.T) {
	dir := t.TempDir()
	os.Chmod(dir, 0o755)
	sock := filepath.Join(dir, "agent.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	secret := filepath.Join(dir, "tok")
	os.WriteFile(secret, []byte("abc"), 0o600)
	df := "ARG REG\nFROM $REG/library/busybox\n" +
		"RUN --mount=type=ssh test -S \"$SSH_AUTH_SOCK\" && echo \"$SSH_AUTH_SOCK\" > /ssh\n" +
		"RUN --mount=type=secret,id=tok,env=TOKEN echo \"${#TOKEN}\" > /toklen\n"
	got := buildAndRun(t, "linux/arm64", df, nil, "cat /ssh /toklen; ls /run/buildkit 2>&1 | wc -l",
		"--ssh", "default="+sock, "--secret", "id=tok,src="+secret)
	if got != "/run/buildkit/ssh_agent.0\n3\n1\n" {
		t.Fatalf("got %q", got)
	}
}

// TestBuildCopySnapshotterMatchesOverlay: where overlayfs is unavailable,
// the copy snapshotter's full-walk diff gives the same filesystem.
func TestBuildCopySnapshotterMatchesOverlay(t *testing.T) {
	reg := registry(t)
	df := `ARG REG
FROM $REG/library/busybox
RUN mkdir -p /d/sub /keep && echo f > /d/sub/f && echo y > /file && ln -s /file /link && chmod 4755 /bin/busybox
RUN rm /file && rm -r /d/sub && chmod 700 /d && echo z > /d/new && rm -rf /keep && echo now-file > /keep && chown 1000:1000 /d/new
`
	ctx := writeContext(t, map[string]string{"Dockerfile": df})
	trees := map[string]string{}
	for _, snap := range []string{"overlay", "copy"} {
		dest := filepath.Join(t.TempDir(), snap)
		polyarch(t, runOpts{}, storeFlag(t), "build", "--snapshotter", snap, "--platform", "linux/arm64", "--build-arg", "REG="+reg,
			"-o", "type=local,dest="+dest, ctx).mustOK(t)
		trees[snap] = describeTree(t, dest)
	}
	if trees["overlay"] != trees["copy"] {
		t.Fatalf("snapshotters differ:\noverlay:\n%s\ncopy:\n%s", trees["overlay"], trees["copy"])
	}
}

// describeTree lists every path with type, mode, owner, size and link.
func describeTree(t *testing.T, root string) string {
	var sb strings.Builder
	filepath.Walk(root, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		st := info.Sys().(*syscall.Stat_t)
		link := ""
		if info.Mode()&os.ModeSymlink != 0 {
			link, _ = os.Readlink(p)
		}
		size := info.Size()
		if info.IsDir() {
			size = 0
		}
		fmt.Fprintf(&sb, "%s %v %d:%d %d %s\n", rel, info.Mode(), st.Uid, st.Gid, size, link)
		return nil
	})
	return sb.String()
}

func TestBuildAnnotations(t *testing.T) {
	reg := registry(t)
	ctx := writeContext(t, map[string]string{"Dockerfile": "ARG REG\nFROM $REG/library/busybox\n"})
	ref := reg + "/e2e/annotated:1"
	polyarch(t, runOpts{}, storeFlag(t), "build", "--platform", "linux/arm64,linux/s390x", "--build-arg", "REG="+reg, "-t", ref, "--push",
		"--annotation", "org.opencontainers.image.title=demo", "--annotation", "manifest[linux/s390x]:only=s390x",
		"--annotation", "index:org.opencontainers.image.description=multi", "--annotation", "manifest-descriptor:desc=yes", ctx).mustOK(t)
	idx := rawManifest(t, ref)
	if !strings.Contains(idx, `"org.opencontainers.image.description":"multi"`) || strings.Count(idx, `"desc":"yes"`) != 2 {
		t.Fatalf("index annotations missing:\n%s", idx)
	}
	var index struct{ Manifests []struct{ Digest string } }
	json.Unmarshal([]byte(idx), &index)
	arm, s390 := rawManifest(t, reg+"/e2e/annotated@"+index.Manifests[0].Digest), rawManifest(t, reg+"/e2e/annotated@"+index.Manifests[1].Digest)
	if !strings.Contains(arm, `"org.opencontainers.image.title":"demo"`) || strings.Contains(arm, `"only"`) || !strings.Contains(s390, `"only":"s390x"`) {
		t.Fatalf("manifest annotations wrong:\n%s\n%s", arm, s390)
	}
	polyarch(t, runOpts{}, storeFlag(t), "build", "--build-arg", "REG="+reg, "--annotation", "bogus:k=v", ctx).mustFail(t, "use manifest, index or manifest-descriptor")
}
