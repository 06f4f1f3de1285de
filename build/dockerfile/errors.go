package dockerfile

import (
	"errors"
	"fmt"

	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

// Sentinel errors, for callers that branch with errors.Is. The *Error that
// Parse returns wraps them.
var (
	// ErrNoStage reports a Dockerfile without FROM, or an instruction other
	// than ARG before the first FROM.
	ErrNoStage = errors.New("no build stage")
	// ErrUnknownTarget reports a --target that names no stage.
	ErrUnknownTarget = errors.New("unknown target stage")
	// ErrStageOrder reports COPY --from or RUN --mount from= naming the
	// stage itself or a later stage.
	ErrStageOrder = errors.New("stage used before it is defined")
	// ErrEmptyBase reports a FROM whose image expands to an empty string.
	ErrEmptyBase = errors.New("empty base image")
	// ErrInvalidPlatform reports a FROM --platform value that is not a platform.
	ErrInvalidPlatform = errors.New("invalid FROM --platform")
	// ErrUnsupported reports Dockerfile features polyarch does not implement.
	ErrUnsupported = errors.New("not supported by polyarch")
)

// Error is a Dockerfile error with its location. It prints as
// "Dockerfile:7: message", or "Dockerfile: message" when Line is 0.
type Error struct {
	File string
	Line int
	Err  error
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.File, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// errorAt wraps err with the file and a line. A BuildKit location error
// gives its own line when line is 0 (its message does not repeat the line).
// An *Error passes through unchanged.
func errorAt(file string, line int, err error) error {
	if err == nil {
		return nil
	}
	var de *Error
	if errors.As(err, &de) {
		return err
	}
	var le *parser.LocationError
	if line == 0 && errors.As(err, &le) && len(le.Locations) > 0 && len(le.Locations[0]) > 0 {
		line = le.Locations[0][0].Start.Line
	}
	return &Error{File: file, Line: line, Err: err}
}
