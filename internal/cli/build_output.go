package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/spf13/cobra"

	"github.com/polyarch/polyarch/build"
	"github.com/polyarch/polyarch/image"
	"github.com/polyarch/polyarch/platform"
	"github.com/polyarch/polyarch/publish"
	"github.com/polyarch/polyarch/rootfs"
	"github.com/polyarch/polyarch/store"
)

// contextDir returns the build context directory; "-" reads a tar from
// stdin into a temporary directory.
func (e *env) contextDir(arg string) (string, func(), error) {
	if arg != "-" {
		st, err := os.Stat(arg)
		if err != nil || !st.IsDir() {
			return "", func() {}, fmt.Errorf("build context %s: not a directory (give a directory, or - for a tar on stdin)", arg)
		}
		return arg, func() {}, nil
	}
	dir, err := os.MkdirTemp("", "polyarch-context-")
	if err != nil {
		return "", func() {}, err
	}
	cleanup := func() { os.RemoveAll(dir) }
	if _, err := rootfs.Unpack(context.Background(), e.stdin, dir, rootfs.WithOwnership(false)); err != nil {
		cleanup()
		return "", func() {}, fmt.Errorf("reading the build context tar from stdin: %w", err)
	}
	return dir, cleanup, nil
}

func readAll(r io.Reader) ([]byte, error) { return io.ReadAll(r) }

// envSecretPrefix names the temporary files holding env= secrets.
const envSecretPrefix = "polyarch-secret-"

// removeEnvSecrets deletes the temporary files of env= secrets.
func removeEnvSecrets(bctx build.Context) {
	for _, p := range bctx.Secrets {
		if strings.HasPrefix(filepath.Base(p), envSecretPrefix) && filepath.Dir(p) == filepath.Clean(os.TempDir()) {
			os.Remove(p)
		}
	}
}

// secretFlags parses --secret id=ID,src=PATH | env=VAR.
func (e *env) secretFlags(list []string) (map[string]string, error) {
	out := map[string]string{}
	for _, s := range list {
		var id, src, envName string
		for _, f := range strings.Split(s, ",") {
			k, v, _ := strings.Cut(f, "=")
			switch k {
			case "id":
				id = v
			case "src", "source":
				src = v
			case "env":
				envName = v
			case "type":
			default:
				return nil, fmt.Errorf("--secret %q: unknown key %q (id, src, env)", s, k)
			}
		}
		if id == "" {
			return nil, fmt.Errorf("--secret %q: id= is required", s)
		}
		if envName != "" {
			f, err := os.CreateTemp("", envSecretPrefix)
			if err != nil {
				return nil, err
			}
			_, err = f.WriteString(os.Getenv(envName))
			f.Close()
			if err != nil {
				return nil, err
			}
			src = f.Name()
		}
		if _, err := os.Stat(src); err != nil {
			return nil, fmt.Errorf("--secret %s: %w", id, err)
		}
		out[id] = src
	}
	return out, nil
}

// sourceDateEpoch reads SOURCE_DATE_EPOCH from --build-arg or the environment.
func sourceDateEpoch(e *env, args []string) (time.Time, bool, error) {
	v := e.getenv("SOURCE_DATE_EPOCH")
	for _, a := range args {
		if s, ok := strings.CutPrefix(a, "SOURCE_DATE_EPOCH="); ok {
			v = s
		}
	}
	if v == "" {
		return time.Time{}, false, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("SOURCE_DATE_EPOCH=%q: want seconds since 1970", v)
	}
	return time.Unix(n, 0).UTC(), true, nil
}

// imageSource gives the builder base images: from the store, else pulled.
type imageSource struct {
	e      *env
	st     *store.Store
	client *image.Client
	pull   bool
}

func (e *env) buildImageSource(cmd *cobra.Command, st *store.Store, pull bool) (*imageSource, error) {
	c, err := e.imageClient(cmd.Context(), nil)
	if err != nil {
		return nil, err
	}
	return &imageSource{e: e, st: st, client: c, pull: pull}, nil
}

// Origin is where ref's blobs live in a registry, so a push to the same
// registry mounts them instead of uploading them again.
func (s *imageSource) Origin(ref string) (name.Reference, bool) {
	r, err := s.client.ParseReference(ref)
	return r, err == nil
}

func (s *imageSource) Get(ctx context.Context, ref string, p platform.Platform) (v1.Image, error) {
	if !s.pull {
		if local, err := s.client.LocalImage(s.st, ref, &p); err == nil {
			return local.Image, nil
		}
	}
	pulled, err := s.client.Pull(ctx, ref, &p, s.st)
	if err != nil {
		return nil, err
	}
	return pulled.Image, nil
}

// finishBuild tags the result in the store, pushes and writes outputs.
func (e *env) finishBuild(cmd *cobra.Command, st *store.Store, res *build.Result, f buildFlags) error {
	desc, err := e.publishBuild(cmd.Context(), st, res, f)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%s\n", desc.Digest)
	return writeMetadata(f, desc)
}

