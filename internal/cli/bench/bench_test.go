package benchcmd

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/pskit/pskit/internal/bench"
	"github.com/pskit/pskit/internal/cli/cmdutil"
	"github.com/pskit/pskit/internal/cli/iostreams"
)

func execute(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	ios, _, out, errOut := iostreams.Test()
	f := &cmdutil.Factory{IOStreams: ios, Getenv: func(string) string { return "" }}
	cmd := NewCmdBench(f, nil)
	cmd.SetArgs(args)
	cmd.SetOut(out)
	cmd.SetErr(errOut)
	cmd.SetContext(context.Background())
	err := cmd.Execute()
	return out.String(), errOut.String(), err
}

func TestBenchTextReport(t *testing.T) {
	out, errOut, err := execute(t, "--students", "300", "--page-size", "40", "--latency", "0", "--concurrency", "3", "--runs", "1")
	if err != nil {
		t.Fatalf("%v\n%s", err, errOut)
	}
	for _, want := range []string{"300 students, page size 40 (8 pages)", "pskit c=1", "pskit c=3", "raw-http c=1", "raw-http c=3",
		"target: without latency, default pull at least 80% of raw HTTP", "one token request, one request per page"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "note:") {
		t.Errorf("unexpected request notes:\n%s", out)
	}
	if !strings.Contains(errOut, "Seeding 300 students") {
		t.Errorf("no progress on stderr: %q", errOut)
	}
}

func TestBenchJSONReport(t *testing.T) {
	out, errOut, err := execute(t, "--students", "120", "--page-size", "50", "--latency", "1ms", "--concurrency", "2", "--runs", "1", "-o", "json")
	if err != nil {
		t.Fatalf("%v\n%s", err, errOut)
	}
	var rep bench.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("not a JSON report: %v\n%s", err, out)
	}
	if len(rep.Results) != 4 || rep.Pages != 3 {
		t.Fatalf("%d results over %d pages, want 4 over 3", len(rep.Results), rep.Pages)
	}
	for _, r := range rep.Results {
		if r.Records != 120 || r.Requests.Pages != 3 || r.Ideal <= 0 {
			t.Errorf("%s: %d records, %d page requests, ideal %s", r.Mode, r.Records, r.Requests.Pages, r.Ideal)
		}
	}
}

func TestBenchRejectsBadFlags(t *testing.T) {
	for _, args := range [][]string{{"-o", "yaml"}, {"--students", "-3"}, {"--memory", "--memory-students", "0"}, {"extra"}} {
		if _, _, err := execute(t, args...); err == nil {
			t.Errorf("psctl bench %q succeeded", args)
		}
	}
}
