package sandbox

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	securejoin "github.com/cyphar/filepath-securejoin"
	"golang.org/x/sys/unix"
)

// mountOverlay mounts the overlay of spec.Lower (+ Upper) at spec.Root.
// It uses the new mount API, one "lowerdir+" per layer (Linux ≥ 6.8), so
// neither commas in paths nor the one-page limit of mount(2)'s option
// string matter; older kernels get the classic option string.
func mountOverlay(spec Spec) error {
	if len(spec.Lower) == 0 {
		return nil
	}
	if len(spec.Lower) == 1 && spec.Upper == "" {
		// overlay needs two layers without an upper: bind the single one read-only
		return bindMount(spec.Lower[0], spec.Root, true)
	}
	fsErr := overlayFsconfig(spec)
	if fsErr == nil {
		return nil
	}
	if err := overlayClassic(spec); err != nil {
		return fmt.Errorf("%w (with the new mount API: %v)", err, fsErr)
	}
	return nil
}

func overlayFsconfig(spec Spec) error {
	fd, err := unix.Fsopen("overlay", unix.FSOPEN_CLOEXEC)
	if err != nil {
		return fmt.Errorf("fsopen overlay: %w", err)
	}
	defer unix.Close(fd)
	set := func(k, v string) {
		if err == nil {
			if e := unix.FsconfigSetString(fd, k, v); e != nil {
				err = fmt.Errorf("overlay option %s=%s: %w", k, v, e)
			}
		}
	}
	for _, l := range spec.Lower {
		set("lowerdir+", l)
	}
	if spec.Upper != "" {
		set("upperdir", spec.Upper)
		set("workdir", spec.Work)
	}
	if err == nil && spec.UserXattr {
		if e := unix.FsconfigSetFlag(fd, "userxattr"); e != nil {
			err = fmt.Errorf("overlay option userxattr: %w", e)
		}
	}
	if err != nil {
		return err
	}
	if err := unix.FsconfigCreate(fd); err != nil {
		return fmt.Errorf("creating overlay: %w", err)
	}
	mfd, err := unix.Fsmount(fd, unix.FSMOUNT_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("fsmount overlay: %w", err)
	}
	defer unix.Close(mfd)
	if err := unix.MoveMount(mfd, "", unix.AT_FDCWD, spec.Root, unix.MOVE_MOUNT_F_EMPTY_PATH); err != nil {
		return fmt.Errorf("attaching overlay at %s: %w", spec.Root, err)
	}
	return nil
}

func overlayClassic(spec Spec) error {
	opts := "lowerdir=" + strings.Join(spec.Lower, ":")
	if spec.Upper != "" {
		opts += ",upperdir=" + spec.Upper + ",workdir=" + spec.Work
	}
	if spec.UserXattr {
		opts += ",userxattr"
	}
	if len(opts) > 4000 {
		return fmt.Errorf("mounting overlay: %d layers give a %d-byte option string, over the kernel's limit", len(spec.Lower), len(opts))
	}
	if err := unix.Mount("overlay", spec.Root, "overlay", 0, opts); err != nil {
		return fmt.Errorf("mounting overlay at %s: %w", spec.Root, err)
	}
	return nil
}

func bindMount(src, dst string, ro bool) error {
	if err := unix.Mount(src, dst, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("bind-mounting %s at %s: %w", src, dst, err)
	}
	if !ro {
		return nil
	}
	// A read-only remount must keep the flags the kernel locked on the source.
	var st unix.Statfs_t
	flags := uintptr(unix.MS_BIND | unix.MS_REMOUNT | unix.MS_RDONLY)
	if unix.Statfs(dst, &st) == nil {
		flags |= uintptr(st.Flags) & (unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC | unix.MS_NOATIME | unix.MS_RELATIME | unix.MS_NODIRATIME)
	}
	if err := unix.Mount("", dst, "", flags, ""); err != nil {
		return fmt.Errorf("making %s read-only: %w", dst, err)
	}
	return nil
}

