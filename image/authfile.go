package image

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// authDoc is a Docker config.json being edited. Only "auths" is decoded
// further; every other field, and every field of the entries not edited, is
// kept byte for byte (as JSON values; the file is re-indented).
type authDoc struct {
	path  string
	top   map[string]json.RawMessage
	auths map[string]map[string]json.RawMessage
}

// readAuthDoc reads path; a missing file is an empty document.
func readAuthDoc(path string) (*authDoc, error) {
	d := &authDoc{path: path, top: map[string]json.RawMessage{}, auths: map[string]map[string]json.RawMessage{}}
	raw, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return d, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading auth file: %w", err)
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return d, nil
	}
	if err := json.Unmarshal(raw, &d.top); err != nil {
		return nil, fmt.Errorf("parsing auth file %s: %w (fix the JSON or move the file away)", path, err)
	}
	if d.top == nil { // the file said null
		d.top = map[string]json.RawMessage{}
	}
	if a, ok := d.top["auths"]; ok && !bytes.Equal(bytes.TrimSpace(a), []byte("null")) {
		if err := json.Unmarshal(a, &d.auths); err != nil {
			return nil, fmt.Errorf("parsing auth file %s: \"auths\": %w", path, err)
		}
		if d.auths == nil {
			d.auths = map[string]map[string]json.RawMessage{}
		}
	}
	return d, nil
}

// helper returns the credential helper the file configures for key, or "".
// Malformed helper fields count as none; docker/cli's parser, used for
// reading credentials, reports them.
func (d *authDoc) helper(key string) string {
	var perRegistry map[string]string
	var store string
	_ = json.Unmarshal(d.top["credHelpers"], &perRegistry)
	_ = json.Unmarshal(d.top["credsStore"], &store)
	return credentialHelper(perRegistry, store, key)
}

// write replaces the file atomically with mode 0600, creating its directory
// (0700) if needed. A symlinked file is written through the link.
func (d *authDoc) write() error {
	auths, err := json.Marshal(d.auths)
	if err != nil {
		return err
	}
	d.top["auths"] = auths
	raw, err := json.MarshalIndent(d.top, "", "\t")
	if err != nil {
		return fmt.Errorf("encoding auth file: %w", err)
	}
	path := d.path
	if real, err := filepath.EvalSymlinks(path); err == nil {
		path = real
	}
	return writeFileAtomic(path, append(raw, '\n'))
}

// writeFileAtomic writes data to a temp file beside path, syncs it and
// renames it over path, so readers see the old or the new file, never half.
func writeFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("writing auth file: %w", err)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*") // created 0600
	if err != nil {
		return fmt.Errorf("writing auth file: %w", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // fails harmlessly once renamed
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(0o600)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		return fmt.Errorf("writing auth file %s: %w", path, err)
	}
	return nil
}
