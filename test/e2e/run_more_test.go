package e2e

import (
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/polyarch/polyarch/internal/testenv"
)

// rootlessUser is the unprivileged account with subordinate id ranges that
// scripts/test.sh creates (useradd adds /etc/subuid ranges on Debian).
const rootlessUser = "polyarch-rootless"

func TestRunRootless(t *testing.T) {
	reg := registry(t)
	testenv.RequireRoot(t)
	u, err := user.Lookup(rootlessUser)
	if err != nil {
		testenv.Skip(t, "user %s missing (scripts/test.sh creates it): %v", rootlessUser, err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	before := hostBinfmt(t)
	env := []string{"HOME=" + u.HomeDir, "XDG_DATA_HOME=", "XDG_CONFIG_HOME=", "USER=" + rootlessUser}
	for plat, want := range map[string]string{"arm64": "aarch64", "arm/v7": "armv7l", "ppc64le": "ppc64le", "s390x": "s390x"} {
		r := polyarch(t, runOpts{uid: uid, env: env}, "run", "--platform", plat, reg+"/library/busybox", "uname", "-m").mustOK(t)
		if strings.TrimSpace(r.stdout) != want {
			t.Errorf("%s: uname -m = %q", plat, r.stdout)
		}
	}
	// subordinate ids are mapped: chown to another id works, and the files
	// it creates as that id are cleaned up afterwards
	r := polyarch(t, runOpts{uid: uid, env: env}, "run", "--platform", "arm64", reg+"/library/busybox", "sh", "-c",
		"mkdir -p /d/e && touch /d/e/f && chown -R 1000:1000 /d && chmod 500 /d/e && stat -c %u /d/e/f; exit 42")
	if r.code != 42 || strings.TrimSpace(r.stdout) != "1000" {
		t.Fatalf("exit %d, stdout %q, stderr %s", r.code, r.stdout, r.stderr)
	}
	// an image's non-root owners survive a rootless unpack (done inside the
	// user namespace), and prune can delete what the subordinate ids own
	ctx := writeContext(t, map[string]string{"Dockerfile": "ARG REG\nFROM $REG/library/busybox\nRUN mkdir /data && touch /data/f && chown -R 1000:1000 /data && chmod 700 /data\n"})
	owned := reg + "/e2e/owned:1"
	polyarch(t, runOpts{}, storeFlag(t), "build", "--platform", "linux/arm64", "--build-arg", "REG="+reg, "-t", owned, "--push", ctx).mustOK(t)
	r = polyarch(t, runOpts{uid: uid, env: env}, "run", "--platform", "arm64", owned, "stat", "-c", "%u:%g %a", "/data", "/data/f").mustOK(t)
	if r.stdout != "1000:1000 700\n1000:1000 644\n" {
		t.Errorf("rootless ownership: %q", r.stdout)
	}
	polyarch(t, runOpts{uid: uid, env: env}, "rmi", owned).mustOK(t)
	polyarch(t, runOpts{uid: uid, env: env}, "prune").mustOK(t)
	left, _ := filepath.Glob(filepath.Join(u.HomeDir, ".local/share/polyarch/containers/*"))
	if len(left) != 0 {
		t.Errorf("container dirs left behind: %v", left)
	}
	if after := hostBinfmt(t); after != before {
		t.Fatalf("host binfmt_misc changed")
	}
}

func TestRunDebianAptInstall(t *testing.T) {
	reg := registry(t)
	r := polyarch(t, runOpts{}, storeFlag(t), "run", "--platform", "linux/arm64", reg+"/library/debian:bookworm", "sh", "-c",
		"apt-get update -q >/dev/null && apt-get install -y -q hello >/dev/null 2>&1; hello && uname -m").mustOK(t)
	if r.stdout != "Hello, world!\naarch64\n" {
		t.Fatalf("got %q\n%s", r.stdout, r.stderr)
	}
}

func TestRunKeep(t *testing.T) {
	reg := registry(t)
	keep := filepath.Join(t.TempDir(), "changes")
	polyarch(t, runOpts{}, storeFlag(t), "run", "--keep", keep, "--platform", "arm64", reg+"/library/busybox", "sh", "-c", "echo hi > /new; rm /bin/ls").mustOK(t)
	if b, _ := os.ReadFile(filepath.Join(keep, "new")); string(b) != "hi\n" {
		t.Fatalf("kept upper lacks /new: %q", b)
	}
	if st, err := os.Lstat(filepath.Join(keep, "bin", "ls")); err != nil || st.Mode()&os.ModeCharDevice == 0 {
		t.Fatalf("deleting /bin/ls should leave a whiteout in the kept dir: %v", err)
	}
}

func TestStoreVerbs(t *testing.T) {
	reg := registry(t)
	root := storeFlag(t)
	img := reg + "/library/busybox"
	polyarch(t, runOpts{}, root, "pull", "--platform", "arm64", img).mustOK(t)
	polyarch(t, runOpts{}, root, "pull", "--platform", "s390x", img).mustOK(t)
	r := polyarch(t, runOpts{}, root, "images").mustOK(t)
	if !strings.Contains(r.stdout, img+":latest") || !strings.Contains(r.stdout, "linux/arm64") || !strings.Contains(r.stdout, "linux/s390x") {
		t.Fatalf("images:\n%s", r.stdout)
	}
	polyarch(t, runOpts{}, root, "tag", img, "example.com/mine:1").mustOK(t)
	r = polyarch(t, runOpts{}, root, "inspect", "example.com/mine:1").mustOK(t)
	if !strings.Contains(r.stdout, `"index"`) {
		t.Fatalf("inspect:\n%s", r.stdout)
	}
	// the pulled image runs offline, from the store
	r = polyarch(t, runOpts{}, root, "run", "--platform", "s390x", "example.com/mine:1", "uname", "-m").mustOK(t)
	if strings.TrimSpace(r.stdout) != "s390x" {
		t.Fatalf("got %q", r.stdout)
	}
	polyarch(t, runOpts{}, root, "rmi", "example.com/mine:1", img).mustOK(t)
	r = polyarch(t, runOpts{}, root, "prune").mustOK(t)
	if !strings.Contains(r.stdout, "bytes freed") || strings.Contains(r.stdout, " 0 bytes freed") {
		t.Fatalf("prune freed nothing: %s", r.stdout)
	}
	polyarch(t, runOpts{}, root, "inspect", img).mustFail(t, "not found")
}

func TestErrorsForImages(t *testing.T) {
	reg := registry(t)
	root := storeFlag(t)
	polyarch(t, runOpts{}, root, "run", "--platform", "riscv64", reg+"/library/busybox", "true").mustFail(t, "has no linux/riscv64", "linux/arm64")
	polyarch(t, runOpts{}, root, "run", "--platform", "arm46", reg+"/library/busybox", "true").mustFail(t, `did you mean "arm64"`)
	polyarch(t, runOpts{}, root, "run", reg+"/library/nothere", "true").mustFail(t, "nothere")
	polyarch(t, runOpts{}, root, "run", "--network", "bridge", reg+"/library/busybox", "true").mustFail(t, "host or none")
}

// TestKilledPolyarchLeavesNothing kills polyarch with SIGKILL mid-run: the
// sandbox dies with it, no mount or process stays, the next run works and
// prune removes the leftover container dir.
func TestKilledPolyarchLeavesNothing(t *testing.T) {
	reg := registry(t)
	root := storeFlag(t)
	img := reg + "/library/busybox"
	polyarch(t, runOpts{}, root, "pull", "--platform", "arm64", img).mustOK(t)
	cmd := exec.Command(bin, root, "run", "--platform", "arm64", img, "sh", "-c", "echo started; sleep 1000")
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 8)
	if _, err := out.Read(buf); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	_ = cmd.Wait()
	for i := 0; i < 100; i++ { // the kernel tears the PID namespace down asynchronously
		if o, _ := exec.Command("pgrep", "-f", "sleep 1000").Output(); len(o) == 0 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if o, _ := exec.Command("pgrep", "-f", "sleep 1000").Output(); len(o) != 0 {
		t.Fatalf("sandboxed process survived: %s", o)
	}
	dir := strings.TrimPrefix(root, "--root=")
	if m, _ := os.ReadFile("/proc/self/mounts"); strings.Contains(string(m), dir) {
		t.Fatal("a mount of the killed sandbox is still visible on the host")
	}
	polyarch(t, runOpts{}, root, "run", "--platform", "arm64", img, "true").mustOK(t)
	r := polyarch(t, runOpts{}, root, "prune").mustOK(t)
	if !strings.Contains(r.stdout, "1 dead containers") {
		t.Fatalf("prune: %s", r.stdout)
	}
}

// TestKilledPullLeavesStoreConsistent kills polyarch with SIGKILL while it
// pulls the 48 MB debian image: nothing half-written is trusted, the next
// pull succeeds and prune reclaims the leftovers.
func TestKilledPullLeavesStoreConsistent(t *testing.T) {
	reg := registry(t)
	root := storeFlag(t)
	dir := strings.TrimPrefix(root, "--root=")
	killed := false
	for attempt := 0; attempt < 5 && !killed; attempt++ {
		cmd := exec.Command(bin, root, "pull", "--platform", "linux/arm64", reg+"/library/debian:bookworm")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 2000; i++ { // until a temp file shows the download under way
			if m, _ := filepath.Glob(filepath.Join(dir, "tmp", "*")); len(m) > 0 {
				_ = cmd.Process.Signal(syscall.SIGKILL)
				killed = true
				break
			}
			time.Sleep(time.Millisecond)
		}
		_ = cmd.Wait()
		if !killed {
			polyarch(t, runOpts{}, root, "rmi", reg+"/library/debian:bookworm").mustOK(t)
			polyarch(t, runOpts{}, root, "prune").mustOK(t)
		}
	}
	if !killed {
		t.Fatal("never caught the pull in the middle")
	}
	polyarch(t, runOpts{}, root, "images").mustOK(t)
	polyarch(t, runOpts{}, root, "pull", "--platform", "linux/arm64", reg+"/library/debian:bookworm").mustOK(t)
	r := polyarch(t, runOpts{}, root, "run", "--platform", "linux/arm64", reg+"/library/debian:bookworm", "dpkg", "--print-architecture").mustOK(t)
	if strings.TrimSpace(r.stdout) != "arm64" {
		t.Fatalf("got %q", r.stdout)
	}
	polyarch(t, runOpts{}, root, "prune").mustOK(t)
	if m, _ := filepath.Glob(filepath.Join(dir, "tmp", "*")); len(m) != 0 {
		t.Fatalf("prune left temp files: %v", m)
	}
}
