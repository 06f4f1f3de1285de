package container

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/polyarch/polyarch/binfmt"
	"github.com/polyarch/polyarch/platform"
	"github.com/polyarch/polyarch/rootfs"
	"github.com/polyarch/polyarch/sandbox"
	"github.com/polyarch/polyarch/store"
)

// Container is a prepared, not yet started, container.
type Container struct {
	Spec     sandbox.Spec
	Platform platform.Platform
	// Emulated is the emulator used, when the image is foreign to the host.
	Emulated *binfmt.Emulator
	// HostBinfmt is set when emulation relies on the host's registrations
	// because the kernel has no private instances.
	HostBinfmt bool
	dir        string // holds upper, work, merged and generated files
	lockFile   *os.File
}

// Prepare unpacks img's layers into st (once per diffID) and builds the
// sandbox spec for running it with the given options.
func Prepare(ctx context.Context, st *store.Store, img v1.Image, opts ...Option) (*Container, error) {
	cfg, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("reading image config: %w", err)
	}
	lowers, err := UnpackLayers(ctx, st, img, opts...)
	if err != nil {
		return nil, err
	}
	return FromLayers(ctx, st, lowers, cfg.Config, v1Platform(cfg), opts...)
}

// FromLayers builds the sandbox spec for a container over layer dirs
// (uppermost first) with the given config and platform; the builder uses
// it for RUN steps.
func FromLayers(ctx context.Context, st *store.Store, lowers []string, cfg v1.Config, plat platform.Platform, opts ...Option) (*Container, error) {
	o := newOptions(opts)
	c := &Container{Platform: platform.Normalize(plat)}
	var err error
	if c.dir, err = os.MkdirTemp(o.runDir(st), "ctr-"); err != nil {
		return nil, fmt.Errorf("creating container dir: %w", err)
	}
	if err := c.lock(); err != nil {
		_ = c.Cleanup()
		return nil, err
	}
	if err := c.build(ctx, cfg, lowers, o); err != nil {
		_ = c.Cleanup()
		return nil, err
	}
	return c, nil
}

func (c *Container) build(ctx context.Context, cfg v1.Config, lowers []string, o options) error {
	spec := sandbox.Spec{Lower: lowers, UserXattr: true, Network: o.network, Hostname: o.hostname, TTY: o.tty, Mounts: o.mounts}
	for _, d := range []string{"upper", "work", "merged"} {
		if err := os.Mkdir(filepath.Join(c.dir, d), 0o755); err != nil {
			return fmt.Errorf("creating container dir: %w", err)
		}
	}
	spec.Upper, spec.Work, spec.Root = filepath.Join(c.dir, "upper"), filepath.Join(c.dir, "work"), filepath.Join(c.dir, "merged")
	spec.Discard = []string{spec.Work} // emptied from inside: it may hold files of subordinate ids
	if !o.keep {
		spec.Discard = append(spec.Discard, spec.Upper)
	}
	if o.rootDir != "" { // a plain directory, no overlay (the copy snapshotter)
		spec.Lower, spec.Upper, spec.Work, spec.Root, spec.Discard = nil, "", "", o.rootDir, nil
	} else if len(lowers) == 0 { // FROM scratch: overlay still needs a lower layer
		empty := filepath.Join(c.dir, "empty")
		if err := os.Mkdir(empty, 0o755); err != nil {
			return fmt.Errorf("creating container dir: %w", err)
		}
		spec.Lower = []string{empty}
	}
	var err error
	if spec.Args, err = command(cfg, o); err != nil {
		return err
	}
	if spec.UID, spec.GID, spec.Groups, err = ResolveUser(lowers, firstNonEmpty(o.user, cfg.User)); err != nil {
		return err
	}
	spec.Env = environment(cfg.Env, o, HomeDir(lowers, spec.UID))
	spec.Dir = firstNonEmpty(o.workdir, cfg.WorkingDir)
	if spec.Files, err = c.networkFiles(o); err != nil {
		return err
	}
	if err := c.emulation(ctx, &spec, o); err != nil {
		return err
	}
	c.Spec = spec
	return nil
}

