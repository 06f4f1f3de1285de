package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/polyarch/polyarch/internal/testenv"
)

// registry returns the fixture registry (test/fixtures/registry.sh).
func registry(t *testing.T) string {
	t.Helper()
	r := os.Getenv("POLYARCH_TEST_REGISTRY")
	if r == "" {
		testenv.Skip(t, "POLYARCH_TEST_REGISTRY is not set: start the fixtures with scripts/test.sh")
	}
	return r
}

// storeFlag gives each test its own store, readable by other users.
func storeFlag(t *testing.T) string {
	dir := filepath.Join(t.TempDir(), "store")
	os.MkdirAll(dir, 0o755)
	os.Chmod(filepath.Dir(dir), 0o755)
	return "--root=" + dir
}

func TestRunEveryArch(t *testing.T) {
	reg := registry(t)
	root := storeFlag(t)
	cases := map[string]string{"linux/arm64": "aarch64", "linux/arm/v7": "armv7l", "linux/ppc64le": "ppc64le", "linux/s390x": "s390x", "linux/amd64": "x86_64"}
	for plat, want := range cases {
		t.Run(plat, func(t *testing.T) {
			r := polyarch(t, runOpts{}, root, "run", "--platform", plat, reg+"/library/busybox", "uname", "-m").mustOK(t)
			if strings.TrimSpace(r.stdout) != want {
				t.Fatalf("uname -m = %q, want %q (stderr %s)", r.stdout, want, r.stderr)
			}
		})
	}
}

func TestRunExitCodeAndConfig(t *testing.T) {
	reg := registry(t)
	root := storeFlag(t)
	img := reg + "/library/busybox"
	r := polyarch(t, runOpts{}, root, "run", "--platform", "arm64", img, "sh", "-c", "exit 42")
	if r.code != 42 {
		t.Fatalf("exit code %d, want 42; stderr %s", r.code, r.stderr)
	}
	r = polyarch(t, runOpts{}, root, "run", "--platform", "arm64", "-e", "FOO=bar", "-w", "/tmp/x", "-u", "nobody", img,
		"sh", "-c", `echo "$FOO $(pwd) $(id -u) $(hostname)"; ls /proc/1/exe >/dev/null; cat /proc/1/cmdline | tr '\0' ' '`).mustOK(t)
	if !strings.HasPrefix(r.stdout, "bar /tmp/x 65534 polyarch") {
		t.Fatalf("got %q", r.stdout)
	}
	// the container's changes are discarded: a second run does not see them
	polyarch(t, runOpts{}, root, "run", "--platform", "arm64", img, "touch", "/marker").mustOK(t)
	polyarch(t, runOpts{}, root, "run", "--platform", "arm64", img, "test", "!", "-e", "/marker").mustOK(t)
}

func TestRunIsolation(t *testing.T) {
	reg := registry(t)
	root := storeFlag(t)
	img := reg + "/library/busybox"
	hostFile := filepath.Join(t.TempDir(), "secret")
	os.WriteFile(hostFile, []byte("host"), 0o600)
	escapes := map[string]string{
		"host file":       "cat " + hostFile,
		"proc 1 root":     "cat /proc/1/root" + hostFile,
		"mount":           "mount -t tmpfs none /tmp",
		"mknod":           "mknod /tmp/sda b 8 0",
		"kill host pid 1": "kill -0 " + "1 && test $(cat /proc/1/cmdline | tr -d '\\0') != init && exit 1; kill -9 99999",
		"host devices":    "test -e /dev/sda || test -e /dev/vda || test -e /dev/kmsg",
	}
	for name, script := range escapes {
		t.Run(name, func(t *testing.T) {
			r := polyarch(t, runOpts{}, root, "run", "--platform", "arm64", img, "sh", "-c", script)
			if r.code == 0 {
				t.Fatalf("escape %q succeeded: %s", script, r.stdout)
			}
		})
	}
	r := polyarch(t, runOpts{}, root, "run", "--network", "none", img, "sh", "-c", "ip link 2>/dev/null | grep -c '^[0-9]' || ls /sys/class/net | wc -l").mustOK(t)
	if strings.TrimSpace(r.stdout) != "1" {
		t.Fatalf("--network none shows %q interfaces, want only lo", r.stdout)
	}
	if out, _ := exec.Command("sh", "-c", "grep -c polyarch /proc/mounts").Output(); strings.TrimSpace(string(out)) != "0" {
		t.Fatalf("mounts left behind on the host: %s", out)
	}
}

func TestRunVolumes(t *testing.T) {
	reg := registry(t)
	root := storeFlag(t)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "in"), []byte("hello"), 0o644)
	polyarch(t, runOpts{}, root, "run", "-v", dir+":/data", "--platform", "arm64", reg+"/library/busybox", "sh", "-c", "cat /data/in > /data/out").mustOK(t)
	if b, _ := os.ReadFile(filepath.Join(dir, "out")); string(b) != "hello" {
		t.Fatalf("volume write: %q", b)
	}
	r := polyarch(t, runOpts{}, root, "run", "-v", dir+":/data:ro", reg+"/library/busybox", "touch", "/data/x")
	if r.code == 0 {
		t.Fatal("write to a read-only volume succeeded")
	}
}

// TestRunInteractiveTTY drives an interactive shell in tmux, as a person would.
func TestRunInteractiveTTY(t *testing.T) {
	reg := registry(t)
	if _, err := exec.LookPath("tmux"); err != nil {
		testenv.Skip(t, "tmux not installed")
	}
	root := storeFlag(t)
	polyarch(t, runOpts{}, root, "pull", "--platform", "arm64", reg+"/library/busybox").mustOK(t)
	sess := "polyarch-e2e-" + filepath.Base(t.TempDir())
	tm := func(args ...string) string {
		out, _ := exec.Command("tmux", args...).CombinedOutput()
		return string(out)
	}
	tm("new-session", "-d", "-s", sess, "-x", "100", "-y", "30", bin+" "+root+" run -it --platform arm64 "+reg+"/library/busybox sh")
	defer tm("kill-session", "-t", sess)
	screen := waitScreen(t, tm, sess, "#")
	tm("send-keys", "-t", sess, "uname -m; stty size", "Enter")
	screen = waitScreen(t, tm, sess, "aarch64")
	if !strings.Contains(screen, "30 100") {
		t.Fatalf("terminal size or tty missing:\n%s", screen)
	}
	tm("send-keys", "-t", sess, "exit 3", "Enter")
}

func waitScreen(t *testing.T, tm func(...string) string, sess, want string) string {
	t.Helper()
	var screen string
	for i := 0; i < 300; i++ { // bounded by count: no wall-clock limit on the test itself
		screen = tm("capture-pane", "-p", "-t", sess)
		if strings.Contains(screen, want) {
			return screen
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("screen never showed %q:\n%s", want, screen)
	return ""
}
