package sandbox

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"strconv"
	"strings"
	"syscall"
)

// IDMap is a user namespace's uid and gid mapping.
type IDMap struct {
	UIDs, GIDs []syscall.SysProcIDMap
	// External means newuidmap/newgidmap (setuid helpers from Debian's
	// uidmap) write the maps, as an unprivileged user may map only its own
	// id itself.
	External bool
}

// DefaultIDMap is the mapping for the calling user: as root, every ID of the
// current namespace onto itself; otherwise the caller as root plus its
// /etc/subuid and /etc/subgid ranges from 1 on (through newuidmap), or, when
// it has none, only itself — with a warning about what will not work.
func DefaultIDMap() (IDMap, string) {
	uid, gid := os.Getuid(), os.Getgid()
	if uid == 0 {
		return IDMap{UIDs: identityMap("/proc/self/uid_map"), GIDs: identityMap("/proc/self/gid_map")}, ""
	}
	single := IDMap{UIDs: []syscall.SysProcIDMap{{ContainerID: 0, HostID: uid, Size: 1}},
		GIDs: []syscall.SysProcIDMap{{ContainerID: 0, HostID: gid, Size: 1}}}
	u, err := user.Current()
	if err != nil {
		return single, "cannot look up the current user; mapping only uid " + strconv.Itoa(uid)
	}
	subU, errU := subIDs("/etc/subuid", u.Username, u.Uid)
	subG, errG := subIDs("/etc/subgid", u.Username, u.Uid)
	_, errNU := exec.LookPath("newuidmap")
	_, errNG := exec.LookPath("newgidmap")
	if errU != nil || errG != nil || errNU != nil || errNG != nil {
		return single, fmt.Sprintf("no subordinate ID ranges for %s in /etc/subuid and /etc/subgid (or no newuidmap from package uidmap): "+
			"only your own uid is mapped, as root; files owned by other users appear as nobody and chown to them fails. "+
			"Fix: usermod --add-subuids 100000-165535 --add-subgids 100000-165535 %s", u.Username, u.Username)
	}
	return IDMap{External: true,
		UIDs: []syscall.SysProcIDMap{{ContainerID: 0, HostID: uid, Size: 1}, {ContainerID: 1, HostID: subU[0], Size: subU[1]}},
		GIDs: []syscall.SysProcIDMap{{ContainerID: 0, HostID: gid, Size: 1}, {ContainerID: 1, HostID: subG[0], Size: subG[1]}},
	}, ""
}

// subIDs returns the first range [start, count] for name (or uid) in file.
func subIDs(file, name, uid string) ([2]int, error) {
	f, err := os.Open(file)
	if err != nil {
		return [2]int{}, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		parts := strings.Split(strings.TrimSpace(sc.Text()), ":")
		if len(parts) != 3 || (parts[0] != name && parts[0] != uid) {
			continue
		}
		start, err1 := strconv.Atoi(parts[1])
		count, err2 := strconv.Atoi(parts[2])
		if err1 == nil && err2 == nil && count > 0 {
			return [2]int{start, count}, nil
		}
	}
	return [2]int{}, fmt.Errorf("no range for %s in %s", name, file)
}

func (m IDMap) apply(a *syscall.SysProcAttr) {
	if m.External {
		return
	}
	a.UidMappings, a.GidMappings = m.UIDs, m.GIDs
	a.GidMappingsEnableSetgroups = os.Getuid() == 0 && setgroupsAllowed()
}

// setgroupsAllowed reports whether this namespace may call setgroups (a
// parent namespace made with a single-id map denies it for its children).
func setgroupsAllowed() bool {
	b, err := os.ReadFile("/proc/self/setgroups")
	return err != nil || strings.TrimSpace(string(b)) != "deny"
}

// applyExternal writes the maps of pid with newuidmap/newgidmap.
func (m IDMap) applyExternal(ctx context.Context, pid int) error {
	if !m.External {
		return nil
	}
	for _, tool := range []struct {
		name string
		ids  []syscall.SysProcIDMap
	}{{"newuidmap", m.UIDs}, {"newgidmap", m.GIDs}} {
		args := []string{strconv.Itoa(pid)}
		for _, r := range tool.ids {
			args = append(args, strconv.Itoa(r.ContainerID), strconv.Itoa(r.HostID), strconv.Itoa(r.Size))
		}
		if out, err := exec.CommandContext(ctx, tool.name, args...).CombinedOutput(); err != nil {
			return fmt.Errorf("mapping ids with %s: %v: %s", tool.name, err, strings.TrimSpace(string(out)))
		}
	}
	return nil
}

// identityMap maps each ID range of the current namespace (as listed in
// its uid_map/gid_map) onto itself; the full range when it cannot be read.
func identityMap(path string) []syscall.SysProcIDMap {
	all := []syscall.SysProcIDMap{{ContainerID: 0, HostID: 0, Size: 1<<32 - 1}}
	b, err := os.ReadFile(path)
	if err != nil {
		return all
	}
	var out []syscall.SysProcIDMap
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var inside, outside, count int
		if _, err := fmt.Sscan(line, &inside, &outside, &count); err == nil && count > 0 {
			out = append(out, syscall.SysProcIDMap{ContainerID: inside, HostID: inside, Size: count})
		}
	}
	if len(out) == 0 {
		return all
	}
	return out
}
