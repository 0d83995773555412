package table

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pskit/pskit/internal/cli/cmdutil"
	"github.com/pskit/pskit/internal/cli/iostreams"
)

func TestRecord(t *testing.T) {
	got, err := Record(json.RawMessage(`{"name":"U_STUDENTSUSERFIELDS","id":4003,"tables":{"u_studentsuserfields":{"studentsdcid":"4003","email":"a@example.org"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"id":4003,"u_studentsuserfields":{"studentsdcid":"4003","email":"a@example.org"}}`; string(got) != want {
		t.Errorf("got %s\nwant %s", got, want)
	}
	if _, err := Record(json.RawMessage(`{"id":1,"tables":"x"}`)); err == nil {
		t.Error("a row whose tables is not an object was accepted")
	}
}

func TestParseSets(t *testing.T) {
	got, err := ParseSets([]string{"Email=a=b@example.org", "bus_route=", " locker_number =12"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"email": "a=b@example.org", "bus_route": "", "locker_number": "12"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	for _, bad := range [][]string{nil, {"email"}, {"=x"}, {"email=a", "EMAIL=b"}} {
		if _, err := ParseSets(bad); cmdutil.ExitCode(err) != cmdutil.ExitUsage {
			t.Errorf("ParseSets(%q) = %v, want a usage error", bad, err)
		}
	}
}

func TestArgsAndFlags(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	f := &cmdutil.Factory{IOStreams: ios}
	var w *WriteOptions
	cmd := NewCmdUpdate(f, func(o *WriteOptions) error { w = o; return nil })
	cmd.SetArgs([]string{"U_X", "42", "--set", "a=1", "--set", "b=2"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if w.Table != "U_X" || w.ID != 42 || !cmp.Equal(w.Set, []string{"a=1", "b=2"}) {
		t.Errorf("update options: %+v", w)
	}
	for _, id := range []string{"abc", "0", "1.5"} {
		cmd := NewCmdDelete(f, func(*WriteOptions) error { t.Error("ran with a bad ID"); return nil })
		cmd.SetArgs([]string{"U_X", id, "--yes"})
		cmd.SilenceErrors, cmd.SilenceUsage = true, true
		if err := cmd.Execute(); cmdutil.ExitCode(err) != cmdutil.ExitUsage || !strings.Contains(err.Error(), "invalid row ID") {
			t.Errorf("delete %s: %v", id, err)
		}
	}
	var l *ListOptions
	cmd = NewCmdList(f, func(o *ListOptions) error { l = o; return nil })
	cmd.SetArgs([]string{"U_X"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if l.Projection != "*" || l.Concurrency < 1 {
		t.Errorf("list defaults: projection %q, concurrency %d", l.Projection, l.Concurrency)
	}
	cmd = NewCmdList(f, func(*ListOptions) error { t.Error("ran with --concurrency 0"); return nil })
	cmd.SetArgs([]string{"U_X", "--concurrency", "0"})
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	if err := cmd.Execute(); cmdutil.ExitCode(err) != cmdutil.ExitUsage {
		t.Errorf("--concurrency 0: %v", err)
	}
	if cols := splitCols(" a, ,b "); !cmp.Equal(cols, []string{"a", "b"}) {
		t.Errorf("splitCols = %q", cols)
	}
}
