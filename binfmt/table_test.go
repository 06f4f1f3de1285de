package binfmt

import (
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/polyarch/polyarch/platform"
)

// goTargets are the GOARCH/GOARM combinations Go can build among the arches
// polyarch emulates, with the handler each must match.
var goTargets = []struct{ goarch, goarm, cpu string }{
	{"arm64", "", "aarch64"},
	{"arm", "5", "arm"},
	{"arm", "6", "arm"},
	{"arm", "7", "arm"},
	{"ppc64le", "", "ppc64le"},
	{"ppc64", "", "ppc64"},
	{"s390x", "", "s390x"},
	{"riscv64", "", "riscv64"},
	{"mips64le", "", "mips64el"},
	{"mips64", "", "mips64"},
	{"mipsle", "", "mipsel"},
	{"mips", "", "mips"},
	{"loong64", "", "loongarch64"},
	{"386", "", "i386"},
	{"amd64", "", "x86_64"},
}

// TestEveryGoBinaryMatchesExactlyOneHandler cross-compiles a tiny program
// for each GOARCH and checks the table sends it to exactly its emulator.
func TestEveryGoBinaryMatchesExactlyOneHandler(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go toolchain is needed to cross-compile test binaries: %v", err)
	}
	src := filepath.Join(t.TempDir(), "main.go")
	if err := os.WriteFile(src, []byte("package main\nfunc main() {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range goTargets {
		t.Run(tc.goarch+tc.goarm, func(t *testing.T) {
			t.Parallel()
			out := filepath.Join(t.TempDir(), "hello")
			cmd := exec.Command(goBin, "build", "-o", out, "-ldflags=-s -w", src)
			cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH="+tc.goarch, "GOARM="+tc.goarm, "CGO_ENABLED=0", "GOFLAGS=")
			if b, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("go build: %v\n%s", err, b)
			}
			var matched []string
			header := readHeader(t, out)
			for _, h := range Table() {
				if h.Matches(header) {
					matched = append(matched, h.CPU)
				}
			}
			if len(matched) != 1 || matched[0] != tc.cpu {
				t.Fatalf("GOARCH=%s GOARM=%s matched %v, want exactly [%s]", tc.goarch, tc.goarm, matched, tc.cpu)
			}
		})
	}
}

func readHeader(t *testing.T, path string) []byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := make([]byte, 128)
	n, _ := f.Read(b)
	return b[:n]
}

// TestNoForeignHandlerMatchesHostBinaries guards against capturing the
// host's own programs (and qemu itself), which would break the machine.
func TestNoForeignHandlerMatchesHostBinaries(t *testing.T) {
	self, _ := os.Executable()
	paths := []string{"/bin/sh", "/bin/ls", self}
	qemus, _ := filepath.Glob("/usr/bin/qemu-*")
	paths = append(paths, qemus...)
	checked := 0
	for _, p := range paths {
		if _, err := os.Stat(p); err != nil {
			continue
		}
		header := readHeader(t, p)
		checked++
		for _, h := range Foreign(platform.Host()) {
			if h.Matches(header) {
				t.Errorf("handler %s matches host binary %s", h.CPU, p)
			}
		}
	}
	if checked < 3 {
		t.Fatalf("only %d host binaries found to check", checked)
	}
}

func TestProbeProgramsAreValidAndMatchOnlyTheirHandler(t *testing.T) {
	for _, h := range Table() {
		prog, ok := ProbeProgram(h.CPU)
		if !ok {
			if h.Platform != "" && h.CPU != "mipsel" && h.CPU != "mips" {
				t.Errorf("no probe program for %s (%s)", h.CPU, h.Platform)
			}
			continue
		}
		if len(prog) > 256 {
			t.Errorf("probe for %s is %d bytes; keep it tiny", h.CPU, len(prog))
		}
		f, err := elf.NewFile(bytesReaderAt(prog))
		if err != nil {
			t.Errorf("probe for %s is not valid ELF: %v", h.CPU, err)
			continue
		}
		if f.Type != elf.ET_EXEC || len(f.Progs) != 1 || f.Progs[0].Type != elf.PT_LOAD {
			t.Errorf("probe for %s: want one PT_LOAD static executable, got type %v, %d progs", h.CPU, f.Type, len(f.Progs))
		}
		for _, other := range Table() {
			if got := other.Matches(prog); got != (other.CPU == h.CPU) {
				t.Errorf("probe for %s: handler %s matches=%v", h.CPU, other.CPU, got)
			}
		}
	}
}

func TestForPlatform(t *testing.T) {
	cases := map[string]string{
		"linux/arm64": "aarch64", "arm64v8": "aarch64", "linux/arm/v7": "arm", "armhf": "arm",
		"linux/arm/v6": "arm", "armel": "arm", "ppc64el": "ppc64le", "s390x": "s390x",
		"riscv64": "riscv64", "mips64el": "mips64el", "loong64": "loongarch64", "i386": "i386", "x86_64": "x86_64",
	}
	for in, want := range cases {
		h, ok := ForPlatform(platform.MustParse(in))
		if !ok || h.CPU != want {
			t.Errorf("ForPlatform(%s) = %s,%v, want %s", in, h.CPU, ok, want)
		}
	}
}

func TestNative(t *testing.T) {
	amd64 := platform.MustParse("linux/amd64")
	for cpu, want := range map[string]bool{"x86_64": true, "i386": true, "aarch64": false, "arm": false} {
		h, _ := ForCPU(cpu)
		if got := Native(amd64, h); got != want {
			t.Errorf("Native(amd64, %s) = %v, want %v", cpu, got, want)
		}
	}
	arm64 := platform.MustParse("linux/arm64")
	h, _ := ForCPU("x86_64")
	if Native(arm64, h) {
		t.Error("x86_64 must be emulated on arm64 hosts")
	}
}
