// Package e2e runs the polyarch binary end to end, as users do. Tests that
// need root, namespaces or qemu run in CI (root, in a VM); elsewhere they
// skip with the reason, and CI turns such skips into failures.
package e2e
