package e2e

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/polyarch/polyarch/internal/testenv"
)

// Differential tests: each Dockerfile below is built by polyarch and by
// Debian's buildah (1.28 on Debian 12), and the two images must have the same
// config (Env, Cmd, Entrypoint, WorkingDir, User, ExposedPorts, Volumes,
// Labels, os/architecture/variant) and the same flattened file tree (paths,
// types, modes, owners, symlink targets, hardlink groups, contents). mtimes
// are not compared.
//
// Every exception is listed here, with its reason:
//   - the label io.buildah.version, which buildah adds to every image it
//     commits (buildahLabels);
//   - /etc/hostname (an empty file) and /run (an empty directory), which
//     buildah creates in the rootfs as mount targets for its RUN containers
//     and then commits; ignored only in exactly that form and only when
//     polyarch's image lacks the path (buildahLeftovers);
//   - Dockerfile features buildah 1.28 lacks (heredocs) are given to buildah
//     as an equivalent Dockerfile without them (NAME.buildah.Dockerfile), so
//     polyarch's result is still compared;
//   - the order of Env: buildah moves a variable that ENV redefines to the
//     end, Docker and BuildKit keep it in place; the environment a process
//     gets is the same, so Env is compared as a set of NAME=VALUE (and
//     neither side may define a name twice);
//   - RUN --mount is not compared: buildah 1.28 gets it wrong here (a
//     tmpfs or bind mount gave an image whose layer whites out the whole
//     base; a bind mount without source made runc miss /bin/sh);
//   - where buildah 1.28 departs from BuildKit, whose semantics polyarch
//     follows, the Dockerfiles avoid the construct instead of asserting
//     buildah's result: CMD or ENTRYPOINT in shell form after SHELL (buildah
//     writes ["/bin/sh","-c",…], BuildKit uses the SHELL); EXPOSE of a port
//     range (buildah keeps "8000-8001/tcp" as one key, BuildKit exposes each
//     port); COPY --chmod creating Dest's missing parents (BuildKit gives
//     them the --chmod mode since fsutil#228, buildah 0755); COPY onto an
//     existing symlink to a file, or a dangling one (fsutil resolves Dest's
//     final symlink and writes through it, buildah replaces the symlink, or
//     for a dangling one makes a directory named like its target).
//
// buildah runs with --runtime runc (crun refuses this VM's cgroups),
// --network none, --isolation oci, --format docker (in OCI format buildah
// ignores SHELL for RUN), in its own vfs storage under t.TempDir(), and in a
// private mount namespace where /var/lib/containers is a tmpfs, so neither
// the host's containers/storage nor its blob-info cache is touched. Foreign
// platforms (linux/arm64) use the host's binfmt_misc registrations, as
// buildah has no other way to run foreign binaries; that half is skipped
// (a failure in CI) when the host has no usable aarch64 entry.

// diffCase is one Dockerfile, testdata/diff/NAME.Dockerfile, built by both
// tools. Where NAME.buildah.Dockerfile exists, buildah builds that instead:
// the same steps written without features buildah 1.28 lacks.
type diffCase struct {
	name      string
	files     map[string]string // context files (0644 unless setup changes them)
	setup     func(t *testing.T, ctx string)
	buildArgs []string // NAME=VALUE, given to both
}

// buildahLabels are added by buildah to every image it commits.
var buildahLabels = []string{"io.buildah.version"}

