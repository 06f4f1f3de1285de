package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/polyarch/polyarch/ciconfig"
	"github.com/polyarch/polyarch/hub"
)

type migrateFlags struct {
	provider, registry, version string
	branches                    []string
	write, force                bool
}

func newMigrateCmd(e *env) *cobra.Command {
	var f migrateFlags
	cmd := &cobra.Command{
		Use:   "migrate [DIR] [--write [--force]] [--provider github|gitlab|travis]",
		Short: "Describe a per-arch Dockerfile repository (Docker Hub hooks, Travis matrix) as a polyarch.yaml and a CI config",
		Long: `migrate reads a legacy multi-arch repository (DIR, default .): per-arch
folders (<image>/<arch>/Dockerfile, any arch spelling), Dockerfile.<arch>
files, Dockerfiles choosing their base with an ARCH build argument, FROM
lines such as multiarch/alpine:aarch64-edge or arm64v8/debian, Docker Hub
hooks and .travis.yml matrices. It prints a polyarch.yaml (one target per
image, every platform in one index, the per-arch tags kept, rewrites of the
legacy base images) and a CI configuration that builds it, and lists on
stderr what to change by hand.

--write writes the files into DIR instead; an existing file is never
replaced without --force (and then nothing is written unless every file
can be).`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := "."
			if len(args) == 1 {
				dir = args[0]
			}
			return e.migrate(f, dir)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.provider, "provider", "github", "CI service of the generated configuration: github, gitlab or travis")
	fl.StringVar(&f.registry, "registry", "", "default of the REGISTRY variable, where the images go (default: the namespace the hooks or CI push to, else localhost:5000)")
	fl.StringArrayVar(&f.branches, "branch", nil, "branch whose pushes build and push (repeatable; default main)")
	fl.StringVar(&f.version, "polyarch-version", "latest", "polyarch version the CI installs")
	fl.BoolVar(&f.write, "write", false, "write the files into DIR instead of printing them")
	fl.BoolVar(&f.force, "force", false, "with --write: replace existing files")
	return cmd
}

func (e *env) migrate(f migrateFlags, dir string) error {
	prov, err := ciconfig.ParseProvider(f.provider)
	if err != nil {
		return err
	}
	p, err := hub.Inspect(dir, hub.MigrateOptions{Registry: f.registry})
	if err != nil {
		return err
	}
	if len(p.Targets) == 0 {
		return fmt.Errorf("%s holds no Dockerfile: nothing to migrate", dir)
	}
	ci, err := p.CI(prov, hub.CIOptions{Branches: f.branches, PolyarchVersion: f.version})
	if err != nil {
		return err
	}
	files := append([]ciconfig.File{{Path: hub.ProjectFile, Content: p.YAML(), Mode: 0o644}}, ci...)
	for _, fd := range p.Findings {
		fmt.Fprintf(e.stderr, "to do: %s\n", fd)
	}
	if !f.write {
		for i, file := range files {
			if i > 0 {
				fmt.Fprintln(e.stdout)
			}
			fmt.Fprintf(e.stdout, "# ==> %s <==\n%s", file.Path, file.Content)
		}
		fmt.Fprintf(e.stderr, "printed %d files; write them into %s with --write\n", len(files), dir)
		return nil
	}
	plans, err := planMigrateFiles(dir, files, f.force)
	if err != nil {
		return err
	}
	for _, pl := range plans {
		if err := pl.apply(); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "%-10s %s\n", pl.action, pl.file.Path)
	}
	fmt.Fprintln(e.stdout, "next:")
	fmt.Fprintln(e.stdout, "  - try it: polyarch bake --print, then polyarch bake")
	fmt.Fprintf(e.stdout, "  - set the CI's REGISTRY_USERNAME and REGISTRY_PASSWORD secrets for %s\n", strings.SplitN(p.Registry, "/", 2)[0])
	fmt.Fprintln(e.stdout, "  - commit the files; remove the Docker Hub hooks once the CI pushes")
	return nil
}

// planMigrateFiles decides every file's fate before anything is written:
// an existing file is replaced only with force.
func planMigrateFiles(dir string, files []ciconfig.File, force bool) ([]ciPlan, error) {
	var plans []ciPlan
	var refused []string
	for _, f := range files {
		pl := ciPlan{file: f, target: filepath.Join(dir, filepath.FromSlash(f.Path)), action: "created", write: true}
		old, err := os.ReadFile(pl.target)
		switch {
		case errors.Is(err, fs.ErrNotExist):
		case err != nil:
			return nil, err
		case bytes.Equal(old, f.Content):
			pl.action, pl.write = "unchanged", false
		case force:
			pl.action = "overwrote"
		default:
			refused = append(refused, f.Path)
		}
		plans = append(plans, pl)
	}
	if len(refused) > 0 {
		return nil, fmt.Errorf("not overwriting %s: move it away or pass --force (nothing was written)", strings.Join(refused, ", "))
	}
	return plans, nil
}
