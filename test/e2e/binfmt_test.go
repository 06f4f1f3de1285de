package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/polyarch/polyarch/internal/testenv"
)

var acceptanceArches = "arm64,arm,ppc64le,s390x,riscv64"

func TestVersion(t *testing.T) {
	r := polyarch(t, runOpts{}, "version").mustOK(t)
	for _, want := range []string{"polyarch ", "go       go1.", "qemu     "} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("version output lacks %q:\n%s", want, r.stdout)
		}
	}
}

// TestPrivateProbeLeavesHostUntouched is the rootless promise: emulation in
// a private binfmt_misc instance, as root and as an unprivileged user.
func TestPrivateProbeLeavesHostUntouched(t *testing.T) {
	testenv.RequireQEMU(t, "aarch64", "arm", "ppc64le", "s390x", "riscv64")
	before := hostBinfmt(t)
	users := map[string]int{"root": 0, "nobody": 65534}
	for name, uid := range users {
		t.Run(name, func(t *testing.T) {
			if os.Geteuid() != 0 {
				if uid != 0 {
					testenv.Skip(t, "running as another user needs root")
				}
				uid = 0 // run as ourselves
			}
			r := polyarch(t, runOpts{uid: uid}, "binfmt", "test", "--private", "--arch", acceptanceArches).mustOK(t)
			for _, p := range []string{"linux/arm64", "linux/arm/v7", "linux/ppc64le", "linux/s390x", "linux/riscv64"} {
				if !strings.Contains(r.stdout, p+" ") || strings.Contains(r.stdout, "FAIL") {
					t.Errorf("%s not ok:\n%s", p, r.stdout)
				}
			}
		})
	}
	if after := hostBinfmt(t); after != before {
		t.Fatalf("host binfmt_misc changed:\nbefore:\n%s\nafter:\n%s", before, after)
	}
}

// TestPrivateProbeNeedsTheRightEmulator proves the probe can fail: an
// emulator of another CPU does not run the program.
func TestPrivateProbeNeedsTheRightEmulator(t *testing.T) {
	testenv.RequireQEMU(t, "aarch64", "riscv64")
	dir := t.TempDir()
	os.Chmod(dir, 0o755)
	// qemu-aarch64-static renamed as the riscv64 emulator: registration works, running must not.
	data, err := os.ReadFile("/usr/bin/qemu-riscv64-static")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "qemu-aarch64-static"), data, 0o755); err != nil {
		t.Fatal(err)
	}
	r := polyarch(t, runOpts{}, "binfmt", "test", "--private", "--arch", "arm64", "--qemu-dir", dir)
	r.mustFail(t, "1 of 1 arches failed")
	if !strings.Contains(r.stdout, "FAIL") {
		t.Fatalf("no FAIL line:\n%s", r.stdout)
	}
}

// inPrivateInstance runs a shell script as root of a new user+mount
// namespace in which a fresh binfmt_misc is mounted at $M, so host-wide verbs
// can be tested without touching the host. $P is polyarch.
func inPrivateInstance(t *testing.T, script string) result {
	t.Helper()
	mnt := t.TempDir()
	full := fmt.Sprintf("set -e; M=%s; P=%s; mount -t binfmt_misc binfmt_misc $M; %s", mnt, bin, script)
	cmd := []string{"unshare", "--user", "--map-root-user", "--mount", "sh", "-c", full}
	return runRaw(t, cmd)
}

// debianEntries registers what Debian's qemu-user-static and a JRE register.
const debianEntries = `printf ':qemu-aarch64:M::\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\xb7\x00:\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff:/usr/libexec/qemu-binfmt/aarch64-binfmt-P:P' > $M/register
printf ':jar:E::jar::/usr/bin/jexec:' > $M/register
`

