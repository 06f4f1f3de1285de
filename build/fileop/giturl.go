package fileop

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// GitRef is an ADD git source split into its parts.
type GitRef struct {
	// Remote is what git clones: the URL without fragment or query.
	Remote string
	// Ref is a branch, a tag (either may be spelled refs/heads/..., refs/tags/...)
	// or a commit; empty for the default branch.
	Ref string
	// SubDir is the directory of the repository to copy ("" for all).
	SubDir string
	// Checksum is the commit the checkout must be (?checksum= or ?commit=).
	Checksum string
	// KeepGitDir and Submodules are the ?keep-git-dir= and ?submodules=
	// query values, nil when not given.
	KeepGitDir, Submodules *bool
}

// ParseGitURL splits an ADD git source as BuildKit does: the fragment is
// "#ref:subdir" (either part optional), and a URL-form source may carry
// the query parameters ref, tag, branch, subdir, checksum (or commit),
// keep-git-dir and submodules instead. Conflicting values are an error.
func ParseGitURL(s string) (GitRef, error) {
	remote, frag, _ := strings.Cut(s, "#")
	var g GitRef
	g.Ref, g.SubDir, _ = strings.Cut(frag, ":")
	if strings.HasPrefix(remote, "-") || remote == "" {
		return GitRef{}, fmt.Errorf("invalid git URL %q", s)
	}
	if u, err := url.Parse(remote); err == nil && u.Scheme != "" && u.RawQuery != "" {
		q := u.Query()
		u.RawQuery = ""
		remote = u.String()
		if err := g.loadQuery(q); err != nil {
			return GitRef{}, fmt.Errorf("git URL %s: %w", redact(s), err)
		}
	}
	g.Remote = remote
	return g, nil
}

// loadQuery applies BuildKit's git URL query parameters.
func (g *GitRef) loadQuery(q url.Values) error {
	set := func(field *string, name, v string) error {
		if *field != "" && *field != v {
			return fmt.Errorf("%s conflicts: %q vs %q", name, *field, v)
		}
		*field = v
		return nil
	}
	for k, vs := range q {
		if len(vs) > 1 {
			return fmt.Errorf("query %q has multiple values", k)
		}
		v := vs[0]
		var err error
		switch k {
		case "ref":
			err = set(&g.Ref, "ref", v)
		case "tag":
			err = set(&g.Ref, "ref", "refs/tags/"+strings.TrimPrefix(v, "refs/tags/"))
		case "branch":
			err = set(&g.Ref, "ref", "refs/heads/"+strings.TrimPrefix(v, "refs/heads/"))
		case "subdir":
			err = set(&g.SubDir, "subdir", v)
		case "checksum", "commit":
			g.Checksum = v
		case "keep-git-dir":
			g.KeepGitDir, err = parseBoolQuery(k, v)
		case "submodules":
			g.Submodules, err = parseBoolQuery(k, v)
		default:
			return fmt.Errorf("unexpected query %q", k)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// parseBoolQuery parses a boolean query value; an empty one means true.
func parseBoolQuery(k, v string) (*bool, error) {
	b := true
	if v != "" {
		var err error
		if b, err = strconv.ParseBool(v); err != nil {
			return nil, fmt.Errorf("invalid %s value: %q", k, v)
		}
	}
	return &b, nil
}

// isCommitish reports whether ref looks like a commit id (7 to 64 hex
// digits), which "git clone --branch" cannot check out.
func isCommitish(ref string) bool {
	if len(ref) < 7 || len(ref) > 64 {
		return false
	}
	for _, r := range ref {
		if !strings.ContainsRune("0123456789abcdef", r) {
			return false
		}
	}
	return true
}
