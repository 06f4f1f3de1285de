package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/spf13/cobra"

	"github.com/polyarch/polyarch/image"
	"github.com/polyarch/polyarch/publish"
)

func newManifestCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "manifest",
		Short: "Create and inspect multi-platform indexes (manifest lists) in registries",
		Long: `manifest works on registries directly, not on the local store.

A multi-platform build split across CI runners pushes each platform's image
by digest; one "manifest create" then merges them into an index:

  polyarch manifest create -t reg/app:1.0 reg/app@sha256:<arm64> reg/app@sha256:<s390x>`,
	}
	cmd.AddCommand(newManifestCreateCmd(e), newManifestInspectCmd(e))
	return cmd
}

type manifestCreateFlags struct {
	tags, annotations        []string
	format                   string
	appendTo, allowDups, dry bool
}

func newManifestCreateCmd(e *env) *cobra.Command {
	var f manifestCreateFlags
	cmd := &cobra.Command{
		Use:   "create -t REF [-t REF]... [--append] [--annotation KEY=VALUE]... [--allow-duplicates] [--format oci|docker] [--dry-run] SOURCE...",
		Short: "Merge images and indexes into one multi-platform index and push it",
		Long: `create makes one index of the SOURCEs and pushes it to every -t, as
"docker buildx imagetools create" does.

A SOURCE is a tag or a digest (repo@sha256:…) of an image or of an index, in
any registry. Indexes are flattened into their platform images (attestations
are left out); an image whose index entry or reference gives no platform gets
the one its config names. Entries keep the order given. Two images for one
platform are refused unless --allow-duplicates.

Each image's blobs must be in the target repository: those already there are
not sent, those in another repository of the same registry are mounted
(nothing passes through polyarch), those in another registry are streamed
from it. --append starts from the index the first -t names (if it exists) and
adds the SOURCEs after its entries.`,
		RunE: func(cmd *cobra.Command, args []string) error { return e.manifestCreate(cmd, f, args) },
	}
	fl := cmd.Flags()
	fl.StringArrayVarP(&f.tags, "tag", "t", nil, "where to push the index (repeatable)")
	fl.BoolVar(&f.appendTo, "append", false, "add to the index the first -t names instead of replacing it")
	fl.StringArrayVar(&f.annotations, "annotation", nil, "annotation on the index: KEY=VALUE or index:KEY=VALUE (repeatable)")
	fl.BoolVar(&f.allowDups, "allow-duplicates", false, "allow several images for one platform")
	fl.StringVar(&f.format, "format", "oci", "oci (OCI image index) or docker (Docker manifest list; its images must be Docker schema2 manifests)")
	fl.BoolVar(&f.dry, "dry-run", false, "print the index JSON instead of pushing it")
	return cmd
}

func (e *env) manifestCreate(cmd *cobra.Command, f manifestCreateFlags, sources []string) error {
	ctx := cmd.Context()
	switch {
	case len(f.tags) == 0 && !f.dry:
		return errors.New("name the index: -t REF (or print it with --dry-run)")
	case len(f.tags) == 0 && f.appendTo:
		return errors.New("--append adds to the index -t names: give -t REF")
	case len(sources) == 0 && !f.appendTo:
		return errors.New("give the images or indexes to merge: polyarch manifest create -t REF SOURCE...")
	}
	format, err := publish.ParseIndexFormat(f.format)
	if err != nil {
		return fmt.Errorf("--format: %w", err)
	}
	annotations, err := publish.ParseIndexAnnotations(f.annotations)
	if err != nil {
		return fmt.Errorf("--annotation: %w", err)
	}
	c, err := e.imageClient(ctx, nil)
	if err != nil {
		return err
	}
	for _, t := range f.tags {
		if _, err := c.ParseReference(t); err != nil {
			return fmt.Errorf("-t %s: %w", t, err)
		}
	}
	opts := []publish.IndexOption{publish.WithIndexFormat(format), publish.WithAllowDuplicates(f.allowDups),
		publish.WithIndexAnnotations(annotations)}
	if f.appendTo {
		rd, err := c.Get(ctx, f.tags[0])
		switch {
		case errors.Is(err, image.ErrManifestUnknown):
			fmt.Fprintf(e.stderr, "%s does not exist yet: creating it\n", f.tags[0])
		case err != nil:
			return fmt.Errorf("--append: %w", err)
		default:
			base, err := indexEntry(f.tags[0], rd)
			if err != nil {
				return fmt.Errorf("--append: %w", err)
			}
			opts = append(opts, publish.WithBase(base))
		}
	}
	entries := make([]publish.IndexEntry, len(sources))
	for i, s := range sources {
		rd, err := c.Get(ctx, s)
		if err != nil {
			return fmt.Errorf("source %s: %w", s, err)
		}
		if entries[i], err = indexEntry(s, rd); err != nil {
			return err
		}
	}
	idx, err := publish.AssembleIndex(entries, opts...)
	if err != nil {
		return err
	}
	if f.dry {
		out, err := publish.IndexJSON(idx)
		if err != nil {
			return err
		}
		_, err = e.stdout.Write(out)
		return err
	}
	return e.pushIndex(cmd, c, idx, f.tags, sources)
}

// indexEntry makes an index source of what the registry holds under ref.
func indexEntry(ref string, rd *remote.Descriptor) (publish.IndexEntry, error) {
	e := publish.IndexEntry{Source: ref, Descriptor: v1.Descriptor{MediaType: rd.MediaType, Size: rd.Size, Digest: rd.Digest}}
	var err error
	switch {
	case rd.MediaType.IsIndex():
		e.Index, err = rd.ImageIndex()
	case rd.MediaType.IsImage():
		e.Image, err = rd.Image()
	case rd.MediaType.IsSchema1():
		err = fmt.Errorf("%s is a Docker schema 1 manifest, which an index cannot list: push it again with a current tool", ref)
	default:
		err = fmt.Errorf("%s is a %s, neither an image manifest nor an index", ref, rd.MediaType)
	}
	return e, err
}

