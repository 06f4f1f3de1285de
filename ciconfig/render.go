package ciconfig

import (
	"bytes"
	"embed"
	"fmt"
	"strings"
	"text/template"
)

//go:embed templates/*.tmpl
var templateFS embed.FS

// The templates use [[ ]] so that GitHub's ${{ }} expressions stay literal.
var templates = template.Must(template.New("").Delims("[[", "]]").Option("missingkey=error").ParseFS(templateFS, "templates/*.tmpl"))

// render executes one template; the text ends in exactly one newline.
func render(name string, data any) (string, error) {
	var b bytes.Buffer
	if err := templates.ExecuteTemplate(&b, name, data); err != nil {
		return "", fmt.Errorf("rendering %s: %w", name, err)
	}
	// The {{define}}s at the end of a template leave blank lines behind.
	return strings.TrimRight(b.String(), "\n") + "\n", nil
}

// block indents a shell snippet for a YAML block scalar, without its final
// newline (the template supplies line ends).
func block(n int, script string) string {
	return strings.TrimRight(indent(n, script), "\n")
}
