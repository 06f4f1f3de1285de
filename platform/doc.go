// Package platform parses, normalises and formats container platforms and
// every architecture spelling users meet (OCI, TARGETARCH, uname -m, Debian,
// bashbrew, QEMU, GOARCH/GOARM). It wraps github.com/containerd/platforms.
// It does not know about images or emulators.
package platform
