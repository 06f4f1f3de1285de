package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/polyarch/polyarch/internal/testenv"
)

// The fixture repository testdata/bake holds three images in the three
// legacy layouts: tools (per-arch folders with Docker Hub hooks, legacy
// FROM lines rewritten), base (Dockerfile.<arch> files in three spellings)
// and app (a cpp template whose #error refuses s390x, built FROM base).

// bakeEnv is the environment of a bake of the fixture: its base images
// come from the test registry; its own images go to a namespace of their own.
func bakeEnv(reg, ns string) runOpts {
	return runOpts{env: []string{"REGISTRY=" + reg, "NS=" + ns, "SOURCE_DATE_EPOCH=1700000000"}}
}

// uniqueNS is a registry namespace no earlier run used.
func uniqueNS(prefix string) string {
	return fmt.Sprintf("%s%d", prefix, time.Now().UnixNano())
}

func requireCpp(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("cpp"); err != nil {
		testenv.Skip(t, "cpp is missing: scripts/install-deps.sh installs it (Debian package cpp)")
	}
}

// bakeSummary reads the table bake prints last: "target platform" → result.
func bakeSummary(t *testing.T, stderr string) map[string]string {
	t.Helper()
	i := strings.LastIndex(stderr, "TARGET  ")
	if i < 0 {
		t.Fatalf("no summary table:\n%s", stderr)
	}
	rows := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(stderr[i:]), "\n")[1:] {
		f := strings.Fields(line)
		if strings.HasPrefix(line, "polyarch: ") {
			break // the error after the table
		}
		if len(f) >= 3 {
			rows[f[0]+" "+f[1]] = strings.Join(f[2:], " ")
		}
	}
	return rows
}

// inspected is `manifest inspect --json` of an index or an image.
type inspected struct {
	Digest   string
	Platform string
	Manifest struct {
		Manifests []struct {
			Digest   string
			Platform struct{ OS, Architecture, Variant string }
		}
	}
}

func inspect(t *testing.T, ref string) inspected {
	t.Helper()
	r := polyarch(t, runOpts{}, storeFlag(t), "manifest", "inspect", "--json", ref).mustOK(t)
	var got inspected
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatalf("%s: %v\n%s", ref, err, r.stdout)
	}
	return got
}

// platforms lists an index's entries: platform → digest, and their order.
func (i inspected) platforms() (map[string]string, []string) {
	byPlat := map[string]string{}
	var order []string
	for _, m := range i.Manifest.Manifests {
		p := m.Platform.OS + "/" + m.Platform.Architecture
		if m.Platform.Variant != "" {
			p += "/" + m.Platform.Variant
		}
		byPlat[p] = m.Digest
		order = append(order, p)
	}
	return byPlat, order
}

// TestBakeLegacyRepository is issue 7's acceptance: one `polyarch bake
// --push` turns the fixture repository into multi-arch indexes plus the
// per-arch tags its users pull, each platform running its own binary.
func TestBakeLegacyRepository(t *testing.T) {
	reg := registry(t)
	requireCpp(t)
	ns := uniqueNS("bake")
	file := filepath.Join("testdata", "bake", "polyarch.yaml")
	r := polyarch(t, bakeEnv(reg, ns), storeFlag(t), "bake", "--push", "-f", file).mustOK(t)
	rows := bakeSummary(t, r.stderr)
	three := []string{"linux/amd64", "linux/arm64", "linux/arm/v7"}
	for _, target := range []string{"tools", "base", "app"} {
		for _, p := range three {
			if rows[target+" "+p] != "ok" {
				t.Errorf("%s %s: %q", target, p, rows[target+" "+p])
			}
		}
	}
	if got := rows["app linux/s390x"]; got != `skipped (unsupported: #error "s390x: the base image has no s390x build")` {
		t.Errorf("app s390x: %q\n%s", got, r.stderr)
	}
	for _, target := range []string{"tools", "base", "app"} {
		if !strings.Contains(r.stdout, target+" sha256:") {
			t.Errorf("stdout lacks %s's digest:\n%s", target, r.stdout)
		}
	}
	repo := reg + "/" + ns
	indexes := map[string]map[string]string{}
	for _, img := range []string{"tools", "base", "app"} {
		byPlat, order := inspect(t, repo+"/"+img+":latest").platforms()
		if !slices.Equal(order, three) {
			t.Errorf("%s: index platforms %v, want %v", img, order, three)
		}
		indexes[img] = byPlat
	}
	// The per-arch tags point at the index's platform manifests.
	for tag, plat := range map[string]string{
		"tools:amd64": "linux/amd64", "tools:arm64v8": "linux/arm64", "tools:arm32v7": "linux/arm/v7",
		"tools:arm64v8-20231114": "linux/arm64", "tools:arm32v7-20231114": "linux/arm/v7",
		"base:amd64": "linux/amd64", "base:arm64": "linux/arm64", "base:armhf": "linux/arm/v7",
	} {
		got := inspect(t, repo+"/"+tag)
		img, _, _ := strings.Cut(tag, ":")
		if got.Platform != plat || got.Digest != indexes[img][plat] {
			t.Errorf("%s: %s %s, want %s %s", tag, got.Platform, got.Digest, plat, indexes[img][plat])
		}
	}
	// Every platform runs from the registry, in a fresh store.
	fresh := storeFlag(t)
	for plat, want := range map[string]string{"linux/amd64": "x86_64", "linux/arm64": "aarch64", "linux/arm/v7": "armv7l"} {
		out := polyarch(t, runOpts{}, fresh, "run", "--platform", plat, repo+"/app:latest").mustOK(t).stdout
		arch := map[string]string{"linux/amd64": "amd64", "linux/arm64": "arm64v8", "linux/arm/v7": "arm32v7"}[plat]
		file := map[string]string{"linux/amd64": "amd64", "linux/arm64": "aarch64", "linux/arm/v7": "armhf"}[plat]
		wantOut := fmt.Sprintf("app %s on %s\nbase from Dockerfile.%s on %s\nmotd v1\n", arch, want, file, want)
		if out != wantOut {
			t.Errorf("app on %s: %q, want %q", plat, out, wantOut)
		}
		tools := polyarch(t, runOpts{}, fresh, "run", "--platform", plat, repo+"/tools:latest").mustOK(t).stdout
		if tools != fmt.Sprintf("tools for %s on %s\n", arch, want) {
			t.Errorf("tools on %s: %q", plat, tools)
		}
	}
	if out := polyarch(t, runOpts{}, fresh, "run", repo+"/tools:arm32v7-20231114").mustOK(t).stdout; out != "tools for arm32v7 on armv7l\n" {
		t.Errorf("tools:arm32v7-20231114: %q", out)
	}
}

