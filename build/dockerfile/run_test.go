package dockerfile

import (
	"slices"
	"testing"
)

func TestRunExec(t *testing.T) {
	bash := []string{"/bin/bash", "-c"}
	tests := []struct {
		name       string
		src        string
		shell      []string
		want       []string
		wantScript *Heredoc
	}{
		{name: "shell form", src: "RUN echo $HOME", want: []string{"/bin/sh", "-c", "echo $HOME"}},
		{name: "custom shell", src: "RUN echo hi", shell: bash, want: []string{"/bin/bash", "-c", "echo hi"}},
		{name: "exec form ignores shell", src: `RUN ["echo", "hi"]`, shell: bash, want: []string{"echo", "hi"}},
		{name: "single heredoc runs its body", src: "RUN <<EOF\necho a\necho b\nEOF", want: []string{"/bin/sh", "-c", "echo a\necho b\n"}},
		{name: "chomped heredoc", src: "RUN <<-EOF\n\techo a\n\tEOF", want: []string{"/bin/sh", "-c", "echo a\n"}},
		{name: "shebang heredoc is a script", src: "RUN <<EOF\n#!/usr/bin/env python3\nprint(1)\nEOF",
			want:       []string{"/bin/sh", "-c", "/dev/pipes/EOF"},
			wantScript: &Heredoc{Name: "EOF", Data: "#!/usr/bin/env python3\nprint(1)\n"}},
		{name: "heredoc with a command goes to the shell", src: "RUN python3 <<EOF\nprint(1)\nEOF",
			want: []string{"/bin/sh", "-c", "python3 <<EOF\nprint(1)\nEOF"}},
		{name: "two heredocs", src: "RUN cat <<A <<B\na\nA\nb\nB",
			want: []string{"/bin/sh", "-c", "cat <<A <<B\na\nA\nb\nB"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			run := instructionAt(t, "FROM scratch\n"+tt.src+"\n", 0, 2).Command.(*Run)
			got, script := run.Exec(tt.shell)
			if !slices.Equal(got, tt.want) {
				t.Errorf("argv %q, want %q", got, tt.want)
			}
			switch {
			case (script == nil) != (tt.wantScript == nil):
				t.Errorf("script %+v, want %+v", script, tt.wantScript)
			case script != nil && *script != *tt.wantScript:
				t.Errorf("script %+v, want %+v", *script, *tt.wantScript)
			}
		})
	}
}

func TestMountDefaults(t *testing.T) {
	src := "FROM scratch\nRUN --mount=type=secret,id=tok --mount=type=secret,target=/etc/key,env=KEY " +
		"--mount=type=secret,source=aws --mount=type=ssh,id=gh,target=/ssh --mount=type=cache,target=/c/../cache/ " +
		"--mount=target=/ctx --mount=type=tmpfs,target=/t true\n"
	run := instructionAt(t, src, 0, 2).Command.(*Run)
	want := []struct {
		typ      MountType
		id       string
		target   string
		from     OriginKind
		readOnly bool
	}{
		{MountSecret, "tok", "/run/secrets/tok", OriginNone, true},
		{MountSecret, "key", "/etc/key", OriginNone, true},
		{MountSecret, "aws", "/run/secrets/aws", OriginNone, true},
		{MountSSH, "gh", "/ssh", OriginNone, true},
		{MountCache, "/cache", "/c/../cache/", OriginScratch, false},
		{MountBind, "", "/ctx", OriginContext, true},
		{MountTmpfs, "", "/t", OriginNone, false},
	}
	if len(run.Mounts) != len(want) {
		t.Fatalf("%d mounts, want %d", len(run.Mounts), len(want))
	}
	for i, w := range want {
		m := run.Mounts[i]
		if m.Type != w.typ || m.ID != w.id || m.Target != w.target || m.From.Kind != w.from || m.ReadOnly != w.readOnly {
			t.Errorf("mount %d = %+v, want %+v", i, m, w)
		}
	}
	if run.Mounts[1].Env == nil || *run.Mounts[1].Env != "KEY" {
		t.Error("secret env lost")
	}
}
