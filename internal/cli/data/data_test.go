package data

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/pskit/pskit/internal/cli/cmdutil"
	"github.com/pskit/pskit/internal/cli/iostreams"
	ps "github.com/pskit/pskit/powerschool"
)

func TestListFlags(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	f := &cmdutil.Factory{IOStreams: ios}
	var got *ListOptions
	cmd := NewCmdList(f, resources["students"], func(o *ListOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"--school", "3", "--q", "name.last_name==A*", "--expansions", "demographics,addresses", "--extensions", "studentcorefields", "--limit", "5", "--concurrency", "3", "-o", "csv", "--fields", "id,name.last_name", "--output", "x.csv"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	want := &ListOptions{Resource: "students", School: 3, Q: "name.last_name==A*", Expansions: []string{"demographics", "addresses"}, Extensions: []string{"studentcorefields"}, Limit: 5, Concurrency: 3, Output: cmdutil.OutputFlags{Format: "csv", File: "x.csv", Fields: "id,name.last_name"}}
	if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(ListOptions{}, "IO", "Factory"), cmpopts.IgnoreUnexported(cmdutil.OutputFlags{})); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	lo := got.sdkOptions(nil)
	if lo.Limit != 5 || lo.Q != want.Q || lo.Concurrency != 3 {
		t.Errorf("SDK options: %+v", lo)
	}
}

func TestConcurrencyFlag(t *testing.T) {
	for _, name := range resourceNames() {
		for _, bad := range []string{"0", "-2"} {
			ios, _, _, _ := iostreams.Test()
			ran := false
			cmd := NewCmdList(&cmdutil.Factory{IOStreams: ios}, resources[name], func(*ListOptions) error { ran = true; return nil })
			args := []string{"--concurrency", bad}
			if resources[name].section != nil {
				args = append(args, "--section", "1")
			}
			cmd.SetArgs(args)
			cmd.SilenceErrors, cmd.SilenceUsage = true, true
			err := cmd.Execute()
			if ran || cmdutil.ExitCode(err) != cmdutil.ExitUsage || !strings.Contains(fmt.Sprint(err), "--concurrency must be at least 1") {
				t.Errorf("psctl %s --concurrency %s: ran=%v err=%v", name, bad, ran, err)
			}
		}
		ios, _, _, _ := iostreams.Test()
		var got *ListOptions
		cmd := NewCmdList(&cmdutil.Factory{IOStreams: ios}, resources[name], func(o *ListOptions) error { got = o; return nil })
		cmd.SetArgs([]string{"--section", "4,5"})
		if resources[name].section == nil {
			cmd.SetArgs([]string{})
		}
		if err := cmd.Execute(); err != nil {
			t.Fatalf("psctl %s: %v", name, err)
		}
		if got.Concurrency != ps.DefaultPageConcurrency {
			t.Errorf("psctl %s: default concurrency %d, want the SDK's %d", name, got.Concurrency, ps.DefaultPageConcurrency)
		}
	}
}

func TestEnrollmentsNeedSection(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	res, ok := lookupResource("section-enrollments")
	if !ok || res.name != "enrollments" {
		t.Fatalf("alias section-enrollments not found: %v", res)
	}
	cmd := NewCmdList(&cmdutil.Factory{IOStreams: ios}, res, func(*ListOptions) error { return nil })
	cmd.SetArgs([]string{})
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	if err := cmd.Execute(); cmdutil.ExitCode(err) != cmdutil.ExitUsage || !strings.Contains(err.Error(), "--section") {
		t.Errorf("no --section: %v", err)
	}
	var got *ListOptions
	cmd = NewCmdList(&cmdutil.Factory{IOStreams: ios}, res, func(o *ListOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"--section", "7,8", "--section", "9"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if !cmp.Equal(got.Sections, []int64{7, 8, 9}) {
		t.Errorf("sections = %v", got.Sections)
	}
	if _, err := Pull(context.Background(), &ListOptions{IO: ios, Resource: "enrollments"}); cmdutil.ExitCode(err) != cmdutil.ExitUsage {
		t.Errorf("Pull without sections: %v", err)
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