// TestBakeDependentFromLocalStore: without --push, app is built FROM base's
// result in the local store, per platform: base's tag exists nowhere else.
func TestBakeDependentFromLocalStore(t *testing.T) {
	reg := registry(t)
	requireCpp(t)
	ns := uniqueNS("bakelocal")
	root := storeFlag(t)
	file := filepath.Join("testdata", "bake", "polyarch.yaml")
	r := polyarch(t, bakeEnv(reg, ns), root, "bake", "-f", file, "--set", "*.platform=linux/amd64,linux/arm64", "app", "base").mustOK(t)
	if strings.Contains(r.stderr, "pushed") {
		t.Errorf("something was pushed:\n%s", r.stderr)
	}
	if strings.Index(r.stdout, "base sha256:") > strings.Index(r.stdout, "app sha256:") {
		t.Errorf("app finished before base:\n%s", r.stdout)
	}
	if res := polyarch(t, runOpts{}, storeFlag(t), "manifest", "inspect", reg+"/"+ns+"/base:latest"); res.code == 0 {
		t.Fatalf("base is in the registry: the test proves nothing")
	}
	out := polyarch(t, runOpts{}, root, "run", "--platform", "linux/arm64", reg+"/"+ns+"/app:latest").mustOK(t).stdout
	if out != "app arm64v8 on aarch64\nbase from Dockerfile.aarch64 on aarch64\nmotd v1\n" {
		t.Errorf("app: %q", out)
	}
	rows := bakeSummary(t, r.stderr)
	if len(rows) != 4 || rows["app linux/amd64"] != "ok" || rows["base linux/arm64"] != "ok" {
		t.Errorf("rows %v", rows)
	}
}

