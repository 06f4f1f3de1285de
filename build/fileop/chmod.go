package fileop

import (
	"errors"
	"fmt"
	"io/fs"
	"strconv"

	mode "github.com/tonistiigi/dchapes-mode"
)

// chmod is a parsed --chmod value.
type chmod struct {
	set    bool
	octal  bool
	bits   fs.FileMode // for octal: permission and special bits, Go spelling
	symset mode.Set
}

// parseChmod parses --chmod as BuildKit's dockerfile2llb does: an octal
// number up to 07777, else a chmod(1) symbolic mode. The error text is
// BuildKit's, since users search for it.
func parseChmod(s string) (chmod, error) {
	if s == "" {
		return chmod{}, nil
	}
	nonOctal := fmt.Errorf("invalid chmod parameter: '%v'. it should be octal string and between 0 and 07777", s)
	if p, err := strconv.ParseUint(s, 8, 32); err == nil {
		if p > 0o7777 {
			return chmod{}, nonOctal
		}
		return chmod{set: true, octal: true, bits: octalToMode(uint32(p))}, nil
	}
	set, err := mode.Parse(s)
	if err != nil {
		var ne *strconv.NumError
		if errors.As(err, &ne) {
			return chmod{}, nonOctal
		}
		return chmod{}, fmt.Errorf("invalid chmod parameter %q: %w", s, err)
	}
	return chmod{set: true, symset: set}, nil
}

// octalToMode converts chmod(1) octal bits to an fs.FileMode.
func octalToMode(p uint32) fs.FileMode {
	m := fs.FileMode(p & 0o777)
	if p&0o4000 != 0 {
		m |= fs.ModeSetuid
	}
	if p&0o2000 != 0 {
		m |= fs.ModeSetgid
	}
	if p&0o1000 != 0 {
		m |= fs.ModeSticky
	}
	return m
}

// apply returns m (type bits included) with the chmod applied. An octal
// mode replaces the permission and special bits; a symbolic one edits them
// ("X" sees whether m is a directory).
func (c chmod) apply(m fs.FileMode) fs.FileMode {
	switch {
	case !c.set:
		return m
	case c.octal:
		return m&fs.ModeType | c.bits
	default:
		return c.symset.Apply(m)
	}
}
