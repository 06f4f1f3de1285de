package platform

import "testing"

func TestSuggest(t *testing.T) {
	tests := []struct{ in, want string }{
		{"arm46", "arm64"},
		{"ARM46", "arm64"},
		{"aarhc64", "aarch64"},
		{"aarch46", "aarch64"},
		{"amd46", "amd64"},
		{"x86_46", "x86_64"},
		{"i368", "i386"},
		{"armfh", "armhf"},
		{"arm32v8", "arm32v7"},
		{"ppc64e", "ppc64le"},
		{"s309x", "s390x"},
		{"risc64", "riscv64"},
		{"loongarch", "loongarch64"},
		{"mips64lee", "mips64le"},
		{"linux/arm46", "linux/arm64"},
		{"linux/arm/v9", "linux/arm/v7"},
		{"linux/amd64/v5", "linux/amd64/v2"},
		{"arm64", "arm64"}, // a known spelling is its own nearest
		{"foo", ""},
		{"windows", ""},
		{"sparc64", ""},
		{"", ""},
		{"linux/", ""},
		{"zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz", ""},
	}
	for _, tt := range tests {
		if got := Suggest(tt.in); got != tt.want {
			t.Errorf("Suggest(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestDistance(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"", "abc", 3},
		{"abc", "", 3},
		{"arm64", "arm64", 0},
		{"arm46", "arm64", 1}, // transposition
		{"arm64", "arm", 2},
		{"kitten", "sitting", 3},
		{"ca", "abc", 3}, // optimal string alignment, not full Damerau (2)
	}
	for _, tt := range tests {
		if got := distance(tt.a, tt.b); got != tt.want {
			t.Errorf("distance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestCandidatesAreParseable(t *testing.T) {
	for _, c := range candidates() {
		if _, err := Parse(c); err != nil {
			t.Errorf("Suggest may propose %q, which Parse rejects: %v", c, err)
		}
		if _, err := Parse("linux/" + c); err != nil {
			t.Errorf("Suggest may propose %q, which Parse rejects: %v", "linux/"+c, err)
		}
	}
}