// publishBuild stores the result (an index for several platforms, in their
// order), tags it as f.tags, pushes and writes f.outputs.
func (e *env) publishBuild(ctx context.Context, st *store.Store, res *build.Result, f buildFlags) (v1.Descriptor, error) {
	out := publish.Result{}
	if len(res.Images) == 1 {
		if ann, _ := parseBuildAnnotations(f.annotations); len(ann.index)+len(ann.descriptor) > 0 {
			return v1.Descriptor{}, fmt.Errorf("index and manifest-descriptor annotations need an index: build several platforms, or annotate the manifest")
		}
		out.Image = res.Images[0]
	} else {
		ann, err := parseBuildAnnotations(f.annotations)
		if err != nil {
			return v1.Descriptor{}, err
		}
		idx, err := indexOf(res, ann)
		if err != nil {
			return v1.Descriptor{}, err
		}
		if _, err := st.WriteIndex(ctx, idx); err != nil {
			return v1.Descriptor{}, err
		}
		out.Index = idx
	}
	desc, err := resultDescriptor(out)
	if err != nil {
		return desc, err
	}
	c, err := e.imageClient(ctx, nil)
	if err != nil {
		return desc, err
	}
	for _, t := range f.tags {
		ref, err := c.ParseReference(t)
		if err != nil {
			return desc, fmt.Errorf("-t %s: %w", t, err)
		}
		if err := st.Tag(ctx, ref.Name(), desc); err != nil {
			return desc, err
		}
	}
	return desc, e.writeOutputs(ctx, c, out, f)
}

// indexOf makes the multi-platform index, in the requested order.
func indexOf(res *build.Result, ann buildAnnotations) (v1.ImageIndex, error) {
	entries := make([]publish.IndexEntry, len(res.Images))
	for i, img := range res.Images {
		p := res.Platforms[i]
		d := v1.Descriptor{Platform: &v1.Platform{OS: p.OS, Architecture: p.Architecture, Variant: p.Variant}}
		if a := forPlatform(ann.descriptor, p); len(a) > 0 {
			d.Annotations = a
		}
		entries[i] = publish.IndexEntry{Source: platform.Format(p), Image: img, Descriptor: d}
	}
	var opts []publish.IndexOption
	if len(ann.index) > 0 {
		opts = append(opts, publish.WithIndexAnnotations(ann.index))
	}
	return publish.AssembleIndex(entries, opts...)
}

func resultDescriptor(r publish.Result) (v1.Descriptor, error) {
	var d v1.Descriptor
	var err error
	if r.Index != nil {
		d.MediaType = types.OCIImageIndex
		d.Digest, err = r.Index.Digest()
		if err == nil {
			d.Size, err = r.Index.Size()
		}
		return d, err
	}
	d.MediaType = types.OCIManifestSchema1
	d.Digest, err = r.Image.Digest()
	if err == nil {
		d.Size, err = r.Image.Size()
	}
	return d, err
}

func (e *env) writeOutputs(ctx context.Context, c *image.Client, out publish.Result, f buildFlags) error {
	var outputs []publish.Output
	for _, s := range f.outputs {
		o, err := publish.ParseOutput(s)
		if err != nil {
			return err
		}
		outputs = append(outputs, o)
	}
	if f.push || f.pushByDigest {
		outputs = append(outputs, publish.Output{Kind: publish.Registry, Names: f.tags, PushByDigest: f.pushByDigest})
	}
	for _, o := range outputs {
		if err := e.writeOutput(ctx, c, out, o, f.tags); err != nil {
			return err
		}
	}
	return nil
}

func (e *env) writeOutput(ctx context.Context, c *image.Client, out publish.Result, o publish.Output, tags []string) error {
	names := o.Names
	if len(names) == 0 {
		names = tags
	}
	switch o.Kind {
	case publish.Registry, publish.Image:
		if o.Kind == publish.Image && !o.Push && !o.PushByDigest {
			return nil
		}
		if len(names) == 0 {
			return fmt.Errorf("--push needs a name: give -t REF")
		}
		for _, n := range names {
			if o.PushByDigest {
				ref, err := c.ParseReference(n)
				if err != nil {
					return err
				}
				d, err := resultDescriptor(out)
				if err != nil {
					return err
				}
				n = ref.Context().Name() + "@" + d.Digest.String()
			}
			var err error
			if out.Index != nil {
				err = c.Push(ctx, n, out.Index)
			} else {
				err = c.Push(ctx, n, out.Image)
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stderr, "pushed %s\n", n)
		}
	case publish.OCI:
		return publish.WriteOCI(ctx, out, o.Dest, o.AsTar, names)
	case publish.Docker:
		return publish.WriteDocker(out, o.Dest, names)
	case publish.Local, publish.Tar:
		return publish.WriteFilesystem(ctx, out, o.Kind, o.Dest)
	}
	return nil
}

func writeMetadata(f buildFlags, d v1.Descriptor) error {
	if f.iidFile != "" {
		if err := os.WriteFile(f.iidFile, []byte(d.Digest.String()), 0o644); err != nil {
			return fmt.Errorf("--iidfile: %w", err)
		}
	}
	if f.metadataFile == "" {
		return nil
	}
	md := map[string]any{"containerimage.digest": d.Digest.String(), "containerimage.descriptor": d}
	if len(f.tags) > 0 {
		md["image.name"] = strings.Join(f.tags, ",")
	}
	b, _ := json.MarshalIndent(md, "", "  ")
	if err := os.WriteFile(f.metadataFile, b, 0o644); err != nil {
		return fmt.Errorf("--metadata-file: %w", err)
	}
	return nil
}
