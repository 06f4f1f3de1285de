package sandbox

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/polyarch/polyarch/binfmt"
	"github.com/polyarch/polyarch/internal/testenv"
	"github.com/polyarch/polyarch/platform"
)

// TestMain lets the test binary act as the sandbox child, as cmd/polyarch
// does.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == InitArg {
		os.Exit(Init(os.Stderr, map[string]func([]string) error{"touch": func(a []string) error {
			return os.WriteFile(a[0], nil, 0o644)
		}}))
	}
	os.Exit(m.Run())
}

// hostRoot is a minimal rootfs made of the host's /bin, /lib… read-only
// binds, so the tests need no image.
func hostRoot(t *testing.T) Spec {
	t.Helper()
	root := filepath.Join(t.TempDir(), "root")
	os.MkdirAll(root, 0o755)
	var mounts []Mount
	for _, d := range []string{"/bin", "/lib", "/lib64", "/usr"} {
		if st, err := os.Lstat(d); err == nil && st.IsDir() {
			mounts = append(mounts, Mount{Source: d, Target: d, ReadOnly: true})
		} else if err == nil && st.Mode()&os.ModeSymlink != 0 {
			target, _ := os.Readlink(d)
			os.Symlink(target, filepath.Join(root, d))
		}
	}
	return Spec{Root: root, Mounts: mounts, Env: []string{"PATH=/usr/bin:/bin"}}
}

func run(t *testing.T, spec Spec, args ...string) (int, string, string) {
	t.Helper()
	spec.Args = args
	var out, errb bytes.Buffer
	code, err := Run(context.Background(), "/proc/self/exe", spec, Stdio{Out: &out, Err: &errb})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return code, out.String(), errb.String()
}

func TestExitCodesAndNamespaces(t *testing.T) {
	spec := hostRoot(t)
	tests := []struct {
		name   string
		script string
		code   int
		out    string
	}{
		{"exit code", "exit 42", 42, ""},
		{"signal", "kill -9 $$", 128 + 9, ""},
		{"own pid ns", "n=$(ls /proc | grep -c '^[0-9]'); [ $n -lt 30 ] && echo 1", 0, "1\n"},
		{"hostname", "cat /proc/sys/kernel/hostname", 0, "polyarch\n"},
		{"no new privs", "grep NoNewPrivs /proc/self/status | tr -d ' \\t'", 0, "NoNewPrivs:1\n"},
		{"root cannot see host /tmp", "ls /tmp/" + filepath.Base(os.TempDir()) + " 2>/dev/null; test ! -e /etc/hostname", 0, ""},
		{"mount refused", "mkdir -p /tmp/m 2>/dev/null; mount -t tmpfs none /tmp 2>/dev/null", 32, ""},
		{"no sys_admin", "grep CapEff /proc/self/status | cut -f2", 0, "00000000a80425fb\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := run(t, spec, "/bin/sh", "-c", tc.script)
			if code != tc.code && !(tc.name == "mount refused" && code != 0) {
				t.Fatalf("code %d, want %d (stderr %s)", code, tc.code, errs)
			}
			if tc.out != "" && out != tc.out {
				t.Fatalf("out %q, want %q", out, tc.out)
			}
		})
	}
}

func TestNetworkNone(t *testing.T) {
	spec := hostRoot(t)
	spec.Network = "none"
	_, out, errs := run(t, spec, "/bin/sh", "-c", "ls /sys/class/net")
	if strings.TrimSpace(out) != "lo" {
		t.Fatalf("interfaces %q (stderr %s)", out, errs)
	}
}

func TestCommandNotFound(t *testing.T) {
	code, _, errs := run(t, hostRoot(t), "no-such-command")
	if code != 127 || !strings.Contains(errs, "executable file not found") {
		t.Fatalf("code %d stderr %s", code, errs)
	}
}

func TestCancelStopsTheSandbox(t *testing.T) {
	spec := hostRoot(t)
	spec.Args = []string{"/bin/sh", "-c", "trap 'exit 3' TERM; while :; do sleep 0.1; done"}
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(300 * time.Millisecond); cancel() }()
	code, err := Run(ctx, "/proc/self/exe", spec, Stdio{}, WithGracePeriod(5*time.Second))
	if err != nil || code != 3 {
		t.Fatalf("code %d err %v: SIGTERM should reach the command", code, err)
	}
}

func TestProbePrivateAndNegative(t *testing.T) {
	testenv.RequireQEMU(t, "aarch64", "riscv64")
	h, _ := binfmt.ForPlatform(platform.MustParse("linux/arm64"))
	if err := Probe(context.Background(), "/proc/self/exe", h, "/usr/bin/qemu-aarch64-static", true); err != nil {
		t.Fatalf("private probe: %v", err)
	}
	// the riscv64 emulator registered for aarch64 binaries must not run them
	if err := Probe(context.Background(), "/proc/self/exe", h, "/usr/bin/qemu-riscv64-static", true); err == nil {
		t.Fatal("a wrong emulator passed the probe")
	}
}

func TestIDMapForRoot(t *testing.T) {
	if os.Getuid() != 0 {
		testenv.Skip(t, "needs root")
	}
	m, warn := DefaultIDMap()
	if warn != "" || m.External || len(m.UIDs) == 0 || m.UIDs[0].ContainerID != 0 || m.UIDs[0].HostID != 0 {
		t.Fatalf("root map %+v %q", m, warn)
	}
	var a syscall.SysProcAttr
	m.apply(&a)
	if len(a.UidMappings) == 0 {
		t.Fatal("maps not applied")
	}
}

func TestRunFunc(t *testing.T) {
	dir := t.TempDir()
	if err := RunFunc(context.Background(), "/proc/self/exe", "touch", filepath.Join(dir, "made")); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "made")); err != nil {
		t.Fatal(err)
	}
	if err := RunFunc(context.Background(), "/proc/self/exe", "nope"); err == nil || !strings.Contains(err.Error(), "no function") {
		t.Fatalf("err = %v", err)
	}
}
