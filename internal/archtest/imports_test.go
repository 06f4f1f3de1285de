package archtest

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/polyarch/polyarch/internal/testenv"
)

const module = "github.com/polyarch/polyarch/"

// allowed lists, per package, the in-module packages it may import.
// Imports flow downward only; a package missing here may not exist.
var allowed = map[string][]string{
	"platform":          {},
	"binfmt":            {"platform"},
	"store":             {"platform"},
	"image":             {"platform", "store"},
	"rootfs":            {},
	"sandbox":           {"platform", "binfmt"},
	"container":         {"platform", "binfmt", "store", "rootfs", "sandbox"},
	"build/dockerfile":  {"platform"},
	"build":             {"platform", "build/dockerfile", "build/fileop", "image", "store", "rootfs", "sandbox", "binfmt", "container"},
	"build/fileop":      {"platform", "rootfs", "build/dockerfile"},
	"publish":           {"platform", "store", "image", "rootfs"},
	"ciconfig":          {"platform", "build", "publish"},
	"bake":              {"platform", "build", "build/dockerfile", "publish", "image", "store"},
	"hub":               {"platform", "ciconfig"},
	"internal/cli":      {"*"},
	"cmd/polyarch":      {"internal/cli", "sandbox"},
	"internal/testenv":  {},
	"bench/unpack":      {"rootfs"},
	"internal/archtest": {"internal/testenv"},
}

func TestImportRules(t *testing.T) {
	cmd := exec.Command("go", "list", "-f", `{{.ImportPath}} {{join .Imports " "}}`, "./...")
	cmd.Dir = testenv.ModuleRoot(t)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg := strings.TrimPrefix(fields[0], module)
		if strings.HasPrefix(pkg, "test/") {
			continue // end-to-end tests may use anything
		}
		rules, ok := allowed[pkg]
		if !ok {
			t.Errorf("package %s is not in the layering table (add it here and to DESIGN.md §2)", pkg)
			continue
		}
		for _, imp := range fields[1:] {
			dep, inModule := strings.CutPrefix(imp, module)
			if inModule && !permitted(rules, dep) {
				t.Errorf("%s imports %s; allowed: %v", pkg, dep, rules)
			}
		}
	}
}

func permitted(rules []string, dep string) bool {
	for _, r := range rules {
		if r == "*" || r == dep {
			return true
		}
	}
	return false
}

// privileged matches calls that change namespaces or mounts.
var privileged = regexp.MustCompile(`\b(unix|syscall)\.(Mount|Unmount|Unshare|Setns|PivotRoot|Chroot)\(|CLONE_NEW[A-Z]+`)

// TestOnlySandboxMakesNamespacesAndMounts keeps the dangerous calls in one
// place; binfmt may mount binfmt_misc filesystems only.
func TestOnlySandboxMakesNamespacesAndMounts(t *testing.T) {
	root := testenv.ModuleRoot(t)
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		dir := filepath.ToSlash(filepath.Dir(rel))
		if dir == "sandbox" || strings.HasPrefix(dir, "test/") || dir == "internal/testenv" {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range privileged.FindAllString(string(b), -1) {
			if dir == "binfmt" && m == "unix.Mount(" {
				continue
			}
			t.Errorf("%s calls %s: only package sandbox may", rel, m)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
