package publish

import (
	"fmt"
	"strconv"
	"strings"
)

// Kind is the type= of an output.
type Kind string

// The output types polyarch writes.
const (
	Registry Kind = "registry"
	OCI      Kind = "oci"
	Docker   Kind = "docker"
	Local    Kind = "local"
	Tar      Kind = "tar"
	Image    Kind = "image" // the local store only (the default)
)

// Output is one parsed -o/--output value.
type Output struct {
	Kind  Kind
	Dest  string   // file or directory; "-" is stdout for tar-like outputs
	Names []string // image names (name=a,b) for registry, oci, docker, image
	// AsTar says whether an oci output is a tar (buildx default) or a
	// directory (tar=false).
	AsTar bool
	Push  bool // type=image,push=true
	// PushByDigest pushes without moving a tag (push-by-digest=true).
	PushByDigest bool
}

// ParseOutput parses buildx's -o grammar: "type=oci,dest=out.tar,name=x",
// or a bare path (a local directory) or "-" (a tar on stdout).
func ParseOutput(s string) (Output, error) {
	if s == "-" {
		return Output{Kind: Tar, Dest: "-"}, nil
	}
	if !strings.Contains(s, "=") {
		return Output{Kind: Local, Dest: s}, nil
	}
	o := Output{AsTar: true}
	for _, field := range splitCSV(s) {
		k, v, ok := strings.Cut(field, "=")
		if !ok {
			return Output{}, fmt.Errorf("output %q: %q is not key=value", s, field)
		}
		if err := o.set(strings.TrimSpace(k), strings.TrimSpace(v)); err != nil {
			return Output{}, fmt.Errorf("output %q: %w", s, err)
		}
	}
	return o, o.check()
}

func (o *Output) set(k, v string) error {
	switch k {
	case "type":
		o.Kind = Kind(v)
	case "dest":
		o.Dest = v
	case "name":
		for _, n := range strings.Split(v, ",") {
			if n = strings.TrimSpace(n); n != "" {
				o.Names = append(o.Names, n)
			}
		}
	case "tar":
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("tar=%q: want true or false", v)
		}
		o.AsTar = b
	case "push":
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("push=%q: want true or false", v)
		}
		o.Push = b
	case "push-by-digest":
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("push-by-digest=%q: want true or false", v)
		}
		o.PushByDigest = b
	case "name-canonical", "oci-mediatypes", "compression", "compression-level", "force-compression", "unpack", "store":
		// accepted for buildx compatibility; polyarch writes OCI media types with gzip
	default:
		return fmt.Errorf("unknown key %q (polyarch knows type, dest, name, tar, push)", k)
	}
	return nil
}

func (o Output) check() error {
	switch o.Kind {
	case Registry:
		if len(o.Names) == 0 {
			return fmt.Errorf("type=registry needs name=REF (or -t)")
		}
	case OCI, Docker, Tar, Local:
		if o.Dest == "" {
			return fmt.Errorf("type=%s needs dest=PATH", o.Kind)
		}
	case Image:
	case "":
		return fmt.Errorf("missing type= (registry, oci, docker, local, tar or image)")
	default:
		return fmt.Errorf("unknown type %q: use registry, oci, docker, local, tar or image", o.Kind)
	}
	return nil
}

// splitCSV splits on commas, keeping quoted fields ("name=a,b" needs
// quoting in buildx: type=image,"name=a,b").
func splitCSV(s string) []string {
	var out []string
	var cur strings.Builder
	quoted := false
	for _, r := range s {
		switch {
		case r == '"':
			quoted = !quoted
		case r == ',' && !quoted:
			out = append(out, cur.String())
			cur.Reset()
		default:
			cur.WriteRune(r)
		}
	}
	return append(out, cur.String())
}
