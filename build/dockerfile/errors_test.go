package dockerfile

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/polyarch/polyarch/platform"
)

// errorCase is a Dockerfile that Parse must reject.
type errorCase struct {
	name   string
	src    string
	opts   []Option
	line   int
	is     error  // sentinel, when the caller can branch on it
	substr string // part of the message
}

func errorCases() []errorCase {
	return []errorCase{
		{name: "unknown instruction", src: "FROM alpine\nFOO bar\n", line: 2, substr: "unknown instruction: FOO"},
		{name: "misspelt instruction suggests", src: "FROM alpine\nCOPPY a b\n", line: 2, substr: "did you mean COPY?"},
		{name: "empty file", src: "\n\n", is: ErrNoStage, substr: "empty"},
		{name: "comments only", src: "# nothing\n", is: ErrNoStage, substr: "no instructions"},
		{name: "instruction before FROM", src: "ARG A=1\nRUN echo\nFROM alpine\n", line: 2, is: ErrNoStage, substr: "RUN before the first FROM"},
		{name: "only global args", src: "ARG A=1\n", is: ErrNoStage, substr: "no FROM"},
		{name: "copy from later stage", src: "FROM alpine AS a\nCOPY --from=b /x /x\nFROM alpine AS b\n", opts: []Option{WithTarget("a")},
			line: 2, is: ErrStageOrder, substr: `COPY --from=b: stage used before it is defined: stage "b" is defined later (line 3)`},
		{name: "copy from itself", src: "FROM alpine AS a\nCOPY --from=a /x /x\n", line: 2, is: ErrStageOrder, substr: "cannot use itself"},
		{name: "copy from own index", src: "FROM alpine\nFROM alpine\nCOPY --from=1 /x /x\n", line: 3, is: ErrStageOrder, substr: "cannot use itself"},
		{name: "copy from later index", src: "FROM alpine\nCOPY --from=1 /x /x\nFROM alpine\nCOPY --from=0 /x /x\n", line: 2, is: ErrStageOrder, substr: "stage 1 is defined later"},
		{name: "copy from index out of range", src: "FROM alpine\nCOPY --from=5 /x /x\n", line: 2, substr: "no stage has index 5"},
		{name: "copy from variable", src: "FROM alpine\nARG S=x\nCOPY --from=$S /x /x\n", line: 3, substr: "variables are not supported"},
		{name: "mount from later stage", src: "FROM alpine AS a\nRUN --mount=from=b,target=/b ls\nFROM alpine AS b\nCOPY --from=a / /\n", line: 2, is: ErrStageOrder, substr: "RUN --mount from=b"},
		{name: "mount from variable", src: "FROM alpine\nRUN --mount=from=$X,target=/b ls\n", line: 2, substr: "doesn't support variable expansion"},
		{name: "empty base", src: "FROM $UNSET\n", line: 1, is: ErrEmptyBase, substr: "FROM $UNSET"},
		{name: "empty base from global", src: "ARG IMG\nFROM alpine\nFROM ${IMG}\n", line: 3, is: ErrEmptyBase},
		{name: "invalid platform", src: "FROM --platform=linux/sparc alpine\n", line: 1, is: ErrInvalidPlatform, substr: `"linux/sparc"`},
		{name: "empty platform", src: "FROM --platform=$NOPE alpine\n", line: 1, is: ErrInvalidPlatform, substr: "empty string"},
		{name: "windows platform", src: "FROM --platform=windows/amd64 alpine\n", line: 1, is: platform.ErrUnsupportedOS},
		{name: "invalid image reference", src: "FROM Alpine:3\n", line: 1, substr: `invalid image reference "Alpine:3"`},
		{name: "bad substitution", src: "FROM alpine\nENV A=${B\n", line: 2, substr: `failed to process "${B"`},
		{name: "bad substitution in FROM", src: "FROM ${B\n", line: 1, substr: `failed to process "${B"`},
		{name: "required variable", src: "FROM alpine\nWORKDIR ${DIR:?set DIR}\n", line: 2, substr: "DIR: set DIR"},
		{name: "unknown flag", src: "FROM alpine\nCOPY --frm=a /x /x\n", line: 2, substr: "unknown flag: --frm"},
		{name: "flag on ENV", src: "FROM alpine\nENV --x=1 A=1\n", line: 2, substr: "unknown flag"},
		{name: "device unsupported", src: "FROM alpine\nRUN --device=nvidia.com/gpu=all nvidia-smi\n", line: 2, is: ErrUnsupported},
		{name: "bad network", src: "FROM alpine\nRUN --network=bridge true\n", line: 2, substr: `invalid network mode "bridge"`},
		{name: "bad mount type", src: "FROM alpine\nRUN --mount=type=nfs,target=/x true\n", line: 2, substr: "unsupported mount type"},
		{name: "mount without target", src: "FROM alpine\nRUN --mount=type=cache true\n", line: 2, substr: "needs a target"},
		{name: "unknown target", src: "FROM alpine AS build\nFROM alpine AS final\n", opts: []Option{WithTarget("tset")},
			is: ErrUnknownTarget, substr: `"tset"; the stages are: build, final`},
		{name: "unknown target unnamed stages", src: "FROM alpine\n", opts: []Option{WithTarget("x")}, is: ErrUnknownTarget, substr: "no named stages"},
		{name: "duplicate stage name", src: "FROM alpine AS a\nFROM alpine AS A\n", line: 2, substr: `"a" is already used by the stage on line 1`},
		{name: "invalid stage name", src: "FROM alpine AS 1st\n", line: 1, substr: "invalid name for build stage"},
		{name: "bad chmod", src: "FROM alpine\nCOPY --chmod=999 a /a\n", line: 2, substr: "--chmod=999: not an octal mode"},
		{name: "bad symbolic chmod", src: "FROM alpine\nCOPY --chmod=q+z a /a\n", line: 2, substr: "--chmod=q+z"},
		{name: "chmod too large", src: "FROM alpine\nCOPY --chmod=17777 a /a\n", line: 2, substr: "at most 7777"},
		{name: "chown name with link", src: "FROM alpine\nCOPY --link --chown=app a /a\n", line: 2, substr: "numeric uid"},
		{name: "checksum on local ADD", src: "FROM alpine\nADD --checksum=sha256:00 a /a\n", line: 2, substr: "http(s) or git source"},
		{name: "checksum on two sources", src: "FROM alpine\nADD --checksum=sha256:00 https://a/x https://b/y /a/\n", line: 2, substr: "exactly one source"},
		{name: "checksum on COPY", src: "FROM alpine\nCOPY --checksum=sha256:00 a /a\n", line: 2, substr: "unknown flag: --checksum"},
		{name: "COPY URL", src: "FROM alpine\nCOPY https://example.com/x /x\n", line: 2, substr: "use ADD"},
		{name: "COPY git", src: "FROM alpine\nCOPY https://github.com/a/b.git /x\n", line: 2, substr: "use ADD"},
		{name: "bad port", src: "FROM alpine\nEXPOSE 80/icmp\n", line: 2, substr: `unknown protocol "icmp"`},
		{name: "port out of range", src: "FROM alpine\nEXPOSE 70000\n", line: 2, substr: "not a port number"},
		{name: "reversed port range", src: "FROM alpine\nEXPOSE 90-80\n", line: 2, substr: "ends before it starts"},
		{name: "bad signal", src: "FROM alpine\nSTOPSIGNAL SIGFOO\n", line: 2, substr: `invalid STOPSIGNAL "SIGFOO"`},
		{name: "signal zero", src: "FROM alpine\nSTOPSIGNAL 0\n", line: 2, substr: "from 1 to 64"},
		{name: "empty workdir", src: "FROM alpine\nWORKDIR $NOPE\n", line: 2, substr: "WORKDIR expands to an empty path"},
		{name: "empty volume", src: "FROM alpine\nVOLUME [\"\"]\n", line: 2, substr: "VOLUME"},
		{name: "unterminated heredoc", src: "FROM alpine\nRUN <<EOF\necho\n", line: 2, substr: "unterminated heredoc"},
		{name: "heredoc as destination", src: "FROM alpine\nCOPY a <<EOF\nx\nEOF\n", line: 2, substr: "cannot accept a heredoc as a destination"},
		{name: "onbuild onbuild", src: "FROM alpine\nONBUILD ONBUILD RUN x\n", line: 2, substr: "ONBUILD ONBUILD"},
		{name: "onbuild from", src: "FROM alpine\nONBUILD FROM alpine\n", line: 2, substr: "isn't allowed as an ONBUILD trigger"},
		{name: "bad escape directive", src: "# escape=x\nFROM alpine\n", substr: "invalid escape token"},
		{name: "shell not json", src: "FROM alpine\nSHELL /bin/bash -c\n", line: 2, substr: "SHELL requires the arguments to be in JSON form"},
		{name: "healthcheck bad interval", src: "FROM alpine\nHEALTHCHECK --interval=soon CMD true\n", line: 2, substr: "soon"},
		{name: "healthcheck unknown type", src: "FROM alpine\nHEALTHCHECK RUN true\n", line: 2, substr: "Unknown type"},
		{name: "runaway expansion", src: runaway(), line: 18, substr: "more than 1048576 bytes"},
		{name: "error in unused stage FROM still counts", src: "FROM $UNSET AS x\nFROM alpine\n", line: 1, is: ErrEmptyBase},
	}
}

