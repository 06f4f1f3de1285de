package fileop

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// OpaqueXattrUser is the xattr marking an opaque directory when overlayfs is
// mounted with "userxattr", as polyarch always does.
// See https://docs.kernel.org/filesystems/overlayfs.html#whiteouts-and-opaque-directories
const OpaqueXattrUser = "user.overlay.opaque"

// Union is a read-only merged view of a stack of layer directories in
// overlay form, uppermost first, as overlayfs would show it: a 0/0
// character device hides the same name in lower layers, a directory whose
// opaque xattr is "y" hides lower layers' contents, and a non-directory
// hides everything below it. A plain directory (the build context) is a
// Union of one directory.
//
// Paths given to Union methods are relative to the union root; a leading
// "/" is allowed and ".." never climbs above the root. A Union holds no
// cache: it reads the directories on every call, so it always shows their
// current contents. It is safe for concurrent use.
type Union struct {
	dirs   []string
	opaque string
}

// UnionOption configures NewUnion.
type UnionOption func(*Union)

// WithOpaqueXattr names the xattr that marks opaque directories. Default
// OpaqueXattrUser; layers made for an overlay mounted without "userxattr"
// use "trusted.overlay.opaque".
func WithOpaqueXattr(name string) UnionOption {
	return func(u *Union) { u.opaque = name }
}

// NewUnion returns the merged view of dirs, uppermost first. A directory
// that does not exist is an empty layer.
func NewUnion(dirs []string, opts ...UnionOption) *Union {
	u := &Union{dirs: append([]string(nil), dirs...), opaque: OpaqueXattrUser}
	for _, o := range opts {
		o(u)
	}
	return u
}

// Dirs returns the layer directories, uppermost first.
func (u *Union) Dirs() []string { return append([]string(nil), u.dirs...) }

// entry is one path of the merged view.
type entry struct {
	rel    string      // clean, slash-separated, "" for the root
	host   string      // host path of the winning (uppermost) entry
	layer  int         // index of the winning layer
	fi     fs.FileInfo // Lstat of host
	layers []int       // for directories: the layers merged into it, uppermost first
}

func (e entry) isDir() bool     { return e.fi.IsDir() }
func (e entry) isSymlink() bool { return e.fi.Mode()&fs.ModeSymlink != 0 }

// display is the path as shown in messages: absolute within the union.
func display(rel string) string { return "/" + rel }

// isWhiteout reports whether fi is an overlay whiteout: a 0/0 char device.
func isWhiteout(fi fs.FileInfo) bool {
	if fi.Mode()&fs.ModeCharDevice == 0 {
		return false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && st.Rdev == 0
}

// opaqueAt reports whether the directory host of layer i hides the layers
// below it. The lowest layer has nothing below, so it is not asked (a
// plain directory then costs no xattr lookups).
func (u *Union) opaqueAt(i int, host string) bool {
	if i == len(u.dirs)-1 {
		return false
	}
	buf := make([]byte, 8)
	n, err := unix.Lgetxattr(host, u.opaque, buf)
	return err == nil && n == 1 && buf[0] == 'y'
}

// root returns the union root entry.
func (u *Union) root() (entry, error) {
	e := entry{layer: -1}
	for i, d := range u.dirs {
		fi, err := os.Stat(d) // the layer directories themselves are the caller's: follow them
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return entry{}, fmt.Errorf("reading layer %s: %w", d, err)
		}
		if !fi.IsDir() {
			return entry{}, fmt.Errorf("layer %s is not a directory", d)
		}
		if e.layer < 0 {
			e.host, e.layer, e.fi = d, i, fi
		}
		e.layers = append(e.layers, i)
		if u.opaqueAt(i, d) {
			break
		}
	}
	if e.layer < 0 {
		return entry{}, &fs.PathError{Op: "lstat", Path: "/", Err: fs.ErrNotExist}
	}
	return e, nil
}

// child looks name up in the directory p, without following a symlink.
func (u *Union) child(p entry, name string) (entry, error) {
	rel := path.Join(p.rel, name)
	if !p.isDir() {
		return entry{}, &fs.PathError{Op: "lstat", Path: display(rel), Err: syscall.ENOTDIR}
	}
	out := entry{rel: rel, layer: -1}
	for _, i := range p.layers {
		h := filepath.Join(u.dirs[i], filepath.FromSlash(rel))
		fi, err := os.Lstat(h)
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
			continue
		}
		if err != nil {
			return entry{}, err
		}
		if out.layer < 0 {
			if isWhiteout(fi) {
				break
			}
			out.host, out.layer, out.fi = h, i, fi
			if !fi.IsDir() {
				return out, nil
			}
		} else if !fi.IsDir() {
			break // a lower whiteout or non-directory ends the merge
		}
		out.layers = append(out.layers, i)
		if u.opaqueAt(i, h) {
			break
		}
	}
	if out.layer < 0 {
		return entry{}, &fs.PathError{Op: "lstat", Path: display(rel), Err: fs.ErrNotExist}
	}
	return out, nil
}

// lookup finds rel literally: no symlink is followed, and an intermediate
// component that is not a directory fails with ENOTDIR.
func (u *Union) lookup(rel string) (entry, error) {
	e, err := u.root()
	if err != nil {
		return entry{}, err
	}
	for _, c := range components(rel) {
		if e, err = u.child(e, c); err != nil {
			return entry{}, err
		}
	}
	return e, nil
}

// readDir lists the merged directory p, sorted by name, whiteouts removed.
func (u *Union) readDir(p entry) ([]entry, error) {
	type slot struct {
		e      entry
		open   bool // the winner is a directory still merging lower layers
		hidden bool
	}
	slots := map[string]*slot{}
	for _, i := range p.layers {
		hdir := filepath.Join(u.dirs[i], filepath.FromSlash(p.rel))
		des, err := os.ReadDir(hdir)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", display(p.rel), err)
		}
		for _, d := range des {
			s := slots[d.Name()]
			if s != nil && !s.open {
				continue
			}
			fi, err := d.Info()
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			if err != nil {
				return nil, err
			}
			h := filepath.Join(hdir, d.Name())
			switch {
			case s == nil && isWhiteout(fi):
				slots[d.Name()] = &slot{hidden: true}
			case s == nil:
				e := entry{rel: path.Join(p.rel, d.Name()), host: h, layer: i, fi: fi}
				s = &slot{e: e}
				if fi.IsDir() {
					s.e.layers, s.open = []int{i}, !u.opaqueAt(i, h)
				}
				slots[d.Name()] = s
			case !fi.IsDir():
				s.open = false
			default:
				s.e.layers = append(s.e.layers, i)
				s.open = !u.opaqueAt(i, h)
			}
		}
	}
	out := make([]entry, 0, len(slots))
	for _, s := range slots {
		if !s.hidden {
			out = append(out, s.e)
		}
	}
	sort.Slice(out, func(a, b int) bool { return out[a].rel < out[b].rel })
	return out, nil
}

// components splits a path into its names, dropping "" and ".", and
// resolving ".." lexically without climbing above the root.
func components(p string) []string {
	var out []string
	for _, c := range strings.Split(p, "/") {
		switch c {
		case "", ".":
		case "..":
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
		default:
			out = append(out, c)
		}
	}
	return out
}

// cleanRel returns p as a clean path relative to the union root ("" for
// the root), ".." clamped at the root.
func cleanRel(p string) string { return strings.Join(components(p), "/") }
