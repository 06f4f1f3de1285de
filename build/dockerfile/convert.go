package dockerfile

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
)

// converter turns an expanded BuildKit command into a Command.
type converter struct {
	lex *shell.Lex
	env shell.EnvGetter
	// unexpanded is set by ParseTriggers: words still hold variables, so
	// values that need expansion first (ports, signals, modes) are kept as
	// written and not checked.
	unexpanded bool
	origin     func(ref, what string) (Origin, error)
}

func (cv *converter) convert(c instructions.Command, node *parser.Node) (Command, error) {
	switch c := c.(type) {
	case *instructions.RunCommand:
		return cv.run(c, node)
	case *instructions.CopyCommand:
		return cv.copy(c, node)
	case *instructions.AddCommand:
		return cv.add(c, node)
	case *instructions.EnvCommand:
		return &Env{Vars: keyValues(c.Env)}, nil
	case *instructions.LabelCommand:
		return &Label{Labels: keyValues(c.Labels)}, nil
	case *instructions.ArgCommand:
		out := &ArgCmd{}
		for _, kv := range c.Args {
			out.Args = append(out.Args, Arg{Name: kv.Key, Value: kv.Value})
		}
		return out, nil
	case *instructions.ExposeCommand:
		return cv.expose(c)
	case *instructions.VolumeCommand:
		return cv.volume(c)
	case *instructions.WorkdirCommand:
		if c.Path == "" {
			return nil, errors.New("WORKDIR expands to an empty path")
		}
		return &Workdir{Path: c.Path}, nil
	case *instructions.UserCommand:
		// An empty USER (USER $UNSET) means root, as in BuildKit.
		return &User{User: c.User}, nil
	case *instructions.StopSignalCommand:
		if !cv.unexpanded {
			if err := checkSignal(c.Signal); err != nil {
				return nil, err
			}
		}
		return &StopSignal{Signal: c.Signal}, nil
	}
	return cv.convertConfig(c)
}

// convertConfig handles the instructions that only set image config and
// expand nothing.
func (cv *converter) convertConfig(c instructions.Command) (Command, error) {
	switch c := c.(type) {
	case *instructions.ShellCommand:
		return &Shell{Shell: slices.Clone(c.Shell)}, nil
	case *instructions.CmdCommand:
		return &Cmd{Shell: c.PrependShell, Args: slices.Clone(c.CmdLine)}, nil
	case *instructions.EntrypointCommand:
		return &Entrypoint{Shell: c.PrependShell, Args: slices.Clone(c.CmdLine)}, nil
	case *instructions.HealthCheckCommand:
		h := c.Health
		return &Healthcheck{
			Test: slices.Clone(h.Test), Interval: h.Interval, Timeout: h.Timeout,
			StartPeriod: h.StartPeriod, StartInterval: h.StartInterval, Retries: h.Retries,
		}, nil
	case *instructions.OnbuildCommand:
		return &Onbuild{Trigger: c.Expression}, nil
	case *instructions.MaintainerCommand:
		return &Maintainer{Name: c.Maintainer}, nil
	}
	return nil, fmt.Errorf("%w: instruction %s", ErrUnsupported, strings.ToUpper(c.Name()))
}

func keyValues(kvs instructions.KeyValuePairs) []KeyValue {
	out := make([]KeyValue, len(kvs))
	for i, kv := range kvs {
		out[i] = KeyValue{Key: kv.Key, Value: kv.Value}
	}
	return out
}

func (cv *converter) expose(c *instructions.ExposeCommand) (Command, error) {
	out := &Expose{}
	seen := map[string]bool{}
	for _, p := range c.Ports {
		if cv.unexpanded {
			out.Ports = append(out.Ports, p)
			continue
		}
		words, err := expandWords(cv.lex, p, cv.env)
		if err != nil {
			return nil, err
		}
		for _, w := range words {
			ports, err := parsePort(w)
			if err != nil {
				return nil, err
			}
			for _, port := range ports {
				if !seen[port] {
					seen[port] = true
					out.Ports = append(out.Ports, port)
				}
			}
		}
	}
	return out, nil
}

func (cv *converter) volume(c *instructions.VolumeCommand) (Command, error) {
	out := &Volume{}
	for _, v := range c.Volumes {
		if v == "" {
			return nil, errors.New("VOLUME expands to an empty path")
		}
		out.Paths = append(out.Paths, v)
	}
	return out, nil
}

func (cv *converter) copy(c *instructions.CopyCommand, node *parser.Node) (Command, error) {
	files, err := cv.files(c.SourcesAndDest, node, c.Chown, c.Chmod, c.Link, c.ExcludePatterns)
	if err != nil {
		return nil, err
	}
	for _, s := range files.Sources {
		switch s.Kind {
		case SourceURL:
			return nil, fmt.Errorf("COPY cannot fetch the URL %s; use ADD", s.Path)
		case SourceGit:
			return nil, fmt.Errorf("COPY cannot clone the git repository %s; use ADD", s.Path)
		}
	}
	from := Origin{Kind: OriginContext, Stage: -1}
	if c.From != "" {
		if from, err = cv.origin(c.From, "COPY --from"); err != nil {
			return nil, err
		}
	}
	return &Copy{Files: files, From: from, Parents: c.Parents}, nil
}

func (cv *converter) add(c *instructions.AddCommand, node *parser.Node) (Command, error) {
	files, err := cv.files(c.SourcesAndDest, node, c.Chown, c.Chmod, c.Link, c.ExcludePatterns)
	if err != nil {
		return nil, err
	}
	if c.Checksum != "" {
		if len(files.Sources) != 1 || len(files.Heredocs) != 0 {
			return nil, errors.New("ADD --checksum needs exactly one source")
		}
		if files.Sources[0].Kind == SourceLocal {
			return nil, errors.New("ADD --checksum needs an http(s) or git source")
		}
	}
	return &Add{Files: files, Checksum: c.Checksum, KeepGitDir: c.KeepGitDir, Unpack: c.Unpack}, nil
}

// files converts what COPY and ADD share and checks the flag values.
func (cv *converter) files(sd instructions.SourcesAndDest, node *parser.Node, chown, chmod string, link bool, exclude []string) (Files, error) {
	f := Files{Dest: sd.DestPath, Chown: chown, Chmod: chmod, Link: link, Exclude: slices.Clone(exclude)}
	for _, p := range sd.SourcePaths {
		f.Sources = append(f.Sources, Source{Path: p, Kind: classifySource(p)})
	}
	for _, sc := range sd.SourceContents {
		h := Heredoc{Name: sc.Path, Data: sc.Data, Expand: sc.Expand}
		for _, nh := range node.Heredocs {
			if nh.Name == sc.Path {
				h.Chomp = nh.Chomp
			}
		}
		f.Heredocs = append(f.Heredocs, h)
	}
	if cv.unexpanded {
		return f, nil
	}
	if chmod != "" {
		if err := checkChmod(chmod); err != nil {
			return Files{}, err
		}
	}
	if link && chownByName(chown) {
		return Files{}, fmt.Errorf("--chown=%s: user and group names cannot be resolved with --link; use numeric uid[:gid]", chown)
	}
	return f, nil
}
