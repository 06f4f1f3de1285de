// Package cli holds polyarch's cobra commands, one file per verb. It is the
// only package that reads the environment, parses flags and formats output
// for people; everything below it takes explicit inputs.
package cli
