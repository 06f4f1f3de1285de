package bake

import (
	"reflect"
	"strings"
	"testing"
)

func TestApplySet(t *testing.T) {
	p := &Project{Targets: map[string]*Target{
		"web":       {Name: "web", Platforms: []string{"linux/amd64"}, Tags: []string{"old"}, Args: map[string]string{"KEEP": "1"}},
		"web-debug": {Name: "web-debug"},
		"db":        {Name: "db"},
	}}
	err := p.ApplySet([]string{
		"*.platform=linux/amd64,arm64v8",
		"*.platform=armhf",
		"web.tags=a/web:1", "web.tags=a/web:latest",
		"web.args.VERSION=2", "web.labels.team=x",
		"web-*.push=true", "web.context=src", "web.dockerfile=Dockerfile.prod", "web.target=final",
		"web.arch-tags=a/web:{arch}", "web.arch-spelling=uname",
		"web.cache-from=type=registry,ref=c", "web.cache-to=type=inline", "web.output=type=oci,dest=x.tar",
		"web.depends-on=db", "web.dockerfile-per-platform.linux/arm64=arm64v8/Dockerfile",
	})
	if err != nil {
		t.Fatal(err)
	}
	yes := true
	want := &Target{Name: "web", Context: "src", Dockerfile: "Dockerfile.prod", Target: "final",
		Platforms: []string{"linux/amd64", "arm64v8", "armhf"}, Tags: []string{"a/web:1", "a/web:latest"},
		ArchTags: []string{"a/web:{arch}"}, ArchSpelling: "uname",
		Args: map[string]string{"KEEP": "1", "VERSION": "2"}, Labels: map[string]string{"team": "x"},
		CacheFrom: []string{"type=registry,ref=c"}, CacheTo: []string{"type=inline"}, Outputs: []string{"type=oci,dest=x.tar"},
		DependsOn: []string{"db"}, DockerfilePerPlatform: map[string]PlatformFile{"linux/arm64": {Dockerfile: "arm64v8/Dockerfile"}}}
	if !reflect.DeepEqual(p.Targets["web"], want) {
		t.Errorf("web =\n%+v\nwant\n%+v", p.Targets["web"], want)
	}
	if d := p.Targets["web-debug"]; d.Push == nil || *d.Push != yes || len(d.Platforms) != 3 {
		t.Errorf("web-debug = %+v", d)
	}
	if p.Targets["web"].Push != nil {
		t.Error("web-*.push matched web")
	}
	for _, c := range []struct{ set, want string }{
		{"web", "want TARGET.KEY=VALUE"},
		{"web=1", "want TARGET.KEY=VALUE"},
		{"nope.tags=x", `no target matches "nope"`},
		{"web.colour=red", `unknown key "colour"`},
		{"web.env.X=1", `unknown key "env.X"`},
		{"web.push=maybe", "want true or false"},
		{"[.tags=x", "bad pattern"},
	} {
		if err := p.ApplySet([]string{c.set}); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("--set %s: err = %v, want %q", c.set, err, c.want)
		}
	}
}
