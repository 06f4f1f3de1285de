package ciconfig

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/rhysd/actionlint"
	"gopkg.in/yaml.v3"
)

// shellcheck returns shellcheck's path, or "" where it is not installed:
// actionlint and the hook checks then skip that part of the linting.
func shellcheck() string {
	p, _ := exec.LookPath("shellcheck")
	return p
}

// TestGitHubWorkflowsLint runs actionlint (with shellcheck on the run:
// scripts when installed) over every generated GitHub workflow.
func TestGitHubWorkflowsLint(t *testing.T) {
	n := 0
	for _, tc := range goldenCases() {
		if tc.provider != GitHub {
			continue
		}
		for _, f := range tc.generate(t) {
			n++
			var out bytes.Buffer
			l, err := actionlint.NewLinter(&out, &actionlint.LinterOptions{Shellcheck: shellcheck(), Oneline: true})
			if err != nil {
				t.Fatal(err)
			}
			errs, err := l.Lint(f.Path, f.Content, nil)
			if err != nil {
				t.Fatalf("%s: actionlint: %v", tc.name, err)
			}
			for _, e := range errs {
				t.Errorf("%s: %s:%d:%d: %s [%s]", tc.name, f.Path, e.Line, e.Column, e.Message, e.Kind)
			}
		}
	}
	if n == 0 {
		t.Fatal("no GitHub case")
	}
	if shellcheck() == "" {
		t.Log("shellcheck not installed: actionlint checked the workflows without it")
	}
}

// TestYAMLParses checks that every YAML file parses and has the keys its CI
// service needs.
func TestYAMLParses(t *testing.T) {
	want := map[Provider][]string{
		GitHub: {"name", "on", "permissions", "env", "jobs"},
		GitLab: {"variables", "workflow", "stages", ".polyarch", "build"},
		Travis: {"os", "dist", "language", "env", "install", "before_script", "script"},
	}
	for _, tc := range goldenCases() {
		for _, f := range tc.generate(t) {
			if !strings.HasSuffix(f.Path, ".yml") {
				continue
			}
			var doc map[string]any
			if err := yaml.Unmarshal(f.Content, &doc); err != nil {
				t.Errorf("%s: %s: %v", tc.name, f.Path, err)
				continue
			}
			for _, k := range want[tc.provider] {
				if _, ok := doc[k]; !ok {
					t.Errorf("%s: %s has no top-level %q", tc.name, f.Path, k)
				}
			}
		}
	}
}

// scripts returns the shell scripts of a GitLab or Travis file: every
// before_script, script and install entry, joined per key.
func scripts(t *testing.T, content []byte) map[string]string {
	t.Helper()
	var doc map[string]any
	if err := yaml.Unmarshal(content, &doc); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	add := func(where string, v any) {
		list, ok := v.([]any)
		if !ok {
			return
		}
		var b strings.Builder
		for _, item := range list {
			s, ok := item.(string)
			if !ok {
				t.Fatalf("%s: a non-string script entry %v", where, item)
			}
			b.WriteString(s + "\n")
		}
		out[where] = b.String()
	}
	for _, key := range []string{"install", "before_script", "script"} {
		add(key, doc[key])
	}
	for job, v := range doc {
		if m, ok := v.(map[string]any); ok {
			for _, key := range []string{"before_script", "script"} {
				add(job+"."+key, m[key])
			}
		}
	}
	return out
}

// shells are the shells the generated scripts must parse in: bash (what the
// services run) and, where installed, dash (POSIX sh).
func shells(t *testing.T) []string {
	var out []string
	for _, sh := range []string{"bash", "dash"} {
		if p, err := exec.LookPath(sh); err == nil {
			out = append(out, p)
		} else if sh == "bash" {
			t.Fatal("bash not found")
		}
	}
	return out
}

func syntaxCheck(t *testing.T, name, script string) {
	t.Helper()
	for _, sh := range shells(t) {
		cmd := exec.Command(sh, "-n")
		cmd.Stdin = strings.NewReader(script)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("%s: %s -n: %v\n%s", name, filepath.Base(sh), err, out)
		}
	}
}

func TestScriptsParse(t *testing.T) {
	for _, tc := range goldenCases() {
		for _, f := range tc.generate(t) {
			switch tc.provider {
			case GitLab, Travis:
				got := scripts(t, f.Content)
				if len(got) == 0 {
					t.Fatalf("%s: no scripts found", tc.name)
				}
				keys := make([]string, 0, len(got))
				for k := range got {
					keys = append(keys, k)
				}
				sort.Strings(keys)
				for _, k := range keys {
					syntaxCheck(t, tc.name+": "+k, got[k])
				}
			case DockerHub:
				if f.Mode != 0o755 || !bytes.HasPrefix(f.Content, []byte("#!/bin/bash\n")) {
					t.Errorf("%s: %s: mode %o, want an executable bash script", tc.name, f.Path, f.Mode)
				}
				syntaxCheck(t, tc.name+": "+f.Path, string(f.Content))
				if sc := shellcheck(); sc != "" {
					cmd := exec.Command(sc, "-")
					cmd.Stdin = bytes.NewReader(f.Content)
					if out, err := cmd.CombinedOutput(); err != nil {
						t.Errorf("%s: shellcheck %s: %v\n%s", tc.name, f.Path, err, out)
					}
				}
			}
		}
	}
}

// TestFilePaths pins where each provider writes.
func TestFilePaths(t *testing.T) {
	want := map[string][]string{
		"github-single":    {".github/workflows/polyarch.yml"},
		"gitlab-fanout":    {".gitlab-ci.yml"},
		"travis-single":    {".travis.yml"},
		"dockerhub":        {"hooks/pre_build", "hooks/build", "hooks/push"},
		"dockerhub-subdir": {"docker/hooks/pre_build", "docker/hooks/build", "docker/hooks/push"},
	}
	for _, tc := range goldenCases() {
		w, ok := want[tc.name]
		if !ok {
			continue
		}
		var got []string
		for _, f := range tc.generate(t) {
			got = append(got, f.Path)
		}
		if strings.Join(got, " ") != strings.Join(w, " ") {
			t.Errorf("%s: files %v, want %v", tc.name, got, w)
		}
	}
}

func TestMain(m *testing.M) {
	// The scripts run below must not see a CI's own variables.
	for _, k := range []string{"GITHUB_REF", "CI_COMMIT_TAG", "TRAVIS_TAG"} {
		os.Unsetenv(k)
	}
	os.Exit(m.Run())
}
