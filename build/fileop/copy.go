package fileop

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path"
	"strings"
	"time"

	"github.com/moby/patternmatcher"
)

// Copy performs one COPY or ADD of local sources (and heredocs) with
// BuildKit's semantics, writing the result into req.Out as a new layer in
// overlay form. It never changes Src or Target. On error Out is left
// partly written: callers discard it.
func Copy(ctx context.Context, req Request) error {
	if err := req.validate(); err != nil {
		return err
	}
	c, err := newCopier(ctx, &req)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(req.Out, 0o755); err != nil {
		return req.fail(err)
	}
	items, err := c.expand()
	if err != nil {
		return err
	}
	if len(req.Heredocs) > 0 {
		docs, cleanup, err := c.heredocItems()
		defer cleanup()
		if err != nil {
			return req.fail(err)
		}
		items = append(items, docs...)
	}
	if err := c.checkMulti(items); err != nil {
		return err
	}
	for _, it := range items {
		if err := c.copyItem(it); err != nil {
			return req.fail(fmt.Errorf("copying %s to %s: %w", it.name, req.Dest, err))
		}
	}
	if err := c.checkParentsMatched(items); err != nil {
		return err
	}
	if err := c.dst.finish(); err != nil {
		return req.fail(err)
	}
	return nil
}

// item is one thing to copy: a source after wildcard expansion.
type item struct {
	src  *source
	name string // the path as named or matched; its base name names the copy
	e    entry  // what name leads to, symlinks followed
	// archive: ADD extracts it.
	archive bool
	// include is the --parents pattern below e ("" copies everything).
	include string
	// group and wildcard tie --parents items to their source, to report
	// a wildcard that matched nothing.
	group    int
	wildcard bool
	copied   int
}

// inode identifies a source file for hardlink detection.
type inode struct{ dev, ino uint64 }

// copier holds the state of one Copy.
type copier struct {
	ctx   context.Context
	req   *Request
	src   *source
	chmod chmod
	dst   *dest
	now   time.Time
	exc   *patternmatcher.PatternMatcher
	inc   *patternmatcher.PatternMatcher // of the current --parents item
	incP  string
	links map[inode]string // source inode -> Out path of its first copy
	cur   *item
}

func newCopier(ctx context.Context, req *Request) (*copier, error) {
	cm, err := parseChmod(req.Chmod)
	if err != nil {
		return nil, req.fail(err)
	}
	c := &copier{
		ctx:   ctx,
		req:   req,
		chmod: cm,
		dst:   newDest(req.Out, req.Target),
		now:   req.CreatedTime,
		links: map[inode]string{},
	}
	if c.now.IsZero() {
		c.now = time.Now()
	}
	if req.Src != nil {
		c.src = &source{u: req.Src, rootOwned: req.Context, context: req.Context}
		if req.Context {
			c.src.ignore, c.src.descendIgnored = req.Ignore, req.IgnoreExceptions
		}
	}
	if len(req.Exclude) > 0 {
		if c.exc, err = patternmatcher.New(req.Exclude); err != nil {
			return nil, req.fail(fmt.Errorf("invalid --exclude pattern: %w", err))
		}
	}
	return c, nil
}

// owner is the owner of what Copy creates itself: --chown, else root.
func (c *copier) owner() IDs {
	if c.req.Chown != nil {
		return *c.req.Chown
	}
	return IDs{}
}

// createdDir gives a directory Copy creates (a missing parent of Dest, or
// Dest itself) mode 0755, or --chmod applied as BuildKit does.
func (c *copier) createdDir() (meta, error) {
	return createdMeta(c.chmod.apply(fs.ModeDir|0o755), c.owner(), c.now), nil
}

// checkMulti enforces the Dockerfile reference's rule: several sources
// need a directory destination ending in "/". As BuildKit accepts it
// (silently keeping the last file), an existing directory is accepted too,
// and so is a set of sources that are all directories or archives, whose
// contents merge into Dest.
func (c *copier) checkMulti(items []*item) error {
	if c.req.Parents || len(items) < 2 || strings.HasSuffix(c.req.Dest, "/") {
		return nil
	}
	files := false
	for _, it := range items {
		files = files || (!it.e.isDir() && !it.archive)
	}
	if !files {
		return nil
	}
	if e, err := c.dst.view.stat(c.req.Dest); err == nil && e.isDir() {
		return nil
	}
	return fmt.Errorf("When using %s with more than one source file, %w", c.req.command(), ErrDestNotDir)
}

// copyItem copies one item to Dest with fsutil's rules: a directory's
// contents go into Dest (created if missing); a file goes into Dest when
// Dest is a directory, else becomes Dest.
func (c *copier) copyItem(it *item) error {
	c.cur = it
	if it.archive {
		return c.extract(it)
	}
	if err := c.setInclude(it.include); err != nil {
		return err
	}
	dest := c.req.Dest
	ensure := path.Dir(dest)
	if strings.HasSuffix(dest, "/") {
		ensure = dest
	}
	if err := c.ensureResolved(ensure); err != nil {
		return err
	}
	destRel, err := c.dst.resolve(dest)
	if err != nil {
		return err
	}
	de, exists, err := c.dst.lookup(destRel)
	if err != nil {
		return err
	}
	if it.e.isDir() {
		if exists && !de.isDir() {
			return fmt.Errorf("cannot copy to non-directory: %s", display(destRel))
		}
		root, err := c.dst.ensureDir(destRel, c.createdDir)
		if err != nil {
			return err
		}
		return c.copyDir(it.src, it.e, "", &dirTarget{rel: destRel, e: root, ready: true}, matchState{})
	}
	if exists && de.isDir() {
		destRel = path.Join(destRel, path.Base(it.name))
	}
	parentRel := cleanRel(path.Dir(destRel))
	pe, err := c.dst.ensureDir(parentRel, c.createdDir)
	if err != nil {
		return err
	}
	return c.writeNode(it.src, &dirTarget{rel: parentRel, e: pe, ready: true}, path.Base(destRel), it.e)
}

// ensureResolved creates the directory p of the view (symlinks followed).
func (c *copier) ensureResolved(p string) error {
	rel, err := c.dst.resolve(p)
	if err != nil {
		return err
	}
	_, err = c.dst.ensureDir(rel, c.createdDir)
	return err
}

// setInclude compiles the --parents pattern of the current item.
func (c *copier) setInclude(pattern string) error {
	c.inc, c.incP = nil, pattern
	if pattern == "" {
		return nil
	}
	pm, err := patternmatcher.New([]string{pattern})
	if err != nil {
		return fmt.Errorf("invalid --parents pattern %q: %w", pattern, err)
	}
	c.inc = pm
	return nil
}
