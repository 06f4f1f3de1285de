package image

import (
	"errors"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"

	"github.com/polyarch/polyarch/platform"
)

func TestSelectManifest(t *testing.T) {
	// idxA spells arm64 with v8 and arm with v7; idxB leaves the variants
	// out. Both carry attestations, which must never be chosen or listed.
	a := []entry{
		{img: platformImage(t, "linux/amd64"), platform: plat("amd64", "")},
		{img: platformImage(t, "linux/arm64"), platform: plat("arm64", "v8")},
		{img: platformImage(t, "linux/arm/v7"), platform: plat("arm", "v7")},
		attestation(t),
	}
	// In idxB an attestation claims linux/amd64 (only its annotation tells).
	attAmd64 := attestation(t)
	attAmd64.platform = plat("amd64", "")
	b := []entry{
		attAmd64,
		{img: platformImage(t, "linux/arm64"), platform: plat("arm64", "")},
		{img: platformImage(t, "linux/arm/v7"), platform: plat("arm", "")},
		{img: platformImage(t, "linux/arm/v6"), platform: plat("arm", "v6")},
		attestation(t),
	}
	idxA, idxB := makeIndex(a...), makeIndex(b...)
	noPlatforms, err := random.Index(64, 1, 2) // entries without platforms
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name    string
		idx     v1.ImageIndex
		entries []entry
		want    string
		pick    int    // index into entries
		err     string // substring of the error; pick ignored
	}{
		{name: "amd64", idx: idxA, entries: a, want: "linux/amd64", pick: 0},
		{name: "arm64 matches v8 entry", idx: idxA, entries: a, want: "linux/arm64", pick: 1},
		{name: "arm64/v8 matches v8 entry", idx: idxA, entries: a, want: "linux/arm64/v8", pick: 1},
		{name: "aarch64 alias", idx: idxA, entries: a, want: "aarch64", pick: 1},
		{name: "arm means v7", idx: idxA, entries: a, want: "linux/arm", pick: 2},
		{name: "arm64 matches entry without variant", idx: idxB, entries: b, want: "linux/arm64", pick: 1},
		{name: "arm64/v8 matches entry without variant", idx: idxB, entries: b, want: "linux/arm64/v8", pick: 1},
		{name: "arm/v7 matches arm without variant", idx: idxB, entries: b, want: "linux/arm/v7", pick: 2},
		{name: "arm matches arm without variant", idx: idxB, entries: b, want: "linux/arm", pick: 2},
		{name: "arm/v6", idx: idxB, entries: b, want: "linux/arm/v6", pick: 3},
		{name: "no fallback from v6 to v7", idx: idxA, entries: a, want: "linux/arm/v6",
			err: "image has no linux/arm/v6; it has linux/amd64, linux/arm64, linux/arm/v7"},
		{name: "missing platform lists the others", idx: idxA, entries: a, want: "linux/s390x",
			err: "image has no linux/s390x; it has linux/amd64, linux/arm64, linux/arm/v7"},
		{name: "attestation with a real platform is skipped", idx: idxB, entries: b, want: "linux/amd64",
			err: "image has no linux/amd64; it has linux/arm64, linux/arm/v7, linux/arm/v6"},
		{name: "index without platforms", idx: noPlatforms, want: "linux/amd64",
			err: "image has no linux/amd64; its index lists no platforms"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := SelectManifest(tt.idx, platform.MustParse(tt.want))
			if tt.err != "" {
				if err == nil || err.Error() != tt.err || !errors.Is(err, ErrPlatformNotFound) {
					t.Fatalf("err = %v, want %q (ErrPlatformNotFound)", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if want := digestOf(t, tt.entries[tt.pick].img); got.Digest != want {
				t.Errorf("picked %s (%v), want entry %d %s", got.Digest, got.Platform, tt.pick, want)
			}
		})
	}
}

func TestPlatformErrors(t *testing.T) {
	arm64 := platform.MustParse("linux/arm64")
	tests := []struct {
		name string
		err  error
		want []string
	}{
		{
			name: "single-arch image of another platform",
			err:  checkSingle("localhost:5000/x:1", platform.MustParse("linux/386"), &arm64),
			want: []string{"image localhost:5000/x:1 is linux/386, not the requested linux/arm64", "request no platform"},
		},
		{
			name: "index entry whose config disagrees",
			err:  checkEntry("localhost:5000/x:1", arm64, platform.MustParse("linux/386")),
			want: []string{"image localhost:5000/x:1 lists linux/arm64, but that entry's config says linux/386"},
		},
		{
			name: "index listing",
			err: &PlatformError{Ref: "localhost:5000/x:1", Want: platform.MustParse("linux/s390x"),
				Have: []platform.Platform{platform.MustParse("linux/amd64"), arm64}},
			want: []string{"image localhost:5000/x:1 has no linux/s390x; it has linux/amd64, linux/arm64"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !errors.Is(tt.err, ErrPlatformNotFound) {
				t.Fatalf("%v is not ErrPlatformNotFound", tt.err)
			}
			for _, w := range tt.want {
				if !strings.Contains(tt.err.Error(), w) {
					t.Errorf("error %q lacks %q", tt.err, w)
				}
			}
		})
	}
}

func TestCheckAccepts(t *testing.T) {
	armv7 := platform.MustParse("linux/arm/v7")
	// No platform requested: anything goes.
	if err := checkSingle("x", platform.MustParse("linux/386"), nil); err != nil {
		t.Error(err)
	}
	// A config without variant for arm is v7.
	if err := checkSingle("x", platform.Normalize(platform.Platform{OS: "linux", Architecture: "arm"}), &armv7); err != nil {
		t.Error(err)
	}
	// An arm/v6 entry whose config omits the variant is not mislabelled.
	if err := checkEntry("x", platform.MustParse("linux/arm/v6"), platform.Platform{OS: "linux", Architecture: "arm"}); err != nil {
		t.Error(err)
	}
	// A config without architecture cannot be judged.
	if err := checkEntry("x", armv7, platform.Platform{}); err != nil {
		t.Error(err)
	}
}
