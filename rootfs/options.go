package rootfs

import "time"

// WhiteoutMode says what Unpack does with OCI whiteout entries.
type WhiteoutMode int

const (
	// ApplyWhiteouts deletes whited-out paths from dir, as when layers are
	// applied one after another into the same directory. This is the default.
	ApplyWhiteouts WhiteoutMode = iota
	// OverlayWhiteouts keeps each layer self-contained so that dir can be an
	// overlayfs lower layer: ".wh.NAME" becomes a 0/0 character device NAME
	// and ".wh..wh..opq" sets the opaque xattr on its directory.
	// See https://docs.kernel.org/filesystems/overlayfs.html#whiteouts-and-opaque-directories
	OverlayWhiteouts
)

func (m WhiteoutMode) String() string {
	switch m {
	case ApplyWhiteouts:
		return "apply"
	case OverlayWhiteouts:
		return "overlay"
	}
	return "WhiteoutMode(?)"
}

// UnpackOption configures Unpack.
type UnpackOption func(*unpackConfig)

type unpackConfig struct {
	whiteouts         WhiteoutMode
	userXattrs        bool
	ownership         bool
	ignoreChownErrors bool
	devices           bool
}

func newUnpackConfig(opts []UnpackOption) unpackConfig {
	c := unpackConfig{whiteouts: ApplyWhiteouts, ownership: true, devices: true}
	for _, o := range opts {
		o(&c)
	}
	return c
}

// opaqueXattr is the xattr that marks an opaque directory for overlayfs.
func (c unpackConfig) opaqueXattr() string {
	if c.userXattrs {
		return xattrUserOverlay + "opaque"
	}
	return xattrTrustedOverlay + "opaque"
}

// WithWhiteoutMode chooses how whiteouts are applied. Default ApplyWhiteouts.
func WithWhiteoutMode(m WhiteoutMode) UnpackOption {
	return func(c *unpackConfig) { c.whiteouts = m }
}

// WithUserXattrs makes OverlayWhiteouts mark opaque directories with
// "user.overlay.opaque" instead of "trusted.overlay.opaque", for overlay
// mounts made with the "userxattr" option inside a user namespace.
// Default false.
func WithUserXattrs(on bool) UnpackOption {
	return func(c *unpackConfig) { c.userXattrs = on }
}

// WithOwnership says whether entries are chowned to the uid/gid in their tar
// header. Default true. When false, everything is owned by the caller.
func WithOwnership(on bool) UnpackOption {
	return func(c *unpackConfig) { c.ownership = on }
}

// WithIgnoreChownErrors makes a chown that fails with EPERM or EINVAL (an id
// not mapped in the current user namespace) leave the caller as owner instead
// of failing the unpack: the rootless, single-id fallback. The first such
// failure is noted in UnpackStats.Skipped. Default false.
func WithIgnoreChownErrors(on bool) UnpackOption {
	return func(c *unpackConfig) { c.ignoreChownErrors = on }
}

// WithDeviceNodes says whether character and block device entries are created
// (with mknod, when the caller may). When false, or when mknod fails with
// EPERM, they are listed in UnpackStats.Skipped. FIFOs are always created.
// Default true.
func WithDeviceNodes(on bool) UnpackOption {
	return func(c *unpackConfig) { c.devices = on }
}

// PackOption configures Pack.
type PackOption func(*packConfig)

type packConfig struct {
	clamp        time.Time
	overlayUpper bool
}

func newPackConfig(opts []PackOption) packConfig {
	var c packConfig
	for _, o := range opts {
		o(&c)
	}
	return c
}

// WithMtimeClamp gives every entry whose mtime is after t the mtime t, as
// reproducible builds do with SOURCE_DATE_EPOCH. Default: no clamp (the zero
// time also means no clamp).
func WithMtimeClamp(t time.Time) PackOption {
	return func(c *packConfig) { c.clamp = t }
}

// WithOverlayUpper says dir is an overlayfs upper directory: 0/0 character
// devices become ".wh.NAME" entries, directories whose trusted.overlay.opaque
// or user.overlay.opaque xattr is "y" get a ".wh..wh..opq" entry, and no
// overlay xattr is copied. Pack fails on redirect or metacopy xattrs, which a
// layer cannot express (mount with redirect_dir=off,metacopy=off).
// Default false.
func WithOverlayUpper(on bool) PackOption {
	return func(c *packConfig) { c.overlayUpper = on }
}
