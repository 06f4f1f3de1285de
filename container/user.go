package container

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// ResolveUser turns USER[:GROUP] (names or numbers) into ids, reading
// /etc/passwd and /etc/group from the uppermost layer that has them.
// Without a group, the user's primary group and supplementary groups apply.
func ResolveUser(lowers []string, spec string) (uid, gid uint32, groups []uint32, err error) {
	if spec == "" {
		return 0, 0, nil, nil
	}
	userPart, groupPart, hasGroup := strings.Cut(spec, ":")
	passwd := readDB(lowers, "etc/passwd")
	name := userPart
	if n, err := strconv.ParseUint(userPart, 10, 32); err == nil {
		uid, gid = uint32(n), uint32(n)
		name = ""
		for _, f := range passwd {
			if len(f) > 3 && f[2] == userPart {
				name, gid = f[0], atou(f[3], gid)
				break
			}
		}
	} else {
		found := false
		for _, f := range passwd {
			if len(f) > 3 && f[0] == userPart {
				uid, gid, found = atou(f[2], 0), atou(f[3], 0), true
				break
			}
		}
		if !found {
			return 0, 0, nil, fmt.Errorf("user %q: no such user in the image's /etc/passwd (use a numeric uid)", userPart)
		}
	}
	if hasGroup {
		g, err := lookupGroup(lowers, groupPart)
		return uid, g, nil, err
	}
	return uid, gid, supplementary(lowers, name, gid), nil
}

func lookupGroup(lowers []string, spec string) (uint32, error) {
	if n, err := strconv.ParseUint(spec, 10, 32); err == nil {
		return uint32(n), nil
	}
	for _, f := range readDB(lowers, "etc/group") {
		if len(f) > 2 && f[0] == spec {
			return atou(f[2], 0), nil
		}
	}
	return 0, fmt.Errorf("group %q: no such group in the image's /etc/group (use a numeric gid)", spec)
}

func supplementary(lowers []string, name string, primary uint32) []uint32 {
	groups := []uint32{primary}
	if name == "" {
		return groups
	}
	for _, f := range readDB(lowers, "etc/group") {
		if len(f) < 4 {
			continue
		}
		for _, m := range strings.Split(f[3], ",") {
			if m == name {
				if g := atou(f[2], primary); g != primary {
					groups = append(groups, g)
				}
			}
		}
	}
	return groups
}

// readDB reads a colon-separated database from the uppermost layer that
// has it (a whiteout or a symlink there ends the search).
func readDB(lowers []string, rel string) [][]string {
	for _, l := range lowers {
		p := filepath.Join(l, rel)
		st, err := os.Lstat(p)
		if err != nil {
			continue
		}
		if !st.Mode().IsRegular() {
			return nil
		}
		f, err := os.Open(p)
		if err != nil {
			return nil
		}
		defer f.Close()
		var rows [][]string
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if line := strings.TrimSpace(sc.Text()); line != "" && !strings.HasPrefix(line, "#") {
				rows = append(rows, strings.Split(line, ":"))
			}
		}
		return rows
	}
	return nil
}

func atou(s string, def uint32) uint32 {
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		return def
	}
	return uint32(n)
}

// HomeDir is the home directory of uid in the image's /etc/passwd: "/root"
// for root without an entry, "/" for other users without one (Docker's
// rule for HOME).
func HomeDir(lowers []string, uid uint32) string {
	for _, f := range readDB(lowers, "etc/passwd") {
		if len(f) > 5 && atou(f[2], ^uint32(0)) == uid && f[5] != "" {
			return f[5]
		}
	}
	if uid == 0 {
		return "/root"
	}
	return "/"
}