func TestParseErrors(t *testing.T) {
	for _, tt := range errorCases() {
		t.Run(tt.name, func(t *testing.T) {
			opts := append([]Option{WithPlatforms(platform.MustParse("linux/amd64")), WithBuildPlatform(platform.MustParse("linux/amd64"))}, tt.opts...)
			plan, err := Parse(context.Background(), []byte(tt.src), opts...)
			if err == nil {
				t.Fatalf("Parse succeeded, want an error; plan has %d builds", len(plan.Builds))
			}
			var de *Error
			if !errors.As(err, &de) {
				t.Fatalf("error %v (%T) is not an *Error", err, err)
			}
			if de.Line != tt.line {
				t.Errorf("error %q: line %d, want %d", err, de.Line, tt.line)
			}
			if tt.line > 0 && !strings.HasPrefix(err.Error(), "Dockerfile:"+strconv.Itoa(tt.line)+": ") {
				t.Errorf("error %q does not start with Dockerfile:%d:", err, tt.line)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %q is not %v", err, tt.is)
			}
			if !strings.Contains(err.Error(), tt.substr) {
				t.Errorf("error %q does not contain %q", err, tt.substr)
			}
		})
	}
}

// runaway doubles an ARG until the expansion limit stops it.
func runaway() string {
	var b strings.Builder
	b.WriteString("FROM alpine\nARG A0=0123456789abcdef0123456789abcdef\n")
	for i := 1; i <= 22; i++ {
		b.WriteString("ARG A" + strconv.Itoa(i) + "=$A" + strconv.Itoa(i-1) + "$A" + strconv.Itoa(i-1) + "\n")
	}
	b.WriteString("RUN true\n")
	return b.String()
}
