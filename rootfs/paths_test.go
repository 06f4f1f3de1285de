package rootfs

import (
	"errors"
	"testing"
)

func TestCleanName(t *testing.T) {
	tests := []struct {
		in, want string
		unsafe   bool
	}{
		{in: "a/b", want: "a/b"},
		{in: "./a/b/", want: "a/b"},
		{in: "/etc/passwd", want: "etc/passwd"},
		{in: "//a//b", want: "a/b"},
		{in: "a/../b", want: "b"},
		{in: "a/./b/..", want: "a"},
		{in: "", want: "."},
		{in: "./", want: "."},
		{in: "/", want: "."},
		{in: "..", unsafe: true},
		{in: "../x", unsafe: true},
		{in: "../../etc/x", unsafe: true},
		{in: "a/../../x", unsafe: true},
		{in: "/../x", unsafe: true},
		{in: "a/../..", unsafe: true},
		{in: "a\x00b", unsafe: true},
		{in: "...", want: "..."},
		{in: "..a/b", want: "..a/b"},
	}
	for _, tt := range tests {
		got, err := cleanName(tt.in)
		if tt.unsafe {
			if !errors.Is(err, ErrUnsafePath) {
				t.Errorf("cleanName(%q) = %q, %v; want ErrUnsafePath", tt.in, got, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("cleanName(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestWhiteoutTarget(t *testing.T) {
	tests := []struct {
		base, want string
		bad        bool
	}{
		{base: ".wh.foo", want: "foo"},
		{base: ".wh..foo", want: ".foo"},
		{base: ".wh.", bad: true},
		{base: ".wh..", bad: true},
		{base: ".wh...", bad: true},
	}
	for _, tt := range tests {
		got, err := whiteoutTarget(tt.base)
		if tt.bad != (err != nil) || got != tt.want {
			t.Errorf("whiteoutTarget(%q) = %q, %v", tt.base, got, err)
		}
	}
}
