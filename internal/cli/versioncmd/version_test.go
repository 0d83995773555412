package versioncmd

import (
	"runtime/debug"
	"testing"
)

func TestDescribe(t *testing.T) {
	vcs := func(rev, mod string) []debug.BuildSetting {
		return []debug.BuildSetting{{Key: "vcs.revision", Value: rev}, {Key: "vcs.modified", Value: mod}}
	}
	for _, c := range []struct {
		bi     *debug.BuildInfo
		linked string
		want   string
	}{
		{nil, "", "dev"},
		{nil, "v9.9.9", "v9.9.9"},
		{&debug.BuildInfo{Main: debug.Module{Version: "v1.2.3"}}, "", "v1.2.3"},
		{&debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs("0123456789abcdef0123", "true")}, "", "dev (commit 0123456789ab, modified)"},
		{&debug.BuildInfo{Main: debug.Module{Version: "v0.4.0"}, Settings: vcs("abc", "false")}, "", "v0.4.0 (commit abc)"},
		{&debug.BuildInfo{Main: debug.Module{Version: "v0.4.0"}, Settings: vcs("abc", "false")}, "v0.5.0-rc1", "v0.5.0-rc1 (commit abc)"},
	} {
		if got := Describe(c.bi, c.linked); got != c.want {
			t.Errorf("Describe(%+v, %q) = %q, want %q", c.bi, c.linked, got, c.want)
		}
	}
}
