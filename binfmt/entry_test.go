package binfmt

import (
	"bytes"
	"strings"
	"testing"
)

const debianAarch64 = `enabled
interpreter /usr/libexec/qemu-binfmt/aarch64-binfmt-P
flags: PF
offset 0
magic 7f454c460201010000000000000000000200b700
mask ffffffffffffff00fffffffffffffffffeffffff
`

func TestParseEntry(t *testing.T) {
	tests := []struct {
		name, text string
		want       Entry
		wantErr    string
	}{
		{name: "qemu-aarch64", text: debianAarch64, want: Entry{Name: "qemu-aarch64", Enabled: true,
			Interpreter: "/usr/libexec/qemu-binfmt/aarch64-binfmt-P", Flags: "PF",
			Magic: mustHex("7f454c460201010000000000000000000200b700"), Mask: mustHex("ffffffffffffff00fffffffffffffffffeffffff")}},
		{name: "jar", text: "enabled\ninterpreter /usr/bin/jexec\nflags: \nextension .jar\n",
			want: Entry{Name: "jar", Enabled: true, Interpreter: "/usr/bin/jexec", Extension: "jar"}},
		{name: "off", text: "disabled\ninterpreter /x\nflags: OC\noffset 2\nmagic 4142\n",
			want: Entry{Name: "off", Interpreter: "/x", Flags: "OC", Offset: 2, Magic: []byte("AB")}},
		{name: "bad", text: "enabled\nmagic zz\n", wantErr: "decoding binfmt_misc entry bad"},
		{name: "empty", text: "enabled\n", wantErr: "neither magic nor extension"},
		{name: "weird", text: "enabled\nfrobnicate 1\nmagic 41\n", wantErr: "unknown field"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseEntry(tc.name, tc.text)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Name != tc.want.Name || got.Enabled != tc.want.Enabled || got.Interpreter != tc.want.Interpreter ||
				got.Flags != tc.want.Flags || got.Offset != tc.want.Offset || got.Extension != tc.want.Extension ||
				!bytes.Equal(got.Magic, tc.want.Magic) || !bytes.Equal(got.Mask, tc.want.Mask) {
				t.Fatalf("got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestLine(t *testing.T) {
	h, _ := ForCPU("aarch64")
	line, err := Line(EntryFor(h, "/usr/bin/qemu-aarch64-static", false))
	if err != nil {
		t.Fatal(err)
	}
	want := `:polyarch-aarch64:M:0:\x7f\x45\x4c\x46\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\xb7\x00:` +
		`\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff:/usr/bin/qemu-aarch64-static:PF`
	if line != want {
		t.Fatalf("line\n%s\nwant\n%s", line, want)
	}
	c, _ := Line(EntryFor(h, "/q", true))
	if !strings.HasSuffix(c, ":/q:PCF") {
		t.Fatalf("credential line %s", c)
	}
}

func TestLineRejectsBadEntries(t *testing.T) {
	h, _ := ForCPU("arm")
	good := EntryFor(h, "/usr/bin/qemu-arm-static", false)
	for name, mutate := range map[string]func(*Entry){
		"colon in name":     func(e *Entry) { e.Name = "a:b" },
		"slash in name":     func(e *Entry) { e.Name = "../x" },
		"status":            func(e *Entry) { e.Name = "status" },
		"relative interp":   func(e *Entry) { e.Interpreter = "qemu-arm" },
		"colon interp":      func(e *Entry) { e.Interpreter = "/a:b" },
		"bad flag":          func(e *Entry) { e.Flags = "FX" },
		"mask longer":       func(e *Entry) { e.Mask = append(HexBytes{}, append(e.Mask, 0xff)...) },
		"empty magic":       func(e *Entry) { e.Magic = nil },
		"newline in interp": func(e *Entry) { e.Interpreter = "/a\n" },
	} {
		e := good
		mutate(&e)
		if _, err := Line(e); err == nil {
			t.Errorf("%s: Line accepted %+v", name, e)
		}
	}
}

func TestWinnerIsNewest(t *testing.T) {
	h, _ := ForCPU("aarch64")
	old, _ := ParseEntry("qemu-aarch64", debianAarch64)
	old.Seq = 1
	ours := EntryFor(h, "/usr/bin/qemu-aarch64-static", false)
	ours.Seq = 2
	jar := Entry{Name: "jar", Enabled: true, Extension: "jar", Seq: 3}
	win, shadowed, ok := Winner([]Entry{jar, ours, old}, h)
	if !ok || win.Name != "polyarch-aarch64" || len(shadowed) != 1 || shadowed[0].Name != "qemu-aarch64" {
		t.Fatalf("winner %s shadowed %v ok %v", win.Name, shadowed, ok)
	}
	arm, _ := ForCPU("arm")
	if _, _, ok := Winner([]Entry{jar, ours, old}, arm); ok {
		t.Fatal("an aarch64 entry must not serve arm")
	}
	old.Enabled = false
	if _, shadowed, _ := Winner([]Entry{ours, old}, h); len(shadowed) != 0 {
		t.Fatal("a disabled entry serves nothing")
	}
}

func TestUnregisterRefusesForeignEntries(t *testing.T) {
	for _, name := range []string{"qemu-aarch64", "jar", "polyarch-../status"} {
		if err := Unregister(t.TempDir(), name); err == nil {
			t.Errorf("Unregister(%s) succeeded", name)
		}
	}
}

func TestPrivateSupported(t *testing.T) {
	for rel, want := range map[string]bool{"6.18.44-fc": true, "6.7.0": true, "6.6.30-amd64": false, "5.10.0-28-amd64": false, "7.0": true, "": false} {
		if got := PrivateSupported(rel); got != want {
			t.Errorf("PrivateSupported(%q) = %v", rel, got)
		}
	}
}

func TestReadNotMounted(t *testing.T) {
	if _, err := Read(t.TempDir()); err == nil || !strings.Contains(err.Error(), "polyarch binfmt mount") {
		t.Fatalf("err = %v", err)
	}
}

func FuzzParseEntry(f *testing.F) {
	f.Add("qemu-aarch64", debianAarch64)
	f.Add("jar", "enabled\ninterpreter /usr/bin/jexec\nflags: \nextension .jar\n")
	f.Fuzz(func(t *testing.T, name, text string) {
		e, err := ParseEntry(name, text)
		if err != nil {
			return
		}
		_ = e.Matches([]byte("\x7fELF"))
		if len(e.Magic) > 0 && len(e.Mask) <= len(e.Magic) && e.Offset == 0 {
			if e2, err := ParseEntry(name, "enabled\nmagic "+hexOf(e.Magic)+"\n"); err != nil || !bytes.Equal(e2.Magic, e.Magic) {
				t.Fatalf("magic did not round-trip: %v", err)
			}
		}
	})
}

func hexOf(b []byte) string { t, _ := HexBytes(b).MarshalText(); return string(t) }
