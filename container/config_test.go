package container

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

func TestCommand(t *testing.T) {
	empty := ""
	ep := "/bin/ep"
	tests := []struct {
		name string
		cfg  v1.Config
		o    options
		want []string
		err  string
	}{
		{"cmd only", v1.Config{Cmd: []string{"sh"}}, options{}, []string{"sh"}, ""},
		{"entrypoint and cmd", v1.Config{Entrypoint: []string{"/init"}, Cmd: []string{"-v"}}, options{}, []string{"/init", "-v"}, ""},
		{"args replace cmd", v1.Config{Entrypoint: []string{"/init"}, Cmd: []string{"-v"}}, options{args: []string{"x"}}, []string{"/init", "x"}, ""},
		{"new entrypoint drops cmd", v1.Config{Entrypoint: []string{"/init"}, Cmd: []string{"-v"}}, options{entrypoint: &ep}, []string{"/bin/ep"}, ""},
		{"cleared entrypoint", v1.Config{Entrypoint: []string{"/init"}}, options{entrypoint: &empty, args: []string{"ls"}}, []string{"ls"}, ""},
		{"nothing", v1.Config{}, options{}, nil, "no command"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := command(tc.cfg, tc.o)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v", err)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %v, %v; want %v", got, err, tc.want)
			}
		})
	}
}

func TestEnvironment(t *testing.T) {
	got := environment([]string{"PATH=/bin", "A=1"}, options{env: []string{"A=2", "B=3"}, tty: true}, "/root")
	want := []string{"PATH=/bin", "A=2", "B=3", "HOSTNAME=polyarch", "TERM=xterm", "HOME=/root"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v want %v", got, want)
	}
	if got := environment(nil, options{}, "/"); got[0] != "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" {
		t.Fatalf("default PATH missing: %v", got)
	}
}

func TestResolveUser(t *testing.T) {
	top, bottom := t.TempDir(), t.TempDir()
	write := func(dir, rel, content string) {
		os.MkdirAll(filepath.Join(dir, filepath.Dir(rel)), 0o755)
		os.WriteFile(filepath.Join(dir, rel), []byte(content), 0o644)
	}
	write(bottom, "etc/passwd", "root:x:0:0::/root:/bin/sh\nold:x:5:5::/:/bin/sh\n")
	write(top, "etc/passwd", "root:x:0:0::/root:/bin/sh\napp:x:1000:1001::/home/app:/bin/sh\n")
	write(bottom, "etc/group", "root:x:0:\napp:x:1001:\nwheel:x:10:app,other\nstaff:x:50:\n")
	lowers := []string{top, bottom}
	tests := []struct {
		spec     string
		uid, gid uint32
		groups   []uint32
		err      string
	}{
		{"", 0, 0, nil, ""},
		{"app", 1000, 1001, []uint32{1001, 10}, ""},
		{"app:staff", 1000, 50, nil, ""},
		{"1000", 1000, 1001, []uint32{1001, 10}, ""},
		{"4242", 4242, 4242, []uint32{4242}, ""},
		{"4242:7", 4242, 7, nil, ""},
		{"old", 0, 0, nil, "no such user"}, // the upper layer's passwd hides the lower one
		{"app:nogroup", 0, 0, nil, "no such group"},
	}
	for _, tc := range tests {
		uid, gid, groups, err := ResolveUser(lowers, tc.spec)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: err = %v", tc.spec, err)
			}
			continue
		}
		if err != nil || uid != tc.uid || gid != tc.gid || !reflect.DeepEqual(groups, tc.groups) {
			t.Errorf("%q: got %d:%d %v %v, want %d:%d %v", tc.spec, uid, gid, groups, err, tc.uid, tc.gid, tc.groups)
		}
	}
}

func TestHomeDir(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "etc"), 0o755)
	os.WriteFile(filepath.Join(dir, "etc/passwd"), []byte("root:x:0:0::/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\nnohome:x:7:7:::/bin/sh\n"), 0o644)
	for uid, want := range map[uint32]string{0: "/root", 1000: "/home/app", 7: "/", 4242: "/"} {
		if got := HomeDir([]string{dir}, uid); got != want {
			t.Errorf("HomeDir(%d) = %q, want %q", uid, got, want)
		}
	}
	if got := HomeDir(nil, 0); got != "/root" {
		t.Errorf("no passwd: %q", got)
	}
}
