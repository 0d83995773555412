package data

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/pskit/pskit/internal/cli/cmdutil"
	"github.com/pskit/pskit/internal/cli/iostreams"
)

func TestListFlags(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	f := &cmdutil.Factory{IOStreams: ios}
	var got *ListOptions
	cmd := NewCmdList(f, resources["students"], func(o *ListOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"--school", "3", "--q", "name.last_name==A*", "--expansions", "demographics,addresses", "--extensions", "studentcorefields", "--limit", "5", "-o", "csv", "--fields", "id,name.last_name", "--output", "x.csv"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	want := &ListOptions{Resource: "students", School: 3, Q: "name.last_name==A*", Expansions: []string{"demographics", "addresses"}, Extensions: []string{"studentcorefields"}, Limit: 5, OutFile: "x.csv", Output: cmdutil.OutputFlags{Format: "csv", Fields: "id,name.last_name"}}
	if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(ListOptions{}, "IO", "Factory")); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	lo := got.sdkOptions(nil)
	if lo.PageSize != 5 || lo.Q != want.Q {
		t.Errorf("SDK options: %+v", lo)
	}
}

func TestCoursesHasNoExpansions(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	cmd := NewCmdList(&cmdutil.Factory{IOStreams: ios}, resources["courses"], func(*ListOptions) error { return nil })
	cmd.SetArgs([]string{"--expansions", "x"})
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	if err := cmd.Execute(); err == nil {
		t.Error("courses accepted --expansions, which PowerSchool does not document for it")
	}
}

func TestGetParams(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	var got *GetOptions
	cmd := NewCmdGet(&cmdutil.Factory{IOStreams: ios}, func(o *GetOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"/ws/v1/district/student", "-p", "q=name.last_name==A*", "-p", "pagesize=5"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if got.Path != "/ws/v1/district/student" || !cmp.Equal(got.Params, []string{"q=name.last_name==A*", "pagesize=5"}) {
		t.Errorf("%+v", got)
	}
}

func TestUnwrap(t *testing.T) {
	if got := string(Unwrap([]byte(`{"district":{"name":"x"}}`), "district")); got != `{"name":"x"}` {
		t.Error(got)
	}
	if got := string(Unwrap([]byte(`{"a":1,"district":2}`), "district")); got != `{"a":1,"district":2}` {
		t.Error("unwrapped a document with other keys:", got)
	}
}
