package bake

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/polyarch/polyarch/platform"
)

// UnsupportedError reports a platform the preprocessor refused with #error:
// the target skips it.
type UnsupportedError struct {
	Platform string
	// Message is the #error line the preprocessor printed.
	Message string
}

func (e *UnsupportedError) Error() string {
	return fmt.Sprintf("%s is not supported: %s", e.Platform, e.Message)
}

// preprocess runs pp's command in dir for one platform and returns the
// Dockerfile it prints. A failure whose stderr mentions #error is an
// *UnsupportedError.
func preprocess(ctx context.Context, dir string, pp *Preprocess, p platform.Platform, arch, date string) ([]byte, error) {
	if len(pp.Command) == 0 {
		return nil, errors.New("preprocess: command is empty (e.g. [cpp, -P, -traditional, -D, \"ARCH_{ARCH}\"])")
	}
	tmpl := pp.Template
	if tmpl == "" {
		return nil, errors.New("preprocess: template is empty (the file turned into each platform's Dockerfile)")
	}
	if !filepath.IsAbs(tmpl) {
		tmpl = filepath.Join(dir, tmpl)
	}
	argv := make([]string, len(pp.Command))
	onStdin := true
	for i, a := range pp.Command {
		if strings.Contains(a, "{template}") {
			onStdin = false
			a = strings.ReplaceAll(a, "{template}", tmpl)
		}
		argv[i] = placeholders(a, arch, date)
	}
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = dir
	if onStdin {
		f, err := os.Open(tmpl)
		if err != nil {
			return nil, fmt.Errorf("preprocess: %w", err)
		}
		defer f.Close()
		cmd.Stdin = f
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if msg, ok := errorDirective(stderr.String()); ok {
			return nil, &UnsupportedError{Platform: platform.Format(p), Message: msg}
		}
		return nil, fmt.Errorf("preprocessing %s for %s (%s): %w\n%s", pp.Template, platform.Format(p), strings.Join(argv, " "), err, tail(stderr.String(), 10))
	}
	if len(bytes.TrimSpace(stdout.Bytes())) == 0 {
		return nil, fmt.Errorf("preprocessing %s for %s (%s) printed nothing", pp.Template, platform.Format(p), strings.Join(argv, " "))
	}
	return stdout.Bytes(), nil
}

// errorDirective finds the #error line in a preprocessor's stderr and
// returns it from "#error" on.
func errorDirective(stderr string) (string, bool) {
	for _, line := range strings.Split(stderr, "\n") {
		if i := strings.Index(line, "#error"); i >= 0 {
			return strings.TrimSpace(line[i:]), true
		}
	}
	return "", false
}

// tail is the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