// UnpackLayers returns the unpacked dirs of img's layers, uppermost first,
// unpacking each layer once per diffID into the store. The diffIDs come
// from the config, so layers already unpacked are not read at all.
func UnpackLayers(ctx context.Context, st *store.Store, img v1.Image, opts ...Option) ([]string, error) {
	self := newOptions(opts).self
	layers, err := img.Layers()
	if err != nil {
		return nil, fmt.Errorf("reading image layers: %w", err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("reading image config: %w", err)
	}
	dirs := make([]string, len(layers))
	for i, l := range layers {
		var diffID v1.Hash
		if len(cf.RootFS.DiffIDs) == len(layers) {
			diffID = cf.RootFS.DiffIDs[i]
		}
		dir, err := unpackLayer(ctx, st, l, diffID, self)
		if err != nil {
			return nil, err
		}
		dirs[len(layers)-1-i] = dir
	}
	return dirs, nil
}

// emulation registers the emulator of a foreign image's CPU in the
// sandbox's private binfmt_misc, or relies on the host's on old kernels.
func (c *Container) emulation(ctx context.Context, spec *sandbox.Spec, o options) error {
	h, ok := binfmt.ForPlatform(c.Platform)
	if !ok {
		return fmt.Errorf("polyarch cannot run %s images on this host: no emulator handler for it", platform.Format(c.Platform))
	}
	if binfmt.Native(platform.Host(), h) {
		return nil
	}
	emu, err := o.finder.Find(ctx, h.CPU)
	if err != nil {
		return fmt.Errorf("running a %s image: %w", platform.Format(c.Platform), err)
	}
	c.Emulated = &emu
	if !binfmt.PrivateSupported(binfmt.KernelRelease()) {
		c.HostBinfmt = true // Linux < 6.7: the host's registrations must serve
		return nil
	}
	spec.Binfmt = []binfmt.Entry{binfmt.EntryFor(h, emu.Path, false)}
	return nil
}

// Cleanup removes the container's upper dir and generated files.
func (c *Container) Cleanup() error {
	if c.dir == "" {
		return nil
	}
	err := removeAll(c.dir)
	if c.lockFile != nil {
		c.lockFile.Close()
	}
	return err
}

// Keep moves the upper dir (what the container changed) to dest before
// Cleanup.
func (c *Container) Keep(dest string) error {
	if err := os.Rename(c.Spec.Upper, dest); err != nil {
		return fmt.Errorf("keeping the container's changes in %s: %w", dest, err)
	}
	return nil
}

func v1Platform(cfg *v1.ConfigFile) platform.Platform {
	return platform.Platform{OS: cfg.OS, Architecture: cfg.Architecture, Variant: cfg.Variant}
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// UnpackLayer unpacks one layer into the store once per diffID, in overlay
// form (whiteouts as 0/0 devices, user.overlay.opaque), and returns its dir.
func UnpackLayer(ctx context.Context, st *store.Store, l v1.Layer) (string, error) {
	return unpackLayer(ctx, st, l, v1.Hash{}, "")
}

// unpackLayer is UnpackLayer with the diffID known (zero: ask the layer,
// which may mean decompressing it to hash it). Without root and with self
// (the polyarch binary) set, the layer is unpacked inside the user
// namespace so that files keep their owners through the subordinate ids.
func unpackLayer(ctx context.Context, st *store.Store, l v1.Layer, diffID v1.Hash, self string) (string, error) {
	if diffID.Hex == "" {
		var err error
		if diffID, err = l.DiffID(); err != nil {
			return "", fmt.Errorf("reading layer: %w", err)
		}
	}
	dir, err := st.Unpacked(ctx, diffID, func(ctx context.Context, dir string) error {
		if os.Getuid() != 0 && self != "" {
			if done, err := unpackInNamespace(ctx, st, self, l, dir); done || err != nil {
				return err
			}
		}
		rc, err := l.Uncompressed()
		if err != nil {
			return err
		}
		defer rc.Close()
		_, err = rootfs.Unpack(ctx, rc, dir, rootfs.WithWhiteoutMode(rootfs.OverlayWhiteouts),
			rootfs.WithUserXattrs(true), rootfs.WithIgnoreChownErrors(os.Getuid() != 0))
		return err
	})
	if err != nil {
		return "", fmt.Errorf("unpacking layer %s: %w", diffID, err)
	}
	return dir, nil
}