var diffCases = []diffCase{
	{name: "config_metadata"},
	{name: "shell_form_and_relative_workdir"},
	{name: "entrypoint_resets_inherited_cmd"},
	{name: "entrypoint_keeps_own_cmd"},
	{name: "run_modes_owners_links"},
	{name: "whiteouts_and_replacements"},
	{name: "workdir_user_nested"},
	// Without ENV HOME, a RUN's HOME is the user's home directory in the
	// image's /etc/passwd, "/" for a uid it lacks: runc sets it so, for
	// BuildKit and buildah alike.
	{name: "run_home_per_user"},
	{name: "multistage_copy_from"},
	{name: "copy_context", files: contextTree(), setup: contextModes},
	{name: "copy_chown_chmod", files: contextTree(), setup: contextModes},
	{name: "copy_into_existing", files: contextTree(), setup: contextModes},
	{name: "copy_onto_symlinks", files: contextTree(), setup: contextModes},
	{
		name: "dockerignore",
		files: map[string]string{
			".dockerignore": "*.log\n!keep.log\nbuild/\n**/tmp\nsecret*\n",
			"a.log":         "ignored\n", "keep.log": "kept\n", "build/out": "ignored\n", "src/main.c": "int main;\n",
			"src/tmp/x": "ignored\n", "secret.txt": "ignored\n", "src/secret.txt": "kept: not at the root\n",
		},
		setup: func(t *testing.T, ctx string) { os.Chmod(ctx, 0o755) },
	},
	{
		name:  "add_local_targz",
		files: map[string]string{"plain.txt": "plain\n"},
		setup: func(t *testing.T, ctx string) { writeTestTarGz(t, filepath.Join(ctx, "archive.tar.gz")) },
	},
	{name: "arg_env_expansion", files: map[string]string{"f.txt": "f\n"}, buildArgs: []string{"PORT=9090", "TOP=/given"}},
	{name: "shell_changed"},
	// buildah 1.28 has no heredocs (its parser takes the body lines for
	// instructions: "Unknown instruction: ECHO"): it builds
	// heredocs.buildah.Dockerfile, the same steps with printf.
	{name: "heredocs"},
	{name: "debian_users_and_whiteouts"},
}

// contextTree is a build context with nested files; contextModes sets their
// modes and adds what WriteFile cannot make.
func contextTree() map[string]string {
	return map[string]string{
		"app/run.sh":              "#!/bin/sh\necho run\n",
		"app/conf/secret":         "s3cret\n",
		"app/conf/public.txt":     "public\n",
		"app/deep/er/est/file":    "deep\n",
		"app/private/only-me":     "private\n",
		"notes.txt":               "notes\n",
		"readme.txt":              "readme\n",
		"sub/dir/not-matched.txt": "not matched by *.txt\n",
	}
}

