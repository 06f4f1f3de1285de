package dockerfile

import (
	"context"
	"slices"
	"testing"

	"github.com/polyarch/polyarch/platform"
)

// instructionAt parses src for one platform and returns the instruction
// on the given line of the given stage index.
func instructionAt(t *testing.T, src string, stage, line int, opts ...Option) Instruction {
	t.Helper()
	opts = append([]Option{
		WithPlatforms(platform.MustParse("linux/arm/v7")),
		WithBuildPlatform(platform.MustParse("linux/amd64")),
	}, opts...)
	plan, err := Parse(context.Background(), []byte(src), opts...)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	s := plan.Builds[0].Stage(stage)
	if s == nil {
		t.Fatalf("stage %d not in the build", stage)
	}
	for _, in := range s.Instructions {
		if in.Line == line {
			return in
		}
	}
	t.Fatalf("no instruction on line %d of stage %d", line, stage)
	return Instruction{}
}

func TestExpansion(t *testing.T) {
	tests := []struct {
		name string
		src  string
		args map[string]string
		line int      // in the last stage
		want []string // rendered args of that instruction
	}{
		{"default when unset", "FROM a\nENV X=${NOPE:-dflt}\n", nil, 2, []string{"X=dflt"}},
		{"colon default when empty", "FROM a\nENV E=\nENV X=${E:-dflt} Y=${E-dflt}\n", nil, 3, []string{"X=dflt", "Y="}},
		{"alt when set", "FROM a\nENV S=1\nENV X=${S:+alt} Y=${NOPE:+alt}\n", nil, 3, []string{"X=alt", "Y="}},
		{"prefix and suffix trimming", "FROM a\nENV V=v1.2.3\nENV A=${V#v} B=${V%.*} C=${V%%.*}\n", nil, 3, []string{"A=1.2.3", "B=v1.2", "C=v1"}},
		{"substitution", "FROM a\nENV P=a-b-c\nENV X=${P/-/_} Y=${P//-/_}\n", nil, 3, []string{"X=a_b-c", "Y=a_b_c"}},
		{"escaped dollar", "FROM a\nENV X=1\nLABEL a=\\$X b=$X\n", nil, 3, []string{"a=$X", "b=1"}},
		{"single quotes keep", "FROM a\nENV X=1\nLABEL a='$X' b=\"$X\"\n", nil, 3, []string{"a=$X", "b=1"}},
		{"env sees old values", "FROM a\nENV X=old\nENV X=new Y=$X\n", nil, 3, []string{"X=new", "Y=old"}},
		{"arg default uses earlier arg", "FROM a\nARG A=1 B=${A}2\n", nil, 2, []string{"A=1", "B=12"}},
		{"build arg beats default", "FROM a\nARG A=1 B=${A}2\n", map[string]string{"A": "9"}, 2, []string{"A=9", "B=92"}},
		{"global needs redeclaration", "ARG G=g\nFROM a\nENV X=[$G]\nARG G\nENV Y=[$G]\n", nil, 3, []string{"X=[]"}},
		{"global redeclared", "ARG G=g\nFROM a\nARG G\nENV Y=[$G]\n", nil, 4, []string{"Y=[g]"}},
		{"stage default beats global", "ARG G=g\nFROM a\nARG G=stage\nENV Y=$G\n", nil, 4, []string{"Y=stage"}},
		{"global default uses automatic arg", "ARG IMG=base-${TARGETARCH}\nFROM a\nARG IMG\nENV Y=$IMG\n", nil, 4, []string{"Y=base-arm"}},
		{"automatic empty until declared", "FROM a\nENV X=[$TARGETARCH]\n", nil, 2, []string{"X=[]"}},
		{"automatic declared", "FROM a\nARG TARGETARCH TARGETVARIANT BUILDARCH TARGETPLATFORM\n", nil, 2,
			[]string{"TARGETARCH=arm", "TARGETVARIANT=v7", "BUILDARCH=amd64", "TARGETPLATFORM=linux/arm/v7"}},
		{"automatic overridden", "FROM a\nARG TARGETARCH\n", map[string]string{"TARGETARCH": "x"}, 2, []string{"TARGETARCH=x"}},
		{"undeclared build arg invisible", "FROM a\nENV X=[$SECRET]\n", map[string]string{"SECRET": "s"}, 2, []string{"X=[]"}},
		{"arg without value stays unset", "FROM a\nARG NOVAL\nENV X=${NOVAL-unset}\n", nil, 3, []string{"X=unset"}},
		{"arg inherited by child stage", "FROM a AS p\nARG A=1\nFROM p\nENV X=$A\n", nil, 4, []string{"X=1"}},
		{"run not expanded", "FROM a\nARG A=1\nRUN echo $A ${A:-x}\n", nil, 3, []string{"echo $A ${A:-x}"}},
		{"cmd not expanded", "FROM a\nENV A=1\nCMD echo $A\n", nil, 3, []string{"echo $A"}},
		{"entrypoint not expanded", "FROM a\nENV A=1\nENTRYPOINT [\"$A\"]\n", nil, 3, []string{"$A"}},
		{"shell not expanded", "FROM a\nENV A=1\nSHELL [\"$A\", \"-c\"]\n", nil, 3, []string{"$A", "-c"}},
		{"healthcheck not expanded", "FROM a\nENV A=1\nHEALTHCHECK CMD check $A\n", nil, 3, []string{"CMD-SHELL", "check $A"}},
		{"onbuild stored raw", "FROM a\nENV A=1\nONBUILD RUN echo $A\n", nil, 3, []string{"RUN echo $A"}},
		{"copy expanded", "FROM a\nARG S=src D=/dst O=1:2\nCOPY --chown=$O ${S}/ $D/\n", nil, 3, []string{"src/", "/dst/"}},
		{"copy exclude not expanded", "FROM a\nARG P=x\nCOPY --exclude=$P . /\n", nil, 3, []string{".", "/"}},
		{"user expanded", "FROM a\nARG U=1000\nUSER $U:${U}\n", nil, 3, []string{"1000:1000"}},
		{"volume expanded", "FROM a\nARG V=/v\nVOLUME $V /w\n", nil, 3, []string{"/v", "/w"}},
		{"expose splits words", "FROM a\nARG PORTS=\"80 443/udp\"\nEXPOSE $PORTS\n", nil, 3, []string{"80/tcp", "443/udp"}},
		{"stopsignal expanded", "FROM a\nARG S=TERM\nSTOPSIGNAL SIG$S\n", nil, 3, []string{"SIGTERM"}},
		{"workdir expanded", "FROM a\nENV D=/x\nWORKDIR $D/y\n", nil, 3, []string{"/x/y"}},
		{"arg value shadows env", "FROM a\nENV V=env\nARG V=arg\nENV X=$V\n", nil, 4, []string{"X=arg"}},
		{"path default for scratch", "FROM scratch\nENV X=$PATH\n", nil, 2, []string{"X=" + defaultPath}},
		{"proxy args are not in scope", "FROM a\nENV X=[$HTTP_PROXY]\n", map[string]string{"HTTP_PROXY": "p"}, 2, []string{"X=[]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plan, err := Parse(context.Background(), []byte(tt.src),
				WithPlatforms(platform.MustParse("linux/arm/v7")), WithBuildPlatform(platform.MustParse("linux/amd64")),
				WithBuildArgs(tt.args))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			var got []string
			found := false
			for _, in := range plan.Builds[0].Target().Instructions {
				if in.Line == tt.line {
					got, _ = in.Command.render()
					found = true
				}
			}
			if !found {
				t.Fatalf("no instruction on line %d", tt.line)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestRunEnvironment(t *testing.T) {
	src := "FROM scratch\nARG A=1\nARG NOVAL\nENV E=e\nARG E=argwins\nRUN true\n"
	in := instructionAt(t, src, 0, 6)
	want := []string{"PATH=" + defaultPath, "A=1", "E=argwins"}
	if !slices.Equal(in.Env, want) {
		t.Errorf("RUN env = %q, want %q", in.Env, want)
	}
	var args []string
	for _, a := range in.Args {
		args = append(args, a.String())
	}
	if want := []string{"A=1", "NOVAL", "E=argwins"}; !slices.Equal(args, want) {
		t.Errorf("RUN args in scope = %q, want %q", args, want)
	}
}

func TestMountExpansion(t *testing.T) {
	src := "FROM a\nARG ID=mod T=/cache\nRUN --mount=type=cache,id=$ID,target=${T}/x echo $ID\n"
	run := instructionAt(t, src, 0, 3).Command.(*Run)
	if m := run.Mounts[0]; m.ID != "mod" || m.Target != "/cache/x" {
		t.Errorf("mount = %+v, want id mod and target /cache/x", m)
	}
	if run.Args[0] != "echo $ID" {
		t.Errorf("command %q was expanded", run.Args[0])
	}
}

func TestCopyHeredocExpansion(t *testing.T) {
	src := "FROM a\nARG N=x\nCOPY <<A <<'B' <<-C /d/\n$N \"q\"\nA\n$N\nB\n\t$N\n\tC\n"
	c := instructionAt(t, src, 0, 3).Command.(*Copy)
	want := []Heredoc{
		{Name: "A", Data: "x \"q\"\n", Expand: true},
		{Name: "B", Data: "$N\n", Expand: false},
		{Name: "C", Data: "x\n", Expand: true, Chomp: true},
	}
	if !slices.Equal(c.Heredocs, want) {
		t.Errorf("heredocs = %+v, want %+v", c.Heredocs, want)
	}
}
