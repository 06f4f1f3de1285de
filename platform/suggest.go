package platform

import (
	"fmt"
	"strings"
)

// Suggest returns the known spelling nearest to s by edit distance
// (transpositions count once), or "" when nothing is close: "arm46" ->
// "arm64", "linux/aarhc64" -> "linux/aarch64". Candidates are every name of
// every spelling table plus the canonical "arch/variant" forms; on a tie the
// earlier platform in Known order wins.
func Suggest(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	prefix := ""
	if rest, ok := strings.CutPrefix(s, "linux/"); ok {
		prefix, s = "linux/", rest
	}
	if s == "" {
		return ""
	}
	maxDist := min(max(len(s)/3, 1), 3)
	best, bestDist := "", maxDist+1
	for _, c := range candidates() {
		if abs(len(c)-len(s)) >= bestDist {
			continue
		}
		if d := distance(s, c); d < bestDist {
			best, bestDist = c, d
		}
	}
	if best == "" {
		return ""
	}
	return prefix + best
}

// candidates lists every spelling Suggest may propose, in Known order.
func candidates() []string {
	var out []string
	for _, s := range spellings {
		if s.variant != "" {
			out = append(out, s.arch+"/"+s.variant)
		}
		for _, n := range s.names() {
			if n != "" {
				out = append(out, n)
			}
		}
	}
	for _, level := range amd64Levels {
		out = append(out, "amd64/"+level)
	}
	return out
}

// distance is the optimal string alignment distance between a and b:
// Levenshtein plus adjacent transposition, so "arm46" is 1 from "arm64".
func distance(a, b string) int {
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// unknown builds the error for a specifier whose architecture nobody spells
// that way: with a suggestion when one is close, else with the known list.
func unknown(spec string) error {
	if sug := Suggest(spec); sug != "" {
		return fmt.Errorf("%w %q: did you mean %q?", ErrUnknownPlatform, spec, sug)
	}
	known := Known()
	names := make([]string, len(known))
	for i, p := range known {
		names[i] = Format(p)
	}
	return fmt.Errorf("%w %q (known: %s; aliases such as aarch64, armhf, arm32v7, x86_64 work too)",
		ErrUnknownPlatform, spec, strings.Join(names, ", "))
}
