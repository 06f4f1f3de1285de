package cli

import (
	"fmt"
	"strings"

	"github.com/polyarch/polyarch/binfmt"
	"github.com/polyarch/polyarch/platform"
)

// parseArches turns an --arch list (any platform spelling, QEMU CPU names,
// or "all") into handlers. "all" and an empty list mean every foreign
// handler of the host; explicit means the user named them.
func parseArches(list []string, host platform.Platform) (hs []binfmt.Handler, explicit bool, err error) {
	seen := map[string]bool{}
	for _, item := range list {
		for _, s := range strings.Split(item, ",") {
			s = strings.TrimSpace(s)
			switch {
			case s == "":
				continue
			case strings.EqualFold(s, "all"):
				return binfmt.Foreign(host), false, nil
			}
			h, err := handlerFor(s, host)
			if err != nil {
				return nil, false, err
			}
			if !seen[h.CPU] {
				seen[h.CPU] = true
				hs = append(hs, h)
			}
		}
	}
	if len(hs) == 0 {
		return binfmt.Foreign(host), false, nil
	}
	return hs, true, nil
}

func handlerFor(s string, host platform.Platform) (binfmt.Handler, error) {
	h, ok := binfmt.ForCPU(strings.ToLower(s))
	if !ok {
		p, err := platform.Parse(s)
		if err != nil {
			return binfmt.Handler{}, err
		}
		if h, ok = binfmt.ForPlatform(p); !ok {
			return binfmt.Handler{}, fmt.Errorf("no emulator handler for %s; known CPUs: %s", platform.Format(p), binfmt.CPUs())
		}
	}
	if binfmt.Native(host, h) {
		return binfmt.Handler{}, fmt.Errorf("%s runs natively on this %s host: no emulator needed (and registering one would capture host binaries)", s, platform.Format(host))
	}
	return h, nil
}

// archLabel is how an arch is shown to people: the platform, or the CPU.
func archLabel(h binfmt.Handler) string {
	if h.Platform != "" {
		return h.Platform
	}
	return h.CPU
}
