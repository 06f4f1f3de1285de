package binfmt

import (
	"bufio"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// DefaultMount is where binfmt_misc is mounted on a normal Linux host.
const DefaultMount = "/proc/sys/fs/binfmt_misc"

// Entry is one binfmt_misc registration, as registered or as read back from
// <mount>/<name>.
type Entry struct {
	Name        string   `json:"name"`
	Enabled     bool     `json:"enabled"`
	Interpreter string   `json:"interpreter"`
	Flags       string   `json:"flags"`               // subset of "POCF", as the kernel prints them
	Offset      int      `json:"offset"`              // magic entries only
	Magic       HexBytes `json:"magic,omitempty"`     // magic entries only
	Mask        HexBytes `json:"mask,omitempty"`      // magic entries only
	Extension   string   `json:"extension,omitempty"` // extension entries only (e.g. "jar")
	// Seq orders entries by registration: higher is newer. binfmt_misc
	// lists its directory newest first (new dentries go to the head of the
	// parent's child list), which is also the order the kernel tries them.
	Seq int `json:"-"`
}

// HexBytes is a byte string shown as lowercase hex, the way the kernel
// prints magic and mask.
type HexBytes []byte

// MarshalText encodes b as hex.
func (b HexBytes) MarshalText() ([]byte, error) { return []byte(hex.EncodeToString(b)), nil }

// UnmarshalText decodes hex.
func (b *HexBytes) UnmarshalText(text []byte) error {
	v, err := hex.DecodeString(string(text))
	*b = v
	return err
}

// HasFlag reports whether flag (one of 'P', 'O', 'C', 'F') is set.
func (e Entry) HasFlag(flag byte) bool { return strings.IndexByte(e.Flags, flag) >= 0 }

// Matches reports whether the kernel would hand a file starting with header
// to this entry (extension entries never match a header).
func (e Entry) Matches(header []byte) bool {
	if e.Extension != "" || len(e.Magic) == 0 {
		return false
	}
	return matchMagic(e.Magic, e.Mask, e.Offset, header)
}

// Serves reports whether this entry would run binaries of handler h: it
// matches h's own magic (which carries the bits every binary of that CPU has).
func (e Entry) Serves(h Handler) bool { return e.Enabled && e.Matches(h.Magic) }

// Owned reports whether polyarch registered this entry.
func (e Entry) Owned() bool { return strings.HasPrefix(e.Name, EntryPrefix) }

// ParseEntry decodes the text the kernel prints for one entry.
func ParseEntry(name, text string) (Entry, error) {
	e := Entry{Name: name}
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		key, val, _ := strings.Cut(line, " ")
		var err error
		switch key {
		case "enabled":
			e.Enabled = true
		case "disabled":
			e.Enabled = false
		case "interpreter":
			e.Interpreter = val
		case "flags:":
			e.Flags = val
		case "offset":
			e.Offset, err = strconv.Atoi(val)
		case "magic":
			e.Magic, err = hex.DecodeString(val)
		case "mask":
			e.Mask, err = hex.DecodeString(val)
		case "extension":
			e.Extension = strings.TrimPrefix(val, ".")
		case "":
		default:
			err = fmt.Errorf("unknown field %q", key)
		}
		if err != nil {
			return Entry{}, fmt.Errorf("decoding binfmt_misc entry %s: %w", name, err)
		}
	}
	if len(e.Magic) == 0 && e.Extension == "" {
		return Entry{}, fmt.Errorf("decoding binfmt_misc entry %s: neither magic nor extension", name)
	}
	return e, nil
}

// ErrNotMounted means binfmt_misc is not mounted where it was looked for.
var ErrNotMounted = errors.New("binfmt_misc is not mounted; run: polyarch binfmt mount")

// Read returns every entry of the binfmt_misc mounted at mount, newest first
// (the kernel tries entries newest first, so the first match wins).
func Read(mount string) ([]Entry, error) {
	if err := checkMounted(mount); err != nil {
		return nil, err
	}
	dirents, err := readDirUnsorted(mount)
	if err != nil {
		return nil, fmt.Errorf("reading binfmt_misc at %s: %w", mount, err)
	}
	var out []Entry
	for i, d := range dirents {
		if d.Name() == "register" || d.Name() == "status" {
			continue
		}
		e, err := readEntry(mount, d)
		if errors.Is(err, fs.ErrNotExist) {
			continue // removed while we listed
		}
		if err != nil {
			return nil, err
		}
		e.Seq = len(dirents) - i
		out = append(out, e)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Seq > out[j].Seq })
	return out, nil
}

func readEntry(mount string, d fs.DirEntry) (Entry, error) {
	b, err := os.ReadFile(filepath.Join(mount, d.Name()))
	if err != nil {
		return Entry{}, fmt.Errorf("reading binfmt_misc entry %s: %w", d.Name(), err)
	}
	return ParseEntry(d.Name(), string(b))
}

// readDirUnsorted lists dir in the order the filesystem returns it
// (os.ReadDir would sort by name and lose the registration order).
func readDirUnsorted(dir string) ([]fs.DirEntry, error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return f.ReadDir(-1)
}

// checkMounted returns ErrNotMounted unless mount holds a binfmt_misc
// filesystem (it has a "register" file).
func checkMounted(mount string) error {
	if _, err := os.Stat(filepath.Join(mount, "register")); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("%s: %w", mount, ErrNotMounted)
		}
		return fmt.Errorf("checking binfmt_misc at %s: %w", mount, err)
	}
	return nil
}

// Winner returns the entry the kernel would use for binaries of handler h
// among entries (as Read returns them, newest first), and every other entry
// that also serves h.
func Winner(entries []Entry, h Handler) (win Entry, shadowed []Entry, ok bool) {
	for _, e := range entries {
		if !e.Serves(h) {
			continue
		}
		if !ok {
			win, ok = e, true
			continue
		}
		shadowed = append(shadowed, e)
	}
	return win, shadowed, ok
}