// inRoot resolves target inside root, following symlinks as if root were
// "/", so a symlinked mount target in the image cannot point at the host.
func inRoot(root, target string) (string, error) {
	p, err := securejoin.SecureJoin(root, target)
	if err != nil {
		return "", fmt.Errorf("resolving %s inside the rootfs: %w", target, err)
	}
	return p, nil
}

// ensure creates path (a dir, or an empty file when file is set) inside
// root if missing.
func ensure(path string, file bool) error {
	if _, err := os.Lstat(path); err == nil {
		return nil
	}
	if !file {
		return os.MkdirAll(path, 0o755)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	return f.Close()
}

// setupRoot builds the container's view below root: /proc, /dev, /sys,
// user mounts and files.
func setupRoot(spec Spec) error {
	root := spec.Root
	steps := []func(string, Spec) error{mountProc, mountDev, mountSys, userMounts}
	for _, step := range steps {
		if err := step(root, spec); err != nil {
			return err
		}
	}
	return nil
}

func mountProc(root string, _ Spec) error {
	p, err := inRoot(root, "/proc")
	if err == nil {
		err = ensure(p, false)
	}
	if err == nil {
		err = unix.Mount("proc", p, "proc", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "")
	}
	if err != nil {
		return fmt.Errorf("mounting /proc: %w", err)
	}
	return nil
}

// devices are bind-mounted from the host: a user namespace cannot mknod.
var devices = []string{"null", "zero", "full", "random", "urandom", "tty"}

func mountDev(root string, _ Spec) error {
	dev, err := inRoot(root, "/dev")
	if err == nil {
		err = ensure(dev, false)
	}
	if err == nil {
		err = unix.Mount("tmpfs", dev, "tmpfs", unix.MS_NOSUID|unix.MS_NOEXEC, "mode=755,size=65536k")
	}
	if err != nil {
		return fmt.Errorf("mounting /dev: %w", err)
	}
	for _, d := range devices {
		p := filepath.Join(dev, d)
		if err := ensure(p, true); err != nil {
			return fmt.Errorf("creating /dev/%s: %w", d, err)
		}
		if err := unix.Mount("/dev/"+d, p, "", unix.MS_BIND, ""); err != nil {
			return fmt.Errorf("binding /dev/%s: %w", d, err)
		}
	}
	for _, d := range []string{"pts", "shm", "mqueue"} {
		if err := os.Mkdir(filepath.Join(dev, d), 0o755); err != nil {
			return fmt.Errorf("creating /dev/%s: %w", d, err)
		}
	}
	if err := unix.Mount("devpts", filepath.Join(dev, "pts"), "devpts", unix.MS_NOSUID|unix.MS_NOEXEC, "newinstance,ptmxmode=0666,mode=620"); err != nil {
		return fmt.Errorf("mounting /dev/pts: %w", err)
	}
	if err := unix.Mount("shm", filepath.Join(dev, "shm"), "tmpfs", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "mode=1777,size=65536k"); err != nil {
		return fmt.Errorf("mounting /dev/shm: %w", err)
	}
	links := map[string]string{"ptmx": "pts/ptmx", "fd": "/proc/self/fd", "stdin": "/proc/self/fd/0", "stdout": "/proc/self/fd/1", "stderr": "/proc/self/fd/2", "core": "/proc/kcore"}
	for name, target := range links {
		if err := os.Symlink(target, filepath.Join(dev, name)); err != nil {
			return fmt.Errorf("creating /dev/%s: %w", name, err)
		}
	}
	return nil
}

// mountSys gives a read-only /sys: a fresh sysfs where the network
// namespace is ours, else a read-only bind of the host's.
func mountSys(root string, spec Spec) error {
	p, err := inRoot(root, "/sys")
	if err == nil {
		err = ensure(p, false)
	}
	if err != nil {
		return fmt.Errorf("creating /sys: %w", err)
	}
	if spec.Network == "none" {
		if err := unix.Mount("sysfs", p, "sysfs", unix.MS_RDONLY|unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, ""); err == nil {
			return nil
		}
	}
	return bindMount("/sys", p, true)
}

func userMounts(root string, spec Spec) error {
	for _, m := range spec.Mounts {
		if err := userMount(root, m, false); err != nil {
			return err
		}
	}
	for _, f := range spec.Files {
		if err := userMount(root, f, false); err != nil {
			return err
		}
	}
	return nil
}

func userMount(root string, m Mount, onlyExisting bool) error {
	dst, err := inRoot(root, m.Target)
	if err != nil {
		return err
	}
	if onlyExisting {
		if st, err := os.Stat(dst); err != nil || !st.Mode().IsRegular() {
			return nil
		}
	}
	if m.Type == "overlay" {
		return overlayMount(root, dst, m)
	}
	if m.Type == "tmpfs" {
		if err := ensure(dst, false); err != nil {
			return fmt.Errorf("creating mount point %s: %w", m.Target, err)
		}
		return unix.Mount("tmpfs", dst, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, "mode=1777")
	}
	st, err := os.Stat(m.Source)
	if err != nil {
		return fmt.Errorf("mount source %s: %w", m.Source, err)
	}
	if err := ensure(dst, !st.IsDir()); err != nil {
		return fmt.Errorf("creating mount point %s: %w", m.Target, err)
	}
	return bindMount(m.Source, dst, m.ReadOnly)
}

// pivot makes root the process's root and detaches the old one.
func pivot(root string) error {
	if err := unix.Mount(root, root, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("binding root %s: %w", root, err)
	}
	if err := unix.Chdir(root); err != nil {
		return fmt.Errorf("entering root: %w", err)
	}
	if err := unix.PivotRoot(".", "."); err != nil {
		return fmt.Errorf("pivot_root into %s: %w", root, err)
	}
	if err := unix.Unmount(".", unix.MNT_DETACH); err != nil {
		return fmt.Errorf("detaching the old root: %w", err)
	}
	if err := unix.Chdir("/"); err != nil {
		return fmt.Errorf("entering root: %w", err)
	}
	return nil
}

// loopbackUp brings "lo" up in a fresh network namespace.
func loopbackUp() error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("bringing loopback up: %w", err)
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return fmt.Errorf("bringing loopback up: %w", err)
	}
	ifr.SetUint16(unix.IFF_UP | unix.IFF_LOOPBACK | unix.IFF_RUNNING)
	if err := unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr); err != nil && !errors.Is(err, unix.EEXIST) {
		return fmt.Errorf("bringing loopback up: %w", err)
	}
	return nil
}

