package grades

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pskit/pskit/gradepush"
	"github.com/pskit/pskit/internal/cli/cmdutil"
	"github.com/pskit/pskit/internal/cli/iostreams"
)

func TestPushFlagErrors(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	f := &cmdutil.Factory{IOStreams: ios, Getenv: func(string) string { return "" }}
	for _, tc := range []struct {
		o    PushOptions
		want string
	}{
		{PushOptions{File: "x.csv"}, "--section is required"},
		{PushOptions{Section: 1}, "--file is required"},
		{PushOptions{Section: 1, File: "x.csv", Via: "lms"}, "--via must be xte or oneroster"},
		{PushOptions{Section: 1, File: "x.csv", Via: "xte", Base: "/api"}, "only applies with --via oneroster"},
		{PushOptions{Section: 1, File: "/nonexistent/x.csv", Via: "xte"}, "cannot open --file"},
		{PushOptions{Section: 1, File: "x.csv", Via: "xte", Format: "csv"}, "-o csv: grades push prints its summary as table or json"},
		{PushOptions{Section: 1, File: "x.csv", Via: "xte", OutFile: "json"}, "--output takes a file name, not a format: for the format use -o json"},
	} {
		o := tc.o
		o.IO, o.Factory = ios, f
		err := runPush(context.Background(), &o)
		if cmdutil.ExitCode(err) != cmdutil.ExitUsage || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: err = %v (exit %d), want usage error %q", tc.o, err, cmdutil.ExitCode(err), tc.want)
		}
	}
}

func TestSummaryFormat(t *testing.T) {
	for _, tc := range []struct{ format, file, want string }{
		{"", "", "table"},
		{"", "sum.json", "json"},
		{"", "sum.JSON", "json"},
		{"", "sum.txt", "table"},
		{"table", "sum.json", "table"},
		{"JSON", "", "json"},
	} {
		got, err := summaryFormat(tc.format, tc.file)
		if err != nil || got != tc.want {
			t.Errorf("-o %q --output %q: %q, %v; want %q", tc.format, tc.file, got, err, tc.want)
		}
	}
}

// --output writes the summary to a file (0600, nothing on stdout); the
// rejections of a table still go to stderr.
func TestPrintToOutputFile(t *testing.T) {
	sum := gradepush.Summary{Assignments: gradepush.Counts{Created: 1}, Scores: gradepush.Counts{Created: 2, Rejected: 1},
		Rejected: []gradepush.Rejection{{Row: 3, Assignment: "Quiz 1", Student: "1001", Reason: "not enrolled"}}}
	for _, format := range []string{"json", "table"} {
		ios, _, stdout, stderr := iostreams.Test()
		path := filepath.Join(t.TempDir(), "summary")
		o := &PushOptions{IO: ios, Section: 701, OutFile: path}
		if err := o.print(format, "xte", sum); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		fi, _ := os.Stat(path)
		if stdout.Len() != 0 || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: stdout %q, mode %v", format, stdout.String(), fi.Mode())
		}
		want := map[string]string{"json": `"reason": "not enrolled"`, "table": "scores              2"}[format]
		if !strings.Contains(string(b), want) {
			t.Errorf("%s: file %s lacks %q", format, b, want)
		}
		if got := stderr.String(); (format == "table") != strings.Contains(got, `rejected: row 3, "Quiz 1", student 1001: not enrolled`) {
			t.Errorf("%s: stderr %q", format, got)
		}
	}
}
