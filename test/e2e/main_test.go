package e2e

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/polyarch/polyarch/internal/testenv"
)

// bin is the polyarch binary under test, built once by TestMain.
var bin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "polyarch-e2e-")
	if err != nil {
		panic(err)
	}
	bin = testenv.BuildPolyarch(&mainTB{}, dir)
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// result is what one polyarch invocation did.
type result struct {
	stdout, stderr string
	code           int
}

// runOpts change how polyarch is started.
type runOpts struct {
	uid  int // run as this uid/gid when non-zero (needs root)
	env  []string
	wrap []string // run under this command (e.g. unshare …)
}

func polyarch(t *testing.T, o runOpts, args ...string) result {
	t.Helper()
	argv := append(append(append([]string{}, o.wrap...), bin), args...)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), o.env...)
	if o.uid != 0 {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(o.uid), Gid: uint32(o.uid)}}
		cmd.Dir = "/"
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errb.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("running %v: %v", argv, err)
	}
	return r
}

func (r result) mustOK(t *testing.T) result {
	t.Helper()
	if r.code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	return r
}

func (r result) mustFail(t *testing.T, wantInStderr ...string) {
	t.Helper()
	if r.code == 0 {
		t.Fatalf("succeeded, want failure\nstdout:\n%s", r.stdout)
	}
	for _, w := range wantInStderr {
		if !strings.Contains(r.stderr, w) {
			t.Errorf("stderr lacks %q:\n%s", w, r.stderr)
		}
	}
}

// hostBinfmt snapshots the host's binfmt_misc: every entry and its text.
func hostBinfmt(t *testing.T) string {
	t.Helper()
	var sb strings.Builder
	files, _ := filepath.Glob("/proc/sys/fs/binfmt_misc/*")
	for _, f := range files {
		b, _ := os.ReadFile(f)
		sb.WriteString("== " + f + "\n" + string(b))
	}
	return sb.String()
}

// mainTB lets TestMain use helpers written for tests.
type mainTB struct{ testing.TB }

func (mainTB) Helper()                        {}
func (mainTB) Fatal(a ...any)                 { panic(fmt.Sprint(a...)) }
func (mainTB) Fatalf(format string, a ...any) { panic(fmt.Sprintf(format, a...)) }

// runRaw runs argv and returns what it did.
func runRaw(t *testing.T, argv []string) result {
	t.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errb.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("running %v: %v", argv, err)
	}
	return r
}