func contextModes(t *testing.T, ctx string) {
	t.Helper()
	for p, m := range map[string]os.FileMode{
		".": 0o755, "app/run.sh": 0o755, "app/conf/secret": 0o600, "app/private": 0o700,
		"app/deep/er": 0o750, "readme.txt": 0o664,
	} {
		if err := os.Chmod(filepath.Join(ctx, p), m); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(ctx, "app/emptydir"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("conf/public.txt", filepath.Join(ctx, "app/link")); err != nil {
		t.Fatal(err)
	}
}

// writeTestTarGz writes an archive whose modes, owners and links ADD must
// keep when it extracts it. "implicit/a/b/file" has no entries for its
// parent directories.
func writeTestTarGz(t *testing.T, dest string) {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	mtime := time.Unix(1700000000, 0)
	add := func(h tar.Header, body string) {
		h.ModTime = mtime
		if h.Typeflag == tar.TypeReg {
			h.Size = int64(len(body))
		}
		if err := tw.WriteHeader(&h); err != nil {
			t.Fatal(err)
		}
		if body != "" {
			tw.Write([]byte(body))
		}
	}
	add(tar.Header{Name: "pkg/", Typeflag: tar.TypeDir, Mode: 0o755}, "")
	add(tar.Header{Name: "pkg/bin/", Typeflag: tar.TypeDir, Mode: 0o750, Uid: 1000, Gid: 1000}, "")
	add(tar.Header{Name: "pkg/bin/tool", Typeflag: tar.TypeReg, Mode: 0o4755}, "#!/bin/sh\necho tool\n")
	add(tar.Header{Name: "pkg/etc/", Typeflag: tar.TypeDir, Mode: 0o755}, "")
	add(tar.Header{Name: "pkg/etc/conf", Typeflag: tar.TypeReg, Mode: 0o640, Uid: 1000, Gid: 1000}, "conf=1\n")
	add(tar.Header{Name: "pkg/share/", Typeflag: tar.TypeDir, Mode: 0o2775, Gid: 1000}, "")
	add(tar.Header{Name: "pkg/sticky/", Typeflag: tar.TypeDir, Mode: 0o1777}, "")
	add(tar.Header{Name: "pkg/link-abs", Typeflag: tar.TypeSymlink, Linkname: "/pkg/etc/conf", Mode: 0o777}, "")
	add(tar.Header{Name: "pkg/link-rel", Typeflag: tar.TypeSymlink, Linkname: "etc/conf", Mode: 0o777}, "")
	// As GNU tar writes it: a hardlink's header repeats its file's mode and
	// owner. (Where they differ, extractors disagree: buildah applies both
	// to the inode, containerd only the owner.)
	add(tar.Header{Name: "pkg/hard", Typeflag: tar.TypeLink, Linkname: "pkg/etc/conf", Mode: 0o640, Uid: 1000, Gid: 1000}, "")
	add(tar.Header{Name: "pkg/empty", Typeflag: tar.TypeReg, Mode: 0o600, Uid: 65534, Gid: 65534}, "")
	add(tar.Header{Name: "implicit/a/b/file", Typeflag: tar.TypeReg, Mode: 0o644}, "implicit parents\n")
	if err := errors.Join(tw.Close(), gz.Close()); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dest, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestDiff(t *testing.T) {
	testenv.RequireRoot(t)
	reg := registry(t)
	bh := newBuildah(t)
	root := storeFlag(t)
	for _, plat := range []string{"linux/amd64", "linux/arm64"} {
		t.Run(strings.ReplaceAll(plat, "/", "_"), func(t *testing.T) {
			if plat != "linux/amd64" {
				if why := hostEmulatesAarch64(); why != "" && !installHostAarch64(t) {
					testenv.Skip(t, "buildah runs linux/arm64 RUN steps through the host's binfmt_misc: %s "+
						"(apt-get install qemu-user-static registers it)", why)
				}
			}
			for _, c := range diffCases {
				t.Run(c.name, func(t *testing.T) { runDiffCase(t, bh, root, reg, plat, c) })
			}
		})
	}
}

func runDiffCase(t *testing.T, bh *buildah, root, reg, plat string, c diffCase) {
	dockerfileText, err := os.ReadFile(filepath.Join("testdata", "diff", c.name+".Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{"Dockerfile": string(dockerfileText)}
	for p, s := range c.files {
		files[p] = s
	}
	ctx := writeContext(t, files)
	if c.setup != nil {
		c.setup(t, ctx)
	}
	args := []string{"--build-arg", "REG=" + reg}
	for _, a := range c.buildArgs {
		args = append(args, "--build-arg", a)
	}

	polyOut := filepath.Join(t.TempDir(), "oci")
	pargs := append([]string{root, "build", "--platform", plat}, args...)
	pargs = append(pargs, "-o", "type=oci,dest="+polyOut+",tar=false", ctx)
	polyarch(t, runOpts{}, pargs...).mustOK(t)

	dockerfile := filepath.Join(ctx, "Dockerfile")
	alt, _ := filepath.Abs(filepath.Join("testdata", "diff", c.name+".buildah.Dockerfile"))
	if _, err := os.Stat(alt); err == nil {
		dockerfile = alt // outside the context, so COPY . sees the same files
	}
	bhOut := bh.build(t, c.name, plat, dockerfile, ctx, args)

	want := readSingleImage(t, bhOut)
	got := readSingleImage(t, polyOut)
	diffs := append(compareConfigs(t, want, got), compareTrees(flattenImage(t, want), flattenImage(t, got))...)
	if len(diffs) > 0 {
		t.Errorf("polyarch's image differs from buildah's for %s (%d differences):\n  %s\ntestdata/diff/%s.Dockerfile:\n%s",
			plat, len(diffs), strings.Join(diffs, "\n  "), c.name, dockerfileText)
	}
}

// installHostAarch64 gives buildah (the peer, which needs host-wide
// registrations) an aarch64 emulator with polyarch's own host-wide install,
// removed again when the test ends, so the host is left as it was.
func installHostAarch64(t *testing.T) bool {
	mounted := polyarch(t, runOpts{}, "binfmt", "mount")
	if mounted.code != 0 {
		t.Logf("binfmt mount: %s", mounted.stderr)
		return false
	}
	r := polyarch(t, runOpts{}, "binfmt", "install", "--arch", "arm64")
	if r.code != 0 {
		t.Logf("binfmt install: %s", r.stderr)
		return false
	}
	t.Cleanup(func() { polyarch(t, runOpts{}, "binfmt", "uninstall", "--arch", "arm64") })
	return true
}

// hostEmulatesAarch64 returns "" when the host's binfmt_misc runs aarch64
// binaries for a process chrooted in a foreign rootfs (an enabled entry with
// QEMU's aarch64 magic and flag F, so the interpreter need not be inside the
// rootfs), else why not.
func hostEmulatesAarch64() string {
	const magic = "magic 7f454c460201010000000000000000000200b700"
	if b, err := os.ReadFile("/proc/sys/fs/binfmt_misc/status"); err != nil || strings.TrimSpace(string(b)) != "enabled" {
		return "binfmt_misc is not mounted or is disabled"
	}
	entries, _ := filepath.Glob("/proc/sys/fs/binfmt_misc/*")
	var usable, unusable []string
	for _, e := range entries {
		b, err := os.ReadFile(e)
		if err != nil || !strings.Contains(string(b), "\n"+magic+"\n") || !strings.HasPrefix(string(b), "enabled") {
			continue
		}
		flags := ""
		for _, l := range strings.Split(string(b), "\n") {
			if f, ok := strings.CutPrefix(l, "flags: "); ok {
				flags = f
			}
		}
		if strings.Contains(flags, "F") {
			usable = append(usable, filepath.Base(e))
		} else {
			unusable = append(unusable, filepath.Base(e))
		}
	}
	switch {
	case len(unusable) > 0: // the newest matching entry wins, and we cannot tell which
		return fmt.Sprintf("aarch64 entries without flag F: %v", unusable)
	case len(usable) == 0:
		return "no enabled aarch64 entry"
	}
	return ""
}

// buildah runs Debian's buildah with its own storage.
type buildah struct {
	dir    string // storage, runroot, policy, temp files
	global []string
	env    []string
}

func newBuildah(t *testing.T) *buildah {
	t.Helper()
	for _, tool := range []string{"buildah", "runc", "unshare"} {
		if _, err := exec.LookPath(tool); err != nil {
			testenv.Skip(t, "%s is not installed (scripts/install-deps.sh installs buildah and runc)", tool)
		}
	}
	dir := t.TempDir()
	b := &buildah{dir: dir}
	for _, d := range []string{"root", "runroot", "tmp"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	// A storage.conf of our own, so that the host's (say, overlay with a
	// mount_program) does not apply; vfs makes no mounts.
	conf := fmt.Sprintf("[storage]\ndriver = \"vfs\"\nrunroot = %q\ngraphroot = %q\n",
		filepath.Join(dir, "runroot"), filepath.Join(dir, "root"))
	for name, text := range map[string]string{"storage.conf": conf, "policy.json": `{"default":[{"type":"insecureAcceptAnything"}]}`} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	b.global = []string{"--root", filepath.Join(dir, "root"), "--runroot", filepath.Join(dir, "runroot"), "--storage-driver", "vfs"}
	b.env = []string{"CONTAINERS_STORAGE_CONF=" + filepath.Join(dir, "storage.conf"), "TMPDIR=" + filepath.Join(dir, "tmp")}
	t.Cleanup(func() {
		// Nothing should be left (vfs, and every command in a mount
		// namespace of its own), but leave no containers or images behind
		// even so, then check nothing is mounted under the storage.
		for _, args := range [][]string{{"unmount", "--all"}, {"rm", "--all"}, {"rmi", "--all", "--force"}} {
			if out, err := b.cmd(context.Background(), args...).CombinedOutput(); err != nil {
				t.Logf("buildah %v: %v\n%s", args, err, out)
			}
		}
		if mi, err := os.ReadFile("/proc/self/mountinfo"); err == nil && strings.Contains(string(mi), " "+dir) {
			t.Errorf("mounts left under %s:\n%s", dir, mi)
		}
	})
	return b
}

// cmd runs buildah in a private mount namespace whose /var/lib/containers
// is an empty tmpfs: containers/image writes its blob-info cache there as
// root whatever --root says.
func (b *buildah) cmd(ctx context.Context, args ...string) *exec.Cmd {
	script := `if [ -d /var/lib/containers ]; then mount -t tmpfs -o mode=0700,size=16m polyarch-difftest /var/lib/containers || exit 1; fi; exec "$@"`
	argv := append([]string{"--mount", "--propagation", "private", "--", "sh", "-c", script, "sh", "buildah"}, b.global...)
	cmd := exec.CommandContext(ctx, "unshare", append(argv, args...)...)
	cmd.Env = append(os.Environ(), b.env...)
	return cmd
}

func (b *buildah) run(t *testing.T, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	out, err := b.cmd(ctx, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("buildah %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// build builds with buildah and returns an OCI layout dir of the image.
func (b *buildah) build(t *testing.T, name, plat, dockerfile, ctx string, args []string) string {
	t.Helper()
	ref := "localhost/polyarch-diff/" + name + ":" + strings.ReplaceAll(plat, "/", "-")
	policy := "--signature-policy=" + filepath.Join(b.dir, "policy.json")
	bargs := []string{"build", policy, "--runtime", "runc", "--isolation", "oci", "--network", "none", "--format", "docker",
		"--tls-verify=false", "--platform", plat, "-f", dockerfile, "-t", ref}
	bargs = append(append(bargs, args...), ctx)
	b.run(t, bargs...)
	out := filepath.Join(t.TempDir(), "buildah-oci")
	b.run(t, "push", policy, ref, "oci:"+out)
	b.run(t, "rmi", "--force", ref)
	return out
}

// readSingleImage returns the only image of an OCI layout (descending
// through nested indexes with one entry).
func readSingleImage(t *testing.T, dir string) v1.Image {
	t.Helper()
	idx, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		t.Fatalf("reading OCI layout %s: %v", dir, err)
	}
	for {
		im, err := idx.IndexManifest()
		if err != nil {
			t.Fatal(err)
		}
		if len(im.Manifests) != 1 {
			t.Fatalf("%s: %d manifests, want one image", dir, len(im.Manifests))
		}
		d := im.Manifests[0]
		if d.MediaType.IsIndex() {
			if idx, err = idx.ImageIndex(d.Digest); err != nil {
				t.Fatal(err)
			}
			continue
		}
		img, err := idx.Image(d.Digest)
		if err != nil {
			t.Fatal(err)
		}
		return img
	}
}

// compareConfigs lists the differences in the compared config fields.
func compareConfigs(t *testing.T, want, got v1.Image) []string {
	t.Helper()
	wc, err := want.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	gc, err := got.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	wl := map[string]string{}
	for k, v := range wc.Config.Labels {
		if !slices.Contains(buildahLabels, k) {
			wl[k] = v
		}
	}
	var d []string
	field := func(name string, w, g any) {
		if ws, gs := fmt.Sprintf("%q", w), fmt.Sprintf("%q", g); ws != gs {
			d = append(d, fmt.Sprintf("config %s: buildah %s, polyarch %s", name, ws, gs))
		}
	}
	field("os", wc.OS, gc.OS)
	field("architecture", wc.Architecture, gc.Architecture)
	field("variant", wc.Variant, gc.Variant)
	field("Env", envSet(wc.Config.Env), envSet(gc.Config.Env))
	field("Cmd", nonNil(wc.Config.Cmd), nonNil(gc.Config.Cmd))
	field("Entrypoint", nonNil(wc.Config.Entrypoint), nonNil(gc.Config.Entrypoint))
	field("WorkingDir", wc.Config.WorkingDir, gc.Config.WorkingDir)
	field("User", wc.Config.User, gc.Config.User)
	field("ExposedPorts", sortedKeys(wc.Config.ExposedPorts), sortedKeys(gc.Config.ExposedPorts))
	field("Volumes", sortedKeys(wc.Config.Volumes), sortedKeys(gc.Config.Volumes))
	field("Labels", sortedPairs(wl), sortedPairs(gc.Config.Labels))
	return d
}

// envSet sorts NAME=VALUE pairs, and marks a name defined twice.
func envSet(env []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		if seen[name] {
			out = append(out, "DUPLICATE NAME "+name)
		}
		seen[name] = true
		out = append(out, kv)
	}
	sort.Strings(out)
	return nonNil(out)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func sortedKeys[V any](m map[string]V) []string {
	keys := []string{}
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func sortedPairs(m map[string]string) []string {
	var s []string
	for _, k := range sortedKeys(m) {
		s = append(s, k+"="+m[k])
	}
	return nonNil(s)
}

// fsEntry is what the comparison knows of one path of a flattened image.
type fsEntry struct {
	kind      string // file, dir, symlink, fifo, char, block, hardlink-to-missing
	mode      int64  // permission bits with setuid/setgid/sticky
	uid, gid  int
	link      string // symlink target
	size      int64
	sum       string // sha256 of a file's content
	preview   string // a short file's content, for the failure message
	dev       string // major:minor of devices
	hardlinks []string
}

func (e fsEntry) String() string {
	s := fmt.Sprintf("%s %04o %d:%d", e.kind, e.mode, e.uid, e.gid)
	switch e.kind {
	case "file":
		s += fmt.Sprintf(" %d bytes sha256:%.12s", e.size, e.sum)
		if e.preview != "" {
			s += fmt.Sprintf(" %q", e.preview)
		}
	case "symlink", "hardlink-to-missing":
		s += " -> " + e.link
	case "char", "block":
		s += " " + e.dev
	}
	if len(e.hardlinks) > 0 {
		s += fmt.Sprintf(" hardlinked with %v", e.hardlinks)
	}
	return s
}

func (e fsEntry) equal(o fsEntry) bool {
	return e.String() == o.String() && e.sum == o.sum
}

// flattenImage applies the image's layers (whiteouts included) and returns
// the resulting tree: path → entry.
func flattenImage(t *testing.T, img v1.Image) map[string]fsEntry {
	t.Helper()
	rc := mutate.Extract(img)
	defer rc.Close()
	tree := map[string]fsEntry{}
	links := map[string]string{} // hardlink path → target path
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("flattening image: %v", err)
		}
		p := cleanTarPath(h.Name)
		if p == "/" {
			continue
		}
		e := fsEntry{mode: h.Mode & 0o7777, uid: h.Uid, gid: h.Gid}
		switch h.Typeflag {
		case tar.TypeReg:
			hash := sha256.New()
			var head bytes.Buffer
			n, err := io.Copy(io.MultiWriter(hash, &limitedBuffer{&head, 65}), tr)
			if err != nil {
				t.Fatal(err)
			}
			e.kind, e.size, e.sum = "file", n, hex.EncodeToString(hash.Sum(nil))
			if n <= 64 && !bytes.ContainsRune(head.Bytes(), 0) {
				e.preview = head.String()
			}
		case tar.TypeDir:
			e.kind = "dir"
		case tar.TypeSymlink:
			e.kind, e.link = "symlink", h.Linkname
		case tar.TypeLink:
			links[p] = cleanTarPath(h.Linkname)
			continue
		case tar.TypeFifo:
			e.kind = "fifo"
		case tar.TypeChar, tar.TypeBlock:
			e.kind = map[byte]string{tar.TypeChar: "char", tar.TypeBlock: "block"}[h.Typeflag]
			e.dev = fmt.Sprintf("%d:%d", h.Devmajor, h.Devminor)
		default:
			e.kind = fmt.Sprintf("tar-type-%c", h.Typeflag)
		}
		tree[p] = e
	}
	// Which path of a hardlink group a tar stores as the file is the
	// writer's choice: compare groups instead.
	groups := map[string][]string{}
	for p, target := range links {
		for i := 0; i < 64; i++ { // chains of links, as some writers make
			next, ok := links[target]
			if !ok {
				break
			}
			target = next
		}
		e, ok := tree[target]
		if !ok {
			tree[p] = fsEntry{kind: "hardlink-to-missing", link: target}
			continue
		}
		tree[p] = e
		groups[target] = append(groups[target], p)
	}
	for target, members := range groups {
		members = append(members, target)
		sort.Strings(members)
		for _, m := range members {
			e := tree[m]
			e.hardlinks = slices.DeleteFunc(slices.Clone(members), func(s string) bool { return s == m })
			tree[m] = e
		}
	}
	return tree
}

// limitedBuffer keeps the first n bytes written to it.
type limitedBuffer struct {
	b *bytes.Buffer
	n int
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if room := l.n - l.b.Len(); room > 0 {
		l.b.Write(p[:min(room, len(p))])
	}
	return len(p), nil
}

func cleanTarPath(name string) string {
	return path.Clean("/" + name)
}

// buildahLeftovers: paths buildah 1.28 creates as mount targets for its RUN
// containers and commits, with the exact form they have then.
var buildahLeftovers = map[string]func(e fsEntry, tree map[string]fsEntry) bool{
	"/etc/hostname": func(e fsEntry, _ map[string]fsEntry) bool {
		return e.kind == "file" && e.size == 0 && e.uid == 0 && e.gid == 0
	},
	"/run": func(e fsEntry, tree map[string]fsEntry) bool {
		for p := range tree {
			if strings.HasPrefix(p, "/run/") {
				return false
			}
		}
		return e.kind == "dir" && e.uid == 0 && e.gid == 0
	},
}

// compareTrees lists every difference between buildah's tree (want) and
// polyarch's (got). A directory on one side only is reported once, with
// the number of entries under it.
func compareTrees(want, got map[string]fsEntry) []string {
	var d []string
	paths := map[string]bool{}
	for p := range want {
		paths[p] = true
	}
	for p := range got {
		paths[p] = true
	}
	// Under a directory present on one side only, entries on that same
	// side only are counted with it, not listed one by one.
	var onlyDir, onlySide string
	for _, p := range sortedKeys(paths) {
		w, inW := want[p]
		g, inG := got[p]
		side := map[bool]string{true: "buildah", false: "polyarch"}[inW]
		if onlyDir != "" && strings.HasPrefix(p, onlyDir+"/") && inW != inG && side == onlySide {
			continue
		}
		switch {
		case inW && inG:
			if !w.equal(g) {
				d = append(d, fmt.Sprintf("%s: buildah %s, polyarch %s", p, w, g))
			}
			continue
		case inW:
			if ok := buildahLeftovers[p]; ok != nil && ok(w, want) {
				continue
			}
			d = append(d, fmt.Sprintf("%s: only in buildah's image: %s%s", p, w, childCount(p, w, want)))
		default:
			d = append(d, fmt.Sprintf("%s: only in polyarch's image: %s%s", p, g, childCount(p, g, got)))
		}
		if e := map[bool]fsEntry{true: w, false: g}[inW]; e.kind == "dir" {
			onlyDir, onlySide = p, side
		}
	}
	return d
}

func childCount(dir string, e fsEntry, tree map[string]fsEntry) string {
	var under []string
	for p := range tree {
		if e.kind == "dir" && strings.HasPrefix(p, dir+"/") {
			under = append(under, p)
		}
	}
	sort.Strings(under)
	if len(under) > 8 {
		return fmt.Sprintf(" (with %d entries under it: %s …)", len(under), strings.Join(under[:8], " "))
	} else if len(under) > 0 {
		return fmt.Sprintf(" (with %v under it)", under)
	}
	return ""
}

// TestDiffComparison checks the comparison itself on made-up images, so a
// comparison that sees nothing cannot pass the differential tests above.
func TestDiffComparison(t *testing.T) {
	type ent struct {
		name, link, body string
		typ              byte
		mode             int64
		uid              int
	}
	image := func(layers ...[]ent) v1.Image {
		img := empty.Image
		for _, l := range layers {
			var buf bytes.Buffer
			tw := tar.NewWriter(&buf)
			for _, e := range l {
				tw.WriteHeader(&tar.Header{Name: e.name, Typeflag: e.typ, Linkname: e.link, Mode: e.mode, Uid: e.uid, Size: int64(len(e.body))})
				tw.Write([]byte(e.body))
			}
			tw.Close()
			layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(buf.Bytes())), nil })
			if err != nil {
				t.Fatal(err)
			}
			if img, err = mutate.AppendLayers(img, layer); err != nil {
				t.Fatal(err)
			}
		}
		return img
	}
	reg, dir := byte(tar.TypeReg), byte(tar.TypeDir)
	base := []ent{{name: "d/", typ: dir, mode: 0o755}, {name: "d/gone", typ: reg, mode: 0o644, body: "x"},
		{name: "d/f", typ: reg, mode: 0o644, body: "f"}, {name: "etc/", typ: dir, mode: 0o755}}
	want := flattenImage(t, image(base, []ent{
		{name: "d/.wh.gone", typ: reg}, {name: "d/h", typ: tar.TypeLink, link: "d/f"},
		{name: "s", typ: tar.TypeSymlink, link: "/d/f", mode: 0o777}, {name: "m", typ: reg, mode: 0o4755, uid: 1000, body: "m"},
		{name: "etc/hostname", typ: reg, mode: 0o755}, {name: "run/", typ: dir, mode: 0o755},
		{name: "only-w/", typ: dir, mode: 0o755}, {name: "only-w/a", typ: reg, mode: 0o644},
	}))
	if _, ok := want["/d/gone"]; ok {
		t.Errorf("whiteout not applied: %v", want)
	}
	if h := want["/d/h"]; h.sum != want["/d/f"].sum || fmt.Sprint(h.hardlinks) != "[/d/f]" {
		t.Errorf("hardlink: %v", h)
	}
	same := flattenImage(t, image(base, []ent{ // the same tree, other hardlink order, no leftovers
		{name: "d/.wh.gone", typ: reg}, {name: "d/h", typ: reg, mode: 0o644, body: "f"}, {name: "d/f", typ: tar.TypeLink, link: "d/h"},
		{name: "s", typ: tar.TypeSymlink, link: "/d/f", mode: 0o777}, {name: "m", typ: reg, mode: 0o4755, uid: 1000, body: "m"},
		{name: "only-w/", typ: dir, mode: 0o755}, {name: "only-w/a", typ: reg, mode: 0o644},
	}))
	if d := compareTrees(want, same); len(d) != 0 {
		t.Errorf("equal trees reported different: %q", d)
	}
	got := flattenImage(t, image(base, []ent{
		{name: "d/h", typ: reg, mode: 0o644, body: "f"}, // not a hardlink, and /d/gone is still there
		{name: "s", typ: tar.TypeSymlink, link: "d/f", mode: 0o777}, {name: "m", typ: reg, mode: 0o755, uid: 1000, body: "M"},
		{name: "etc/hostname", typ: reg, mode: 0o644, body: "polyarch"}, {name: "only-g/", typ: dir, mode: 0o755},
		{name: "only-g/x", typ: reg}, {name: "only-g/y", typ: reg},
	}))
	d := strings.Join(compareTrees(want, got), "\n")
	for _, w := range []string{"/d/f: buildah file 0644 0:0 1 bytes sha256:252f10c83610 \"f\" hardlinked with [/d/h], polyarch file 0644 0:0 1 bytes",
		"/d/gone: only in polyarch's image", "/s: buildah symlink 0777 0:0 -> /d/f, polyarch symlink 0777 0:0 -> d/f",
		"/m: buildah file 4755 1000:0", "/etc/hostname: buildah file 0755 0:0 0 bytes", "/only-w: only in buildah's image: dir 0755 0:0 (with [/only-w/a] under it)",
		"/only-g: only in polyarch's image: dir 0755 0:0 (with [/only-g/x /only-g/y] under it)"} {
		if !strings.Contains(d, w) {
			t.Errorf("differences lack %q:\n%s", w, d)
		}
	}
	for _, w := range []string{"/run", "/only-g/x", "/only-w/a"} {
		if strings.Contains(d, w+":") {
			t.Errorf("differences name %s:\n%s", w, d)
		}
	}

	cfg := func(c v1.Config) v1.Image {
		img, err := mutate.ConfigFile(empty.Image, &v1.ConfigFile{OS: "linux", Architecture: "arm64", Config: c})
		if err != nil {
			t.Fatal(err)
		}
		return img
	}
	w := cfg(v1.Config{Env: []string{"A=1", "PATH=/x"}, Labels: map[string]string{"io.buildah.version": "1.28.2", "l": "1"}, Cmd: []string{}})
	if d := compareConfigs(t, w, cfg(v1.Config{Env: []string{"PATH=/x", "A=1"}, Labels: map[string]string{"l": "1"}})); len(d) != 0 {
		t.Errorf("equal configs reported different: %q", d)
	}
	d = strings.Join(compareConfigs(t, w, cfg(v1.Config{Env: []string{"A=1", "PATH=/x", "A=2"}, Labels: map[string]string{"l": "2"},
		Cmd: []string{"sh"}, User: "1000", Volumes: map[string]struct{}{"/v": {}}})), "\n")
	for _, f := range []string{"config Env", "DUPLICATE NAME A", "config Labels", "config Cmd", "config User", "config Volumes"} {
		if !strings.Contains(d, f) {
			t.Errorf("config differences lack %q:\n%s", f, d)
		}
	}
}