// overlayMount mounts a read-only overlay of m.Lower at dst, or only its
// path m.Source: the overlay goes to a hidden dir in /dev (a tmpfs of the
// sandbox), and the sub-path is bound from there.
func overlayMount(root, dst string, m Mount) error {
	sub := strings.Trim(m.Source, "/")
	if sub == "" || sub == "." {
		if err := ensure(dst, false); err != nil {
			return fmt.Errorf("creating mount point %s: %w", m.Target, err)
		}
		return mountOverlay(Spec{Root: dst, Lower: m.Lower, UserXattr: true})
	}
	hidden, err := os.MkdirTemp(filepath.Join(root, "dev"), ".polyarch-mount-")
	if err != nil {
		return fmt.Errorf("mounting %s: %w", m.Target, err)
	}
	if err := mountOverlay(Spec{Root: hidden, Lower: m.Lower, UserXattr: true}); err != nil {
		return err
	}
	src, err := inRoot(hidden, sub)
	if err != nil {
		return err
	}
	st, err := os.Stat(src)
	if err != nil {
		return fmt.Errorf("mount source %s: %w", m.Source, err)
	}
	if err := ensure(dst, !st.IsDir()); err != nil {
		return fmt.Errorf("creating mount point %s: %w", m.Target, err)
	}
	return bindMount(src, dst, true)
}
