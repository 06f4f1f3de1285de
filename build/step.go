package build

import (
	"context"
	"fmt"
	"path"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/polyarch/polyarch/build/dockerfile"
)

// step applies one instruction to the stage state.
func (r *platformRun) step(ctx context.Context, s *dockerfile.Stage, st *stageResult, in *dockerfile.Instruction, i, n int) error {
	cfg := &st.cfg.Config
	empty := true
	switch c := in.Command.(type) {
	case *dockerfile.Run:
		return r.runStep(ctx, s, st, in, c, i, n)
	case *dockerfile.Copy:
		return r.copyStep(ctx, s, st, in, i, n, &c.Files, c.From, c.Parents, false, nil)
	case *dockerfile.Add:
		return r.copyStep(ctx, s, st, in, i, n, &c.Files, dockerfile.Origin{Kind: dockerfile.OriginContext, Stage: -1}, false, true, c)
	case *dockerfile.Workdir:
		return r.workdirStep(ctx, s, st, in, c)
	case *dockerfile.Env:
		for _, kv := range c.Vars {
			cfg.Env = setEnv(cfg.Env, kv.Key, kv.Value)
		}
	case *dockerfile.Label:
		if cfg.Labels == nil {
			cfg.Labels = map[string]string{}
		}
		for _, kv := range c.Labels {
			cfg.Labels[kv.Key] = kv.Value
		}
	case *dockerfile.Expose:
		if cfg.ExposedPorts == nil {
			cfg.ExposedPorts = map[string]struct{}{}
		}
		for _, p := range c.Ports {
			cfg.ExposedPorts[p] = struct{}{}
		}
	case *dockerfile.Volume:
		if cfg.Volumes == nil {
			cfg.Volumes = map[string]struct{}{}
		}
		for _, p := range c.Paths {
			cfg.Volumes[p] = struct{}{}
		}
	case *dockerfile.User:
		cfg.User = c.User
	case *dockerfile.StopSignal:
		cfg.StopSignal = c.Signal
	case *dockerfile.Shell:
		st.shell = append([]string(nil), c.Shell...)
		cfg.Shell = st.shell
	case *dockerfile.Cmd:
		cfg.Cmd = r.withShell(st, c.Shell, c.Args)
	case *dockerfile.Entrypoint:
		cfg.Entrypoint = r.withShell(st, c.Shell, c.Args)
		if !st.cmdSetInStage {
			cfg.Cmd = nil // a new ENTRYPOINT resets an inherited CMD (Docker)
		}
	case *dockerfile.Healthcheck:
		cfg.Healthcheck = &v1.HealthConfig{Test: c.Test, Interval: c.Interval, Timeout: c.Timeout,
			StartPeriod: c.StartPeriod, Retries: c.Retries}
	case *dockerfile.Onbuild:
		cfg.OnBuild = append(cfg.OnBuild, c.Trigger)
	case *dockerfile.Maintainer:
		st.cfg.Author = c.Name
	case *dockerfile.ArgCmd:
		// ARG values are in the Plan's expansion and each RUN's environment.
	default:
		return fmt.Errorf("%s is not supported", in.Kind())
	}
	if _, ok := in.Command.(*dockerfile.Cmd); ok {
		st.cmdSetInStage = true
	}
	r.history(st, in, empty)
	return nil
}

// withShell turns a shell form into SHELL + command.
func (r *platformRun) withShell(st *stageResult, shell bool, args []string) []string {
	if !shell {
		return append([]string(nil), args...)
	}
	return append(append([]string(nil), st.shell...), strings.Join(args, " "))
}

// setEnv sets KEY=VALUE, keeping the variable's place when it exists.
func setEnv(env []string, k, v string) []string {
	for i, kv := range env {
		if name, _, _ := strings.Cut(kv, "="); name == k {
			out := append([]string(nil), env...)
			out[i] = k + "=" + v
			return out
		}
	}
	return append(append([]string(nil), env...), k+"="+v)
}

// history records the instruction in the image history, as BuildKit
// writes it ("RUN /bin/sh -c make # buildkit").
func (r *platformRun) history(st *stageResult, in *dockerfile.Instruction, empty bool) {
	created := r.now()
	st.cfg.History = append(st.cfg.History, v1.History{
		Created:    v1.Time{Time: created},
		CreatedBy:  historyText(in),
		Comment:    "buildkit.dockerfile.v0",
		EmptyLayer: empty,
	})
}

func historyText(in *dockerfile.Instruction) string {
	src := strings.TrimSpace(in.Source)
	if in.Kind() == dockerfile.KindRun {
		return "RUN " + strings.TrimSpace(strings.TrimPrefix(src, "RUN")) + " # buildkit"
	}
	return src
}

// now is the created time: SOURCE_DATE_EPOCH when given.
func (r *platformRun) now() time.Time {
	if r.b.o.epoch != nil {
		return r.b.o.epoch.UTC()
	}
	return time.Now().UTC()
}

// absPath resolves p against the working directory.
func absPath(workdir, p string) string {
	if path.IsAbs(p) {
		return path.Clean(p)
	}
	if workdir == "" {
		workdir = "/"
	}
	return path.Join(workdir, p)
}
