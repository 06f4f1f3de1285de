package build

import (
	"fmt"
	"path/filepath"
	"strings"

	securejoin "github.com/cyphar/filepath-securejoin"
)

// Context is the build context: a directory and what .dockerignore hides.
type Context struct {
	Dir string
	// Ignore reports whether a context path (slash-separated, relative) is
	// excluded by .dockerignore; nil excludes nothing.
	Ignore func(rel string) (bool, error)
	// IgnoreExceptions says the .dockerignore has "!" exceptions.
	IgnoreExceptions bool
	// Secrets maps --secret ids to host files.
	Secrets map[string]string
	// SSH maps --ssh ids to agent sockets.
	SSH map[string]string
}

// path resolves rel inside the context directory, never outside it.
func (c Context) path(rel string) (string, error) {
	if c.Dir == "" {
		return "", fmt.Errorf("no build context")
	}
	clean := filepath.Clean("/" + rel)
	if strings.HasPrefix(filepath.Clean(rel), "..") {
		return "", fmt.Errorf("%s is outside the build context", rel)
	}
	return securejoin.SecureJoin(c.Dir, clean)
}
