package build

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/polyarch/polyarch/build/dockerfile"
	"github.com/polyarch/polyarch/container"
	"github.com/polyarch/polyarch/platform"
	"github.com/polyarch/polyarch/sandbox"
)

// RunError is a RUN step that exited non-zero; the CLI exits with Code.
type RunError struct {
	Code int
	Cmd  string
	Tail string // the last lines of its output
}

func (e *RunError) Error() string {
	msg := fmt.Sprintf("RUN %s: exit code %d", e.Cmd, e.Code)
	if e.Tail != "" {
		msg += "\n" + e.Tail
	}
	return msg
}

// runStep runs a RUN instruction in the sandbox and commits its changes.
func (r *platformRun) runStep(ctx context.Context, s *dockerfile.Stage, st *stageResult, in *dockerfile.Instruction, c *dockerfile.Run, i, n int) error {
	args, heredocMounts, cleanup, err := runArgs(st, c)
	if err != nil {
		return err
	}
	defer cleanup()
	var rel releaser
	defer rel.release()
	mounts, mountEnv, err := r.runMounts(ctx, st, c, &rel)
	if err != nil {
		return err
	}
	network := c.Network
	if network == "" || network == "default" {
		network = r.b.o.network
	}
	key := st.key.chain(runKeyParts(st, c, args, in.Env, network, heredocMounts)...)
	if l, ok, err := r.lookup(ctx, s, key); err != nil {
		return err
	} else if ok {
		r.tr.send(r.event(StepCached, s, i, n, in))
		r.apply(s, st, in, key, l)
		return nil
	}
	start := time.Now()
	env := append(append(append([]string(nil), in.Env...), kvStrings(r.plan.ProxyArgs)...), mountEnv...)
	copyRoot, err := r.copyRoot(st)
	if err != nil {
		return err
	}
	ctr, err := container.FromLayers(ctx, r.b.st, st.lowers(), st.cfg.Config, st.platform,
		container.WithEntrypoint(""), container.WithArgs(args...), container.WithEnv(env...),
		container.WithNetwork(network), container.WithMounts(append(mounts, heredocMounts...)...),
		container.WithFinder(r.b.o.finder), container.WithKeepChanges(true), container.WithHostname("buildkitsandbox"),
		container.WithRootDir(copyRoot))
	if err != nil {
		return err
	}
	defer ctr.Cleanup()
	code, tail, err := r.runLogged(ctx, s, in, ctr.Spec, i, n)
	if err != nil {
		return err
	}
	if code != 0 {
		return &RunError{Code: code, Cmd: strings.Join(c.Args, " "), Tail: tail}
	}
	changes, err := r.changes(st, ctr.Spec, copyRoot)
	if err != nil {
		return err
	}
	if copyRoot != "" {
		defer os.RemoveAll(changes)
	}
	l, err := commitDir(ctx, r.b.st, changes, packOptions{overlayUpper: true, epoch: r.b.o.epoch})
	if err != nil {
		return err
	}
	if err := r.b.cache.record(key, l); err != nil {
		return err
	}
	r.apply(s, st, in, key, l)
	done := r.event(StepDone, s, i, n, in)
	done.Duration, done.Emulated, done.Bytes = time.Since(start), ctr.Emulated != nil, layerSize(l)
	r.tr.send(done)
	return nil
}

func layerSize(l *layer) int64 {
	if l == nil {
		return 0
	}
	n, _ := l.Size()
	return n
}

// apply adds a step's layer (nil: none) to the stage and remembers it for
// --cache-to.
func (r *platformRun) apply(s *dockerfile.Stage, st *stageResult, in *dockerfile.Instruction, key cacheKey, l *layer) {
	r.exp.add(key, l, s.Index == r.build.Target().Index)
	st.key = key
	if l != nil {
		st.layers = append(st.layers, l)
	}
	r.history(st, in, l == nil)
}

// runKeyParts is what a RUN's result depends on. Proxy args stay out, as
// in BuildKit; secrets count by id only, never by value.
func runKeyParts(st *stageResult, c *dockerfile.Run, argv, env []string, network string, scripts []sandbox.Mount) []string {
	js := func(v any) string { b, _ := json.Marshal(v); return string(b) }
	parts := []string{"RUN", platform.Format(st.platform), js(argv), js(env), st.cfg.Config.User,
		st.cfg.Config.WorkingDir, network, js(c.Mounts), js(c.Security)}
	for _, m := range scripts {
		if b, err := os.ReadFile(m.Source); err == nil {
			parts = append(parts, string(b))
		}
	}
	return parts
}

