// Package archtest holds no code: its tests enforce the package layering of
// shared/DESIGN.md §2 and which packages may make namespace and mount calls.
package archtest
