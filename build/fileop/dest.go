package fileop

import (
	"errors"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"syscall"
)

// dest is the destination side of a copy: the merged view of Out above
// Target, which is what the image will show, and the metadata of the
// directories of Out, set once everything below them is written.
type dest struct {
	out    string
	view   *Union
	fixups map[string]meta
	order  []string
}

func newDest(out string, target *Union) *dest {
	dirs := []string{out}
	var opts []UnionOption
	if target != nil {
		dirs = append(dirs, target.dirs...)
		opts = append(opts, WithOpaqueXattr(target.opaque))
	}
	return &dest{out: out, view: NewUnion(dirs, opts...), fixups: map[string]meta{}}
}

// host returns the path of rel inside Out.
func (d *dest) host(rel string) string {
	return filepath.Join(d.out, filepath.FromSlash(rel))
}

// setDirMeta records the metadata the directory rel of Out gets at the end.
func (d *dest) setDirMeta(rel string, m meta) {
	if _, ok := d.fixups[rel]; !ok {
		d.order = append(d.order, rel)
	}
	d.fixups[rel] = m
}

// finish applies the recorded directory metadata, deepest last-created
// first, now that no entry will be added below them.
func (d *dest) finish() error {
	for i := len(d.order) - 1; i >= 0; i-- {
		rel := d.order[i]
		if err := d.fixups[rel].apply(d.host(rel)); err != nil {
			return err
		}
	}
	return nil
}

// resolve resolves rel in the view, following every symlink.
func (d *dest) resolve(rel string) (string, error) {
	return d.view.Resolve(rel, true)
}

// lookup returns the view's entry at the resolved path rel, and whether
// it exists.
func (d *dest) lookup(rel string) (entry, bool, error) {
	e, err := d.view.lookup(rel)
	if errors.Is(err, fs.ErrNotExist) {
		return entry{}, false, nil
	}
	return e, err == nil, err
}

// ensureDir makes the resolved path rel a directory present in Out and
// returns its entry. Missing directories are created with the metadata
// created gives; directories that exist only in Target are reproduced in
// Out with their own metadata, so the new layer does not change them.
func (d *dest) ensureDir(rel string, created func() (meta, error)) (entry, error) {
	e, err := d.view.root()
	if err != nil {
		return entry{}, err
	}
	for _, c := range components(rel) {
		if e, err = d.ensureChild(e, c, created, false); err != nil {
			return entry{}, err
		}
	}
	return e, nil
}

// ensureChild makes name, in the directory p of Out, a directory present
// in Out. A directory created, or any directory when overwrite is set,
// gets the metadata mk gives; one reproduced from Target keeps its own.
// A non-directory in the way fails with ENOTDIR.
func (d *dest) ensureChild(p entry, name string, mk func() (meta, error), overwrite bool) (entry, error) {
	rel := path.Join(p.rel, name)
	e, err := d.view.child(p, name)
	exists := err == nil
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return entry{}, err
	case !e.isDir():
		return entry{}, &fs.PathError{Op: "mkdir", Path: display(rel), Err: syscall.ENOTDIR}
	case e.layer == 0 && !overwrite:
		return e, nil
	}
	if !exists || e.layer != 0 {
		if err := os.Mkdir(d.host(rel), 0o700); err != nil {
			return entry{}, err
		}
	}
	var m meta
	if exists && !overwrite {
		m, err = readMeta(e.host, e.fi)
	} else {
		m, err = mk()
	}
	if err == nil && exists && overwrite {
		// The image's xattrs stay unless the new metadata sets them, as
		// copying xattrs onto an existing directory does.
		m.xattrs, err = d.mergeXattrs(rel, e.host, m.xattrs)
	}
	if err != nil {
		return entry{}, err
	}
	d.setDirMeta(rel, m)
	return d.view.child(p, name)
}

// mergeXattrs returns the xattrs the directory rel has so far (those
// recorded for Out, else those of its host entry) overridden by over.
func (d *dest) mergeXattrs(rel, host string, over map[string][]byte) (map[string][]byte, error) {
	var x map[string][]byte
	if f, ok := d.fixups[rel]; ok {
		x = f.xattrs
	} else {
		var err error
		if x, err = readXattrs(host); err != nil {
			return nil, err
		}
	}
	merged := make(map[string][]byte, len(x)+len(over))
	for k, v := range x {
		merged[k] = v
	}
	for k, v := range over {
		merged[k] = v
	}
	return merged, nil
}
