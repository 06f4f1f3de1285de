package dockerfile

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/polyarch/polyarch/platform"
)

// FuzzParse checks that no Dockerfile text makes Parse panic (Parse also
// recovers, so a recovered panic is reported here as a failure) and that
// every error carries the file name.
func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "*.Dockerfile"))
	for _, name := range seeds {
		if data, err := os.ReadFile(name); err == nil {
			f.Add(data)
		}
	}
	for _, s := range []string{
		"FROM scratch\n", "ARG A=${B:-${C:+x}}\nFROM $A\n", "FROM a\nRUN <<EOF\n", "# escape=`\nFROM a\nRUN a`\n",
		"FROM a AS b\nFROM b\nONBUILD COPY --from=b . .\nFROM 2\n", "FROM a\nEXPOSE 1-65535\n",
		"FROM a\nCOPY <<-\"EOF\" /x\n\tEOF\n", "FROM --platform=$TARGETPLATFORM a\nRUN --mount=type=cache,target=/x,from=0 x\n",
	} {
		f.Add([]byte(s))
	}
	targets := []platform.Platform{platform.MustParse("linux/amd64"), platform.MustParse("linux/arm/v7")}
	f.Fuzz(func(t *testing.T, src []byte) {
		plan, err := Parse(context.Background(), src, WithPlatforms(targets...),
			WithBuildPlatform(targets[0]), WithBuildArgs(map[string]string{"A": "1"}))
		if err != nil {
			var de *Error
			if !errors.As(err, &de) {
				t.Fatalf("error %v is not an *Error", err)
			}
			if msg := de.Err.Error(); len(msg) >= len("internal error") && msg[:len("internal error")] == "internal error" {
				t.Fatalf("recovered panic: %v", err)
			}
			return
		}
		if _, err := plan.JSON(); err != nil {
			t.Fatalf("JSON: %v", err)
		}
		for _, b := range plan.Builds {
			if _, err := b.Resolve(map[int]ImageConfig{0: {Env: []string{"A=1"}, OnBuild: []string{"RUN x"}}}); err != nil {
				var de *Error
				if !errors.As(err, &de) {
					t.Fatalf("Resolve error %v is not an *Error", err)
				}
			}
		}
	})
}
