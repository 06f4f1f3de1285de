package fileop

import (
	"io/fs"
	"os"
	"path"
	"syscall"
)

// Lstat returns the merged entry at rel and the host path of the layer
// entry that wins. Symlinks in the parent directories are resolved inside
// the union; a final symlink is not followed. A whited-out path, or one
// below an opaque directory that exists only in lower layers, does not
// exist (the error satisfies errors.Is(err, fs.ErrNotExist)).
func (u *Union) Lstat(rel string) (fs.FileInfo, string, error) {
	e, err := u.lstat(rel)
	if err != nil {
		return nil, "", err
	}
	return e.fi, e.host, nil
}

// Stat is Lstat that also follows a final symlink.
func (u *Union) Stat(rel string) (fs.FileInfo, string, error) {
	e, err := u.stat(rel)
	if err != nil {
		return nil, "", err
	}
	return e.fi, e.host, nil
}

// ReadDir lists the merged directory at rel (symlinks followed), sorted by
// name, with whited-out names removed and opaque directories respected.
// The infos are those of the winning layer entries.
func (u *Union) ReadDir(rel string) ([]fs.DirEntry, error) {
	e, err := u.stat(rel)
	if err != nil {
		return nil, err
	}
	if !e.isDir() {
		return nil, &fs.PathError{Op: "readdir", Path: display(e.rel), Err: syscall.ENOTDIR}
	}
	children, err := u.readDir(e)
	if err != nil {
		return nil, err
	}
	out := make([]fs.DirEntry, len(children))
	for i, c := range children {
		out[i] = fs.FileInfoToDirEntry(c.fi)
	}
	return out, nil
}

// Open opens the file at rel (symlinks followed) for reading, from the
// layer that wins. A directory fails with EISDIR: only ReadDir shows its
// merged contents.
func (u *Union) Open(rel string) (*os.File, error) {
	e, err := u.stat(rel)
	if err != nil {
		return nil, err
	}
	if e.isDir() {
		return nil, &fs.PathError{Op: "open", Path: display(e.rel), Err: syscall.EISDIR}
	}
	return os.Open(e.host)
}

// Readlink returns the target of the symlink at rel, as stored: it is not
// resolved (Resolve does that).
func (u *Union) Readlink(rel string) (string, error) {
	e, err := u.lstat(rel)
	if err != nil {
		return "", err
	}
	if !e.isSymlink() {
		return "", &fs.PathError{Op: "readlink", Path: display(e.rel), Err: syscall.EINVAL}
	}
	return os.Readlink(e.host)
}

// lstat resolves the parent of rel and looks its last component up
// without following it.
func (u *Union) lstat(rel string) (entry, error) {
	c := components(rel)
	if len(c) == 0 {
		return u.root()
	}
	parent, p, err := u.resolve(path.Join(c[:len(c)-1]...), true)
	if err != nil {
		return entry{}, err
	}
	name := c[len(c)-1]
	if parent.fi == nil {
		return entry{}, &fs.PathError{Op: "lstat", Path: display(path.Join(p, name)), Err: fs.ErrNotExist}
	}
	return u.child(parent, name)
}

// stat resolves rel completely and looks the result up.
func (u *Union) stat(rel string) (entry, error) {
	e, p, err := u.resolve(rel, true)
	if err != nil {
		return entry{}, err
	}
	if e.fi == nil {
		return entry{}, &fs.PathError{Op: "stat", Path: display(p), Err: fs.ErrNotExist}
	}
	return e, nil
}
