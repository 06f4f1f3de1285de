package ciconfig

import "strings"

// TagScript is the POSIX shell every generated config runs to turn a git ref
// into image tags. It reads $ref and sets $tags, one tag per line, or exits 1
// for a ref it has no rule for. The rules are docker/metadata-action's with
// its semver recipe (type=ref,event=branch, type=ref,event=pr,
// type=semver,pattern={{version}}, type=semver,pattern={{major}}.{{minor}},
// flavor latest=auto):
//
//	refs/heads/main                 → main       (no latest for a branch, not even the default one)
//	refs/heads/feature/x            → feature-x
//	refs/tags/v1.2.3 (or 1.2.3)     → 1.2.3, 1.2, latest
//	refs/tags/v1.2.3-rc.1           → 1.2.3-rc.1 (a pre-release moves neither 1.2 nor latest)
//	refs/tags/nightly               → nightly    (a tag that is no version: its name)
//	refs/pull/42/merge              → pr-42      (built, never pushed)
//	refs/merge-requests/7/head      → mr-7       (GitLab; built, never pushed)
//
// Characters an image tag may not hold become "-", leading "." and "-" are
// dropped, and tags are cut at 128 characters. As with metadata-action,
// pushing an older stable version moves latest back to it.
const TagScript = `case "$ref" in
refs/tags/*)
  name=${ref#refs/tags/}
  version=${name#v}
  if printf '%s\n' "$version" | grep -Eq '^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$'; then
    tags=$(printf '%s\n' "$version" "${version%.*}" latest)
  elif printf '%s\n' "$version" | grep -Eq '^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)-[0-9A-Za-z.-]+$'; then
    tags=$version
  else
    tags=$name
  fi
  ;;
refs/heads/*) tags=${ref#refs/heads/} ;;
refs/pull/*) tags=${ref#refs/pull/} && tags=pr-${tags%%/*} ;;
refs/merge-requests/*) tags=${ref#refs/merge-requests/} && tags=mr-${tags%%/*} ;;
*) echo "no image tag rule for git ref '$ref'" >&2; exit 1 ;;
esac
tags=$(printf '%s\n' "$tags" | LC_ALL=C sed -e 's/[^A-Za-z0-9_.-]/-/g' -e 's/^[.-]*//' | cut -c1-128)
if [ -z "$tags" ]; then echo "no image tag for git ref '$ref'" >&2; exit 1; fi
`

// digestScript prints the digest polyarch build --metadata-file wrote to
// meta.json, for images without jq (the golang image). It reads indented and
// compact JSON alike.
const digestScript = `sed -n 's/.*"containerimage\.digest": *"\(sha256:[0-9a-f]*\)".*/\1/p' meta.json`

// userNSScript lets unprivileged processes create user namespaces where
// Ubuntu's AppArmor forbids it (Ubuntu ≥ 24.04): polyarch's sandboxes are
// rootless.
const userNSScript = `if [ "$(cat /proc/sys/kernel/apparmor_restrict_unprivileged_userns 2>/dev/null)" = 1 ]; then
  sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0
fi
`

// indent prefixes every non-empty line of s with n spaces.
func indent(n int, s string) string {
	pad := strings.Repeat(" ", n)
	lines := strings.SplitAfter(s, "\n")
	var b strings.Builder
	for _, l := range lines {
		if strings.TrimSpace(l) != "" {
			b.WriteString(pad)
		}
		b.WriteString(l)
	}
	return b.String()
}
