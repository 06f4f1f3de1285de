package dockerfile

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"

	mode "github.com/tonistiigi/dchapes-mode"
)

// parsePort reads an EXPOSE word ([ip:][hostport:]port[-end][/proto]) into
// "port/proto" entries, one per port of a range, as BuildKit does.
func parsePort(raw string) ([]string, error) {
	spec, proto, _ := strings.Cut(raw, "/")
	switch strings.ToLower(proto) {
	case "":
		proto = "tcp"
	case "tcp", "udp", "sctp":
		proto = strings.ToLower(proto)
	default:
		return nil, fmt.Errorf("invalid port %q: unknown protocol %q (tcp, udp or sctp)", raw, proto)
	}
	parts := strings.Split(spec, ":")
	container := parts[len(parts)-1]
	if len(parts) > 2 {
		ip := strings.Trim(strings.Join(parts[:len(parts)-2], ":"), "[]")
		if net.ParseIP(ip) == nil {
			return nil, fmt.Errorf("invalid port %q: invalid IP address %q", raw, ip)
		}
	}
	start, end, err := portRange(container)
	if err != nil {
		return nil, fmt.Errorf("invalid port %q: %w", raw, err)
	}
	out := make([]string, 0, end-start+1)
	for p := start; p <= end; p++ {
		out = append(out, strconv.Itoa(p)+"/"+proto)
	}
	return out, nil
}

func portRange(s string) (start, end int, err error) {
	lo, hi, isRange := strings.Cut(s, "-")
	if start, err = portNumber(lo); err != nil {
		return 0, 0, err
	}
	if !isRange {
		return start, start, nil
	}
	if end, err = portNumber(hi); err != nil {
		return 0, 0, err
	}
	if end < start {
		return 0, 0, fmt.Errorf("port range %s ends before it starts", s)
	}
	return start, end, nil
}

func portNumber(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > 65535 {
		return 0, fmt.Errorf("%q is not a port number (0-65535)", s)
	}
	return n, nil
}

// linuxSignals are the signal names STOPSIGNAL accepts besides numbers and
// the real-time signals.
func linuxSignals() []string {
	return []string{
		"ABRT", "ALRM", "BUS", "CHLD", "CLD", "CONT", "FPE", "HUP", "ILL", "INT", "IO", "IOT",
		"KILL", "PIPE", "POLL", "PROF", "PWR", "QUIT", "SEGV", "STKFLT", "STOP", "SYS", "TERM",
		"TRAP", "TSTP", "TTIN", "TTOU", "URG", "USR1", "USR2", "VTALRM", "WINCH", "XCPU", "XFSZ",
	}
}

// checkSignal accepts what moby's signal.ParseSignal accepts on Linux:
// a number, or a name with or without SIG (SIGTERM, term, RTMIN+3).
func checkSignal(s string) error {
	if n, err := strconv.Atoi(s); err == nil {
		if n <= 0 || n > 64 {
			return fmt.Errorf("invalid STOPSIGNAL %q: signal numbers go from 1 to 64", s)
		}
		return nil
	}
	name := strings.TrimPrefix(strings.ToUpper(s), "SIG")
	for _, known := range linuxSignals() {
		if name == known {
			return nil
		}
	}
	for _, base := range []string{"RTMIN", "RTMAX"} {
		rest, ok := strings.CutPrefix(name, base)
		if !ok {
			continue
		}
		if rest == "" {
			return nil
		}
		if n, err := strconv.Atoi(rest); err == nil && n >= -15 && n <= 15 && (rest[0] == '+') == (base == "RTMIN") {
			return nil
		}
	}
	return fmt.Errorf("invalid STOPSIGNAL %q: not a signal name or number", s)
}

// checkChmod accepts an octal mode up to 07777 or a symbolic mode
// (u+x,go=rx), as BuildKit does.
func checkChmod(s string) error {
	if p, err := strconv.ParseUint(s, 8, 32); err == nil {
		if p > 0o7777 {
			return fmt.Errorf("--chmod=%s: an octal mode is at most 7777", s)
		}
		return nil
	}
	if _, err := mode.Parse(s); err != nil {
		var ne *strconv.NumError
		if errors.As(err, &ne) || strings.Trim(s, "0123456789") == "" {
			return fmt.Errorf("--chmod=%s: not an octal mode between 0 and 7777", s)
		}
		return fmt.Errorf("--chmod=%s: %w", s, err)
	}
	return nil
}

// chownByName reports whether a --chown value names a user or group
// instead of giving numeric ids.
func chownByName(chown string) bool {
	if chown == "" {
		return false
	}
	user, group, _ := strings.Cut(chown, ":")
	for _, part := range []string{user, group} {
		if _, err := strconv.ParseUint(part, 10, 32); part != "" && err != nil {
			return true
		}
	}
	return false
}

// classifySource tells a local path from an http(s) URL and a git URL,
// following BuildKit's rules: an http(s) URL is a git repository when its
// path ends in .git; git://, ssh:// and scp-like user@host:path are git.
// The deprecated "github.com/..." form counts as a local path, as in ADD.
// The executor should parse git sources with BuildKit's dfgitutil.
func classifySource(src string) SourceKind {
	lower := strings.ToLower(src)
	switch {
	case strings.HasPrefix(lower, "http://"), strings.HasPrefix(lower, "https://"):
		if u, err := url.Parse(src); err == nil && strings.HasSuffix(u.Path, ".git") {
			return SourceGit
		}
		return SourceURL
	case strings.HasPrefix(lower, "git://"), strings.HasPrefix(lower, "ssh://"):
		return SourceGit
	}
	if at := strings.Index(src, "@"); at > 0 && !strings.ContainsAny(src[:at], "/:") {
		if colon := strings.Index(src[at:], ":"); colon > 1 && !strings.Contains(src[at:at+colon], "/") {
			return SourceGit // user@host:path
		}
	}
	return SourceLocal
}
