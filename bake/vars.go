package bake

import (
	"fmt"
	"strings"
)

// vars resolves ${NAME} references: the environment wins over a declared
// default; a default may itself use other variables.
type vars struct {
	defaults  map[string]string // declared variables
	getenv    func(string) string
	lenient   bool // compose: an unknown name is the environment's value or ""
	resolved  map[string]string
	resolving map[string]bool
}

func newVars(defaults map[string]string, getenv func(string) string) *vars {
	return &vars{defaults: defaults, getenv: getenv, resolved: map[string]string{}, resolving: map[string]bool{}}
}

// lookup returns a variable's value; ok is false for an unknown name.
func (v *vars) lookup(name string) (string, bool, error) {
	if val := v.getenv(name); val != "" {
		return val, true, nil
	}
	def, declared := v.defaults[name]
	if !declared {
		return "", v.lenient, nil
	}
	if val, ok := v.resolved[name]; ok {
		return val, true, nil
	}
	if v.resolving[name] {
		return "", false, fmt.Errorf("variable %s refers to itself through its default", name)
	}
	v.resolving[name] = true
	val, err := v.expand(def)
	delete(v.resolving, name)
	if err != nil {
		return "", false, fmt.Errorf("variable %s: %w", name, err)
	}
	v.resolved[name] = val
	return val, true, nil
}

// expand replaces ${NAME}, ${NAME:-default} and ${NAME-default} in s; $$
// is a literal $. A bare $NAME is left as written (for build args that a
// Dockerfile expands).
func (v *vars) expand(s string) (string, error) {
	if !strings.Contains(s, "$") {
		return s, nil
	}
	var sb strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c != '$' || i+1 == len(s):
			sb.WriteByte(c)
		case s[i+1] == '$':
			sb.WriteByte('$')
			i++
		case s[i+1] == '{':
			end := closingBrace(s[i:])
			if end < 0 {
				return "", fmt.Errorf("%q: ${ without a closing }", s)
			}
			val, err := v.reference(s[i+2 : i+end])
			if err != nil {
				return "", fmt.Errorf("%q: %w", s, err)
			}
			sb.WriteString(val)
			i += end
		default:
			sb.WriteByte(c)
		}
	}
	return sb.String(), nil
}

// closingBrace is the index of the } that closes the ${ s starts with,
// counting nested ${…}; -1 when there is none.
func closingBrace(s string) int {
	depth := 0
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '{':
			depth++
		case '}':
			if depth--; depth == 0 {
				return i
			}
		}
	}
	return -1
}

// reference evaluates what is between ${ and }.
func (v *vars) reference(ref string) (string, error) {
	name, def, hasDef, colon := ref, "", false, false
	if i := strings.Index(ref, "-"); i >= 0 {
		name, def, hasDef = ref[:i], ref[i+1:], true
		name, colon = strings.CutSuffix(name, ":")
	}
	if !validName(name) {
		return "", fmt.Errorf("${%s}: %q is not a variable name", ref, name)
	}
	val, ok, err := v.lookup(name)
	switch {
	case err != nil:
		return "", err
	case hasDef && (!ok || colon && val == ""):
		return v.expand(def)
	case !ok:
		return "", fmt.Errorf("${%s}: no such variable (declare it under variables:, or set it in the environment)", name)
	}
	return val, nil
}

func validName(s string) bool {
	if s == "" || s[0] >= '0' && s[0] <= '9' {
		return false
	}
	for _, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}