// runLogged runs spec with its output as prefixed log lines and returns the
// exit code and the output's last lines.
func (r *platformRun) runLogged(ctx context.Context, s *dockerfile.Stage, in *dockerfile.Instruction, spec sandbox.Spec, i, n int) (int, string, error) {
	tmpl := r.event(StepLog, s, i, n, in)
	w := &lineWriter{send: func(line string) { e := tmpl; e.Line = line; r.tr.send(e) }}
	runCtx, opts := ctx, []sandbox.Option{}
	if t := r.b.o.runTimeout; t > 0 {
		var cancel context.CancelFunc
		runCtx, cancel = context.WithTimeout(ctx, t)
		defer cancel()
		opts = append(opts, sandbox.WithGracePeriod(2*time.Second))
	}
	code, err := sandbox.Run(runCtx, r.b.self, spec, sandbox.Stdio{Out: w, Err: w}, opts...)
	w.flush()
	if err == nil && ctx.Err() == nil && runCtx.Err() != nil {
		return 0, "", fmt.Errorf("RUN took longer than --run-timeout %s and was stopped (emulated steps such as npm install on arm/v7 can hang; "+
			"raise the limit or move the step to a FROM --platform=$BUILDPLATFORM stage)\n%s", r.b.o.runTimeout, w.tail())
	}
	return code, w.tail(), err
}

// runArgs is the RUN's argv as BuildKit builds it; a shebang heredoc
// becomes an executable script mounted under /dev/pipes/.
func runArgs(st *stageResult, c *dockerfile.Run) (args []string, mounts []sandbox.Mount, cleanup func(), err error) {
	cleanup = func() {}
	argv, script := c.Exec(st.shell)
	if script == nil {
		return argv, nil, cleanup, nil
	}
	dir, err := os.MkdirTemp("", "polyarch-heredoc-")
	if err != nil {
		return nil, nil, cleanup, err
	}
	cleanup = func() { os.RemoveAll(dir) }
	file := filepath.Join(dir, "script")
	if err := os.WriteFile(file, []byte(script.Data), 0o755); err != nil {
		return nil, nil, cleanup, err
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		return nil, nil, cleanup, err
	}
	return argv, []sandbox.Mount{{Source: file, Target: dockerfile.ScriptDir + script.Name, ReadOnly: true}}, cleanup, nil
}

func kvStrings(kvs []dockerfile.KeyValue) []string {
	out := make([]string, len(kvs))
	for i, kv := range kvs {
		out[i] = kv.String()
	}
	return out
}

// lineWriter sends every line as an event and keeps the last ones.
type lineWriter struct {
	mu   sync.Mutex
	send func(string)
	buf  []byte
	last []string
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			break
		}
		w.line(string(w.buf[:i]))
		w.buf = w.buf[i+1:]
	}
	return len(p), nil
}

func (w *lineWriter) line(s string) {
	w.send(s)
	w.last = append(w.last, s)
	if len(w.last) > 10 {
		w.last = w.last[1:]
	}
}

func (w *lineWriter) flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.buf) > 0 {
		w.line(string(w.buf))
		w.buf = nil
	}
}

func (w *lineWriter) tail() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return strings.Join(w.last, "\n")
}

// copyRoot prepares the copy snapshotter's root dir ("" with overlay).
func (r *platformRun) copyRoot(st *stageResult) (string, error) {
	if r.b.o.snapshotter != "copy" {
		return "", nil
	}
	dir, err := os.MkdirTemp(r.b.st.Root(), "copyroot-")
	if err != nil {
		return "", err
	}
	if err := materialize(st.lowers(), dir); err != nil {
		os.RemoveAll(dir)
		return "", fmt.Errorf("copying the rootfs (overlayfs unavailable): %w", err)
	}
	return dir, nil
}

// changes is the dir holding the RUN's changes in overlay form: the
// overlay's upper dir, or (copy snapshotter) a full-walk diff of the root.
func (r *platformRun) changes(st *stageResult, spec sandbox.Spec, copyRoot string) (string, error) {
	if copyRoot == "" {
		cleanMountpoints(spec)
		return spec.Upper, nil
	}
	defer os.RemoveAll(copyRoot)
	view := spec
	view.Upper, view.Lower = copyRoot, st.lowers()
	cleanMountpoints(view)
	out := copyRoot + "-diff"
	if err := os.Mkdir(out, 0o755); err != nil {
		return "", err
	}
	if err := diffTree(st.lowers(), copyRoot, out); err != nil {
		return "", fmt.Errorf("diffing the rootfs: %w", err)
	}
	return out, nil
}
