package image

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/polyarch/polyarch/platform"
)

// ErrPlatformNotFound is wrapped by every *PlatformError: the image does not
// have the requested platform.
var ErrPlatformNotFound = errors.New("image does not have the requested platform")

// PlatformError reports that an image cannot serve the requested platform.
// It matches ErrPlatformNotFound with errors.Is.
type PlatformError struct {
	// Ref is the image reference ("" when unknown, e.g. from SelectManifest).
	Ref string
	// Want is the requested platform.
	Want platform.Platform
	// Have lists the platforms the index offers, in index order without
	// attestations, or the single-platform image's own platform.
	Have []platform.Platform
	// Single is set when the image is a plain manifest, not an index.
	Single bool
	// Listed is set when an index entry claims Want but the image config
	// behind it is Have[0]: a mislabelled image.
	Listed *platform.Platform
}

func (e *PlatformError) Error() string {
	img := "image"
	if e.Ref != "" {
		img += " " + e.Ref
	}
	want := platform.Format(e.Want)
	switch {
	case e.Listed != nil && len(e.Have) == 1:
		return fmt.Sprintf("%s lists %s, but that entry's config says %s: the image is mislabelled (ask its publisher to rebuild it, or use another base image)",
			img, platform.Format(*e.Listed), platform.Format(e.Have[0]))
	case e.Single && len(e.Have) == 1:
		return fmt.Sprintf("%s is %s, not the requested %s (it is a single-platform image: use a tag built for %s, or request no platform to use it as it is)",
			img, platform.Format(e.Have[0]), want, want)
	case len(e.Have) == 0:
		return fmt.Sprintf("%s has no %s; its index lists no platforms", img, want)
	}
	return fmt.Sprintf("%s has no %s; it has %s", img, want, formatList(e.Have))
}

// Is makes errors.Is(err, ErrPlatformNotFound) true.
func (e *PlatformError) Is(target error) bool { return target == ErrPlatformNotFound }

func formatList(ps []platform.Platform) string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = platform.Format(p)
	}
	return strings.Join(out, ", ")
}

// Docker's buildx attaches provenance/SBOM attestations to an index as image
// manifests with platform unknown/unknown and this annotation
// (https://docs.docker.com/build/metadata/attestations/attestation-storage/).
const (
	annotationReferenceType = "vnd.docker.reference.type"
	attestationManifest     = "attestation-manifest"
)

// isAttestation reports whether an index entry is an attestation, not an
// image for a platform.
func isAttestation(d v1.Descriptor) bool {
	if d.Annotations[annotationReferenceType] == attestationManifest {
		return true
	}
	return d.Platform != nil && d.Platform.OS == "unknown" && d.Platform.Architecture == "unknown"
}

// SelectManifest returns the descriptor of idx's image manifest for want,
// the first entry that platform.Matches it: arm64 with or without variant
// v8, an arm entry without variant as arm/v7, amd64 with v1. Attestation
// entries, entries without a platform and nested indexes are skipped. There
// is no fallback to an older variant (want arm/v7 does not take arm/v6).
// When nothing matches the error is a *PlatformError listing what idx has.
func SelectManifest(idx v1.ImageIndex, want platform.Platform) (v1.Descriptor, error) {
	im, err := idx.IndexManifest()
	if err != nil {
		return v1.Descriptor{}, fmt.Errorf("reading image index: %w", err)
	}
	var have []platform.Platform
	for _, d := range im.Manifests {
		if isAttestation(d) || d.Platform == nil || !(d.MediaType.IsImage() || d.MediaType == "") {
			continue
		}
		p := fromV1(d.Platform)
		if platform.Matches(want, p) {
			return d, nil
		}
		if !slices.ContainsFunc(have, func(h platform.Platform) bool { return platform.Equal(h, p) }) {
			have = append(have, platform.Normalize(p))
		}
	}
	return v1.Descriptor{}, &PlatformError{Want: platform.Normalize(want), Have: have}
}

// imagePlatform reads an image's platform from its config, normalised.
func imagePlatform(img v1.Image) (platform.Platform, error) {
	cf, err := img.ConfigFile()
	if err != nil {
		return platform.Platform{}, fmt.Errorf("reading image config: %w", err)
	}
	return platform.Normalize(fromV1(cf.Platform())), nil
}

// checkSingle checks a single-platform image against the request; a nil
// want accepts any platform.
func checkSingle(ref string, have platform.Platform, want *platform.Platform) error {
	if want == nil || platform.Matches(*want, have) {
		return nil
	}
	return &PlatformError{Ref: ref, Want: platform.Normalize(*want), Have: []platform.Platform{have}, Single: true}
}

// checkEntry compares an index entry's platform with the config of the image
// it points to. Only os and architecture are compared: many arm images'
// configs omit the variant their index entry states.
func checkEntry(ref string, listed, config platform.Platform) error {
	listed, config = platform.Normalize(listed), platform.Normalize(config)
	if config.Architecture == "" || (listed.OS == config.OS && listed.Architecture == config.Architecture) {
		return nil
	}
	return &PlatformError{Ref: ref, Want: listed, Have: []platform.Platform{config}, Listed: &listed}
}

// fromV1 converts ggcr's platform to the OCI one; nil gives the zero value.
func fromV1(p *v1.Platform) platform.Platform {
	if p == nil {
		return platform.Platform{}
	}
	return platform.Platform{
		OS:           p.OS,
		Architecture: p.Architecture,
		Variant:      p.Variant,
		OSVersion:    p.OSVersion,
		OSFeatures:   slices.Clone(p.OSFeatures),
	}
}

// toV1 converts an OCI platform to ggcr's.
func toV1(p platform.Platform) *v1.Platform {
	return &v1.Platform{
		OS:           p.OS,
		Architecture: p.Architecture,
		Variant:      p.Variant,
		OSVersion:    p.OSVersion,
		OSFeatures:   slices.Clone(p.OSFeatures),
	}
}