func TestInstallStatusUninstallRestoresEntries(t *testing.T) {
	testenv.RequireQEMU(t, "aarch64", "arm")
	script := debianEntries + `
snap() { for f in $M/*; do [ "$(basename $f)" = register ] || { echo "== $(basename $f)"; cat $f; }; done; }
snap > $M.before
$P binfmt install --arch all --mount $M
$P binfmt install --arch all --mount $M   # idempotent
echo ==STATUS==
$P binfmt status --json --mount $M
echo ==STATUS==
$P binfmt uninstall --arch all --mount $M
snap > $M.after
cmp $M.before $M.after && echo RESTORED
`
	r := inPrivateInstance(t, script).mustOK(t)
	if !strings.Contains(r.stdout, "RESTORED") {
		t.Fatalf("entries not restored:\n%s\n%s", r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout, "polyarch-aarch64       already installed") {
		t.Errorf("second install was not idempotent:\n%s", r.stdout)
	}
	var rep struct {
		Arches []struct {
			Platform  string `json:"platform"`
			HostEntry *struct {
				Name, Flags string
			} `json:"host_entry"`
			Shadowed []string `json:"shadowed"`
			Probe    string   `json:"probe"`
			Warnings []string `json:"warnings"`
		} `json:"arches"`
		Entries []struct{ Name, Extension string } `json:"entries"`
	}
	if err := json.Unmarshal([]byte(strings.Split(r.stdout, "==STATUS==")[1]), &rep); err != nil {
		t.Fatalf("status --json: %v\n%s", err, r.stdout)
	}
	for _, a := range rep.Arches {
		if a.Platform != "linux/arm64" {
			continue
		}
		if a.HostEntry == nil || a.HostEntry.Name != "polyarch-aarch64" || a.HostEntry.Flags != "PF" {
			t.Errorf("arm64 entry = %+v, want polyarch-aarch64 PF", a.HostEntry)
		}
		if len(a.Shadowed) != 1 || a.Shadowed[0] != "qemu-aarch64" {
			t.Errorf("shadowed = %v, want [qemu-aarch64]", a.Shadowed)
		}
		if a.Probe != "ok" {
			t.Errorf("probe = %s", a.Probe)
		}
	}
	var names []string
	for _, e := range rep.Entries {
		names = append(names, e.Name)
	}
	if !strings.Contains(strings.Join(names, " "), "jar") {
		t.Errorf("entries %v lack jar", names)
	}
}

func TestStatusWarnsAboutEntriesWithoutF(t *testing.T) {
	testenv.RequireQEMU(t, "aarch64")
	r := inPrivateInstance(t, debianEntries+"$P binfmt status --mount $M").mustOK(t)
	if !strings.Contains(r.stdout, "no F flag") {
		t.Fatalf("no warning about missing F:\n%s", r.stdout)
	}
}

func TestErrors(t *testing.T) {
	notMounted := t.TempDir()
	tests := []struct {
		name string
		o    runOpts
		args []string
		want []string
	}{
		{"unknown arch", runOpts{}, []string{"binfmt", "test", "--arch", "arm46"}, []string{`unknown platform "arm46": did you mean "arm64"?`}},
		{"native arch", runOpts{}, []string{"binfmt", "install", "--arch", "amd64"}, []string{"runs natively"}},
		{"no emulator", runOpts{env: []string{"PATH=/nonexistent", "POLYARCH_QEMU_LIBEXEC=/nonexistent"}},
			[]string{"binfmt", "test", "--private", "--arch", "riscv64"}, nil},
		{"not mounted", runOpts{}, []string{"binfmt", "install", "--arch", "arm64", "--mount", notMounted}, []string{"not mounted; run: polyarch binfmt mount"}},
		{"private and host", runOpts{}, []string{"binfmt", "test", "--private", "--host"}, []string{"exclude each other"}},
	}
	if os.Geteuid() == 0 {
		tests = append(tests, struct {
			name string
			o    runOpts
			args []string
			want []string
		}{"unprivileged install", runOpts{uid: 65534}, []string{"binfmt", "install", "--arch", "arm64"}, []string{"needs root", "--private"}})
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := polyarch(t, tc.o, tc.args...)
			r.mustFail(t, tc.want...)
			if tc.name == "no emulator" && !strings.Contains(r.stdout, "apt-get install qemu-user-static") {
				t.Errorf("no package hint:\n%s", r.stdout)
			}
		})
	}
}
