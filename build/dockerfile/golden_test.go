package dockerfile

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/polyarch/polyarch/platform"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// goldenCase is one testdata/<name>.Dockerfile rendered to
// testdata/<name>.golden.json with the given options.
type goldenCase struct {
	name      string
	platforms string // comma-separated; the build platform is always linux/amd64
	args      map[string]string
	target    string
}

func goldenCases() []goldenCase {
	return []goldenCase{
		{name: "cross_buildplatform", platforms: "linux/amd64,linux/arm64,linux/arm/v7"},
		{name: "arg_scope", platforms: "linux/arm64", args: map[string]string{"REGISTRY": "ghcr.io", "STAGE_ONLY": "given", "NOBODY": "x"}},
		{name: "target_prune", platforms: "linux/amd64", target: "Test"},
		{name: "copy_from", platforms: "linux/arm64"},
		{name: "heredocs", platforms: "linux/amd64"},
		{name: "env_forms", platforms: "linux/amd64"},
		{name: "label_expose_volume", platforms: "linux/amd64"},
		{name: "healthcheck_shell_signal", platforms: "linux/amd64"},
		{name: "onbuild_user_maintainer", platforms: "linux/amd64"},
		{name: "workdir", platforms: "linux/amd64"},
		{name: "add_remote", platforms: "linux/amd64"},
		{name: "copy_flags", platforms: "linux/amd64"},
		{name: "run_flags", platforms: "linux/arm64", args: map[string]string{"CACHE_ID": "gomod", "HTTP_PROXY": "http://proxy:3128"}},
		{name: "escape_backtick", platforms: "linux/amd64"},
		{name: "warnings", platforms: "linux/amd64"},
		{name: "cmd_entrypoint", platforms: "linux/amd64"},
		{name: "arch_stages", platforms: "linux/amd64,linux/arm64"},
		{name: "platform_args_override", platforms: "linux/ppc64le", args: map[string]string{"TARGETARCH": "custom"}},
	}
}

func TestGolden(t *testing.T) {
	for _, tc := range goldenCases() {
		t.Run(tc.name, func(t *testing.T) {
			src, err := os.ReadFile(filepath.Join("testdata", tc.name+".Dockerfile"))
			if err != nil {
				t.Fatal(err)
			}
			targets, err := platform.ParseList(tc.platforms)
			if err != nil {
				t.Fatal(err)
			}
			plan, err := Parse(context.Background(), src,
				WithPlatforms(targets...), WithBuildPlatform(platform.MustParse("linux/amd64")),
				WithBuildArgs(tc.args), WithTarget(tc.target))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			got, err := plan.JSON()
			if err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", tc.name+".golden.json")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("plan differs from %s (run go test -update and review the diff):\n%s", golden, got)
			}
		})
	}
}

// TestGoldenFilesHaveCases catches a Dockerfile added to testdata without
// a case, or a golden file left behind.
func TestGoldenFilesHaveCases(t *testing.T) {
	known := map[string]bool{}
	for _, tc := range goldenCases() {
		known[tc.name+".Dockerfile"] = true
		known[tc.name+".golden.json"] = true
	}
	entries, err := os.ReadDir("testdata")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if ext := filepath.Ext(e.Name()); (ext == ".Dockerfile" || ext == ".json") && !known[e.Name()] {
			t.Errorf("testdata/%s has no golden case", e.Name())
		}
	}
}