// TestBakeChangedSince: after a change to base, --changed-since builds only
// base and app (built from it), not tools.
func TestBakeChangedSince(t *testing.T) {
	reg := registry(t)
	requireCpp(t)
	repo := t.TempDir()
	if err := os.CopyFS(repo, os.DirFS(filepath.Join("testdata", "bake"))); err != nil {
		t.Fatal(err)
	}
	git := func(args ...string) {
		t.Helper()
		if r := runRaw(t, append([]string{"git", "-C", repo, "-c", "user.name=t", "-c", "user.email=t@example.org"}, args...)); r.code != 0 {
			t.Fatalf("git %v: %s", args, r.stderr)
		}
	}
	git("init", "-q")
	git("add", "-A")
	git("commit", "-qm", "legacy repository")
	if err := os.WriteFile(filepath.Join(repo, "base", "motd"), []byte("motd v2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ns := uniqueNS("bakechanged")
	o := bakeEnv(reg, ns)
	file := filepath.Join(repo, "polyarch.yaml")
	plan := polyarch(t, o, storeFlag(t), "bake", "-f", file, "--changed-since", "HEAD", "--print").mustOK(t)
	var printed struct{ Order []string }
	if err := json.Unmarshal([]byte(plan.stdout), &printed); err != nil || !slices.Equal(printed.Order, []string{"base", "app"}) {
		t.Fatalf("--print order %v (%v)\n%s", printed.Order, err, plan.stdout)
	}
	root := storeFlag(t)
	r := polyarch(t, o, root, "bake", "-f", file, "--changed-since", "HEAD", "--set", "*.platform=linux/arm64,linux/arm/v7").mustOK(t)
	rows := bakeSummary(t, r.stderr)
	want := map[string]string{"base linux/arm64": "ok", "base linux/arm/v7": "ok", "app linux/arm64": "ok", "app linux/arm/v7": "ok"}
	if fmt.Sprint(rows) != fmt.Sprint(want) {
		t.Errorf("built %v, want %v", rows, want)
	}
	out := polyarch(t, runOpts{}, root, "run", "--platform", "linux/arm/v7", reg+"/"+ns+"/app:latest").mustOK(t).stdout
	if out != "app arm32v7 on armv7l\nbase from Dockerfile.armhf on armv7l\nmotd v2\n" {
		t.Errorf("app: %q", out)
	}
	git("commit", "-qam", "motd v2")
	r = polyarch(t, o, root, "bake", "-f", file, "--changed-since", "HEAD").mustOK(t)
	if !strings.Contains(r.stderr, "nothing to build: no target changed since HEAD") {
		t.Errorf("clean tree: %s", r.stderr)
	}
}

// TestBakeKeepGoing: a failing target fails the run; with --keep-going the
// independent targets still build and the dependents of the failure are
// skipped, each reported in the table.
func TestBakeKeepGoing(t *testing.T) {
	reg := registry(t)
	ns := uniqueNS("bakefail")
	dir := writeContext(t, map[string]string{
		"polyarch.yaml": `variables:
  REGISTRY: {default: "localhost:5000"}
  NS: {default: "x"}
targets:
  good: {context: good, platforms: [linux/arm64]}
  bad: {context: bad, platforms: [linux/arm64, linux/amd64], tags: ["${REGISTRY}/${NS}/bad"], args: {REG: "${REGISTRY}"}}
  after-bad: {context: after, platforms: [linux/arm64], args: {BASE: "${REGISTRY}/${NS}/bad"}}
`,
		"good/Dockerfile":  "FROM scratch\nCOPY Dockerfile /\n",
		"bad/Dockerfile":   "ARG REG\nFROM $REG/library/busybox\nRUN [ \"$(uname -m)\" = x86_64 ] || exit 3\n",
		"after/Dockerfile": "ARG BASE\nFROM $BASE\n",
	})
	file := filepath.Join(dir, "polyarch.yaml")
	r := polyarch(t, bakeEnv(reg, ns), storeFlag(t), "bake", "-f", file, "--keep-going")
	r.mustFail(t, "polyarch: bad linux/arm64:", "2 of 3 targets did not build: bad, after-bad")
	rows := bakeSummary(t, r.stderr)
	if rows["good linux/arm64"] != "ok" || rows["bad linux/amd64"] != "built, not tagged (another platform failed)" || !strings.HasPrefix(rows["bad linux/arm64"], "failed: ") ||
		rows["after-bad linux/arm64"] != "skipped (bad failed)" {
		t.Errorf("rows %v", rows)
	}
	if strings.Contains(r.stdout, "bad sha256:") {
		t.Errorf("a failed target was tagged:\n%s", r.stdout)
	}
}

// TestBakeStopsAtFirstFailure: without --keep-going, nothing starts after
// a failure and the run says so per target × platform.
func TestBakeStopsAtFirstFailure(t *testing.T) {
	reg := registry(t)
	dir := writeContext(t, map[string]string{
		"polyarch.yaml": `targets:
  bad: {context: bad, platforms: [linux/arm64], tags: [e2e/bad]}
  after-bad: {context: after, platforms: [linux/arm64], depends-on: [bad]}
`,
		"bad/Dockerfile":   "FROM " + reg + "/library/busybox\nRUN exit 5\n",
		"after/Dockerfile": "FROM scratch\nCOPY Dockerfile /\n",
	})
	r := polyarch(t, runOpts{}, storeFlag(t), "bake", "-f", filepath.Join(dir, "polyarch.yaml"))
	r.mustFail(t, "exit code 5")
	rows := bakeSummary(t, r.stderr)
	if !strings.HasPrefix(rows["bad linux/arm64"], "failed: ") || rows["after-bad linux/arm64"] != "not built (another target failed)" {
		t.Errorf("rows %v", rows)
	}
}