// pushIndex pushes idx to every target and prints its digest.
func (e *env) pushIndex(cmd *cobra.Command, c *image.Client, idx v1.ImageIndex, targets, sources []string) error {
	d, err := idx.Digest()
	if err != nil {
		return err
	}
	plats, err := entryPlatforms(idx)
	if err != nil {
		return err
	}
	for _, t := range targets {
		fmt.Fprintf(e.stderr, "pushing %s (%s) to %s\n", short(d), strings.Join(plats, ", "), t)
		for _, s := range sources {
			if mode, err := c.PlanCopy(s, t); err == nil && mode != image.CopyExisting {
				fmt.Fprintf(e.stderr, "  blobs of %s: %s\n", s, copyModeText(mode))
			}
		}
		if err := c.Push(cmd.Context(), t, idx); err != nil {
			return err
		}
		fmt.Fprintf(e.stderr, "pushed %s\n", t)
	}
	fmt.Fprintln(e.stdout, d)
	return nil
}

func copyModeText(m image.CopyMode) string {
	if m == image.CopyMount {
		return "mounted from their repository where missing"
	}
	return "streamed from their registry where missing"
}

// entryPlatforms lists an index's entries' platforms as listed.
func entryPlatforms(idx v1.ImageIndex) ([]string, error) {
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, err
	}
	out := make([]string, len(im.Manifests))
	for i, d := range im.Manifests {
		out[i] = entryPlatform(d)
	}
	return out, nil
}

// entryPlatform is an index entry's platform as listed ("-" without one).
func entryPlatform(d v1.Descriptor) string {
	if d.Platform == nil || d.Platform.OS == "" {
		return "-"
	}
	s := d.Platform.String()
	if image.IsAttestation(d) {
		s += " (attestation)"
	}
	return s
}

func newManifestInspectCmd(e *env) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "inspect [--json] REF",
		Short: "Show an index's platforms, digests, sizes and media types, or an image manifest's platform",
		Long: `inspect reads REF's manifest from its registry. For an index it lists each
entry: PLATFORM DIGEST SIZE MEDIATYPE; for an image manifest it shows the
platform its config names. --json prints the manifest as the registry serves
it (byte for byte, under "manifest") with its name, digest, media type and
size, and the platform for an image manifest.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := e.imageClient(cmd.Context(), nil)
			if err != nil {
				return err
			}
			ref, err := c.ParseReference(args[0])
			if err != nil {
				return err
			}
			rd, err := c.Get(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			var plat string
			if rd.MediaType.IsImage() {
				if plat, err = imagePlatform(rd); err != nil {
					return fmt.Errorf("%s: %w", args[0], err)
				}
			}
			if asJSON {
				return writeManifestJSON(e.stdout, ref.Name(), rd, plat)
			}
			return writeManifestText(e.stdout, ref.Name(), rd, plat)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON with the raw manifest")
	return cmd
}

// imagePlatform reads the platform an image manifest's config names.
func imagePlatform(rd *remote.Descriptor) (string, error) {
	img, err := rd.Image()
	if err != nil {
		return "", err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return "", fmt.Errorf("reading the image config: %w", err)
	}
	if p := cf.Platform(); p != nil && p.OS != "" {
		return p.String(), nil
	}
	return "", nil
}

// writeManifestJSON prints one JSON object whose "manifest" is the raw
// manifest, unchanged (so its digest can be checked).
func writeManifestJSON(w io.Writer, name string, rd *remote.Descriptor, plat string) error {
	head, err := json.Marshal(struct {
		Name      string `json:"name"`
		Digest    string `json:"digest"`
		MediaType string `json:"mediaType"`
		Size      int64  `json:"size"`
		Platform  string `json:"platform,omitempty"`
	}{name, rd.Digest.String(), string(rd.MediaType), rd.Size, plat})
	if err != nil {
		return err
	}
	raw := strings.TrimSpace(string(rd.Manifest))
	if !json.Valid([]byte(raw)) {
		return fmt.Errorf("%s: the registry served a manifest that is not JSON", name)
	}
	_, err = fmt.Fprintf(w, "%s,\"manifest\":%s}\n", head[:len(head)-1], raw)
	return err
}

func writeManifestText(w io.Writer, name string, rd *remote.Descriptor, plat string) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "Name:\t%s\nMediaType:\t%s\nDigest:\t%s\nSize:\t%d\n", name, rd.MediaType, rd.Digest, rd.Size)
	switch {
	case rd.MediaType.IsImage():
		if plat == "" {
			plat = "- (the config names none)"
		}
		fmt.Fprintf(tw, "Platform:\t%s\n", plat)
		return tw.Flush()
	case !rd.MediaType.IsIndex():
		return tw.Flush()
	}
	idx, err := rd.ImageIndex()
	if err != nil {
		return err
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return err
	}
	for k, v := range sortedMap(im.Annotations) {
		fmt.Fprintf(tw, "Annotation:\t%s=%s\n", k, v)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PLATFORM\tDIGEST\tSIZE\tMEDIATYPE")
	for _, d := range im.Manifests {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\n", entryPlatform(d), d.Digest, d.Size, d.MediaType)
	}
	return tw.Flush()
}

// sortedMap yields m's entries in key order.
func sortedMap(m map[string]string) iter.Seq2[string, string] {
	return func(yield func(string, string) bool) {
		for _, k := range slices.Sorted(maps.Keys(m)) {
			if !yield(k, m[k]) {
				return
			}
		}
	}
}
