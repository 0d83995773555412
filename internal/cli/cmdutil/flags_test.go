package cmdutil

import (
	"strings"
	"testing"

	"github.com/pskit/pskit/internal/cli/iostreams"
	"github.com/pskit/pskit/internal/output"
	"github.com/spf13/cobra"
)

// parseOutputFlags runs a command with the output flags and args and
// returns the resolved options.
func parseOutputFlags(t *testing.T, def output.Format, args ...string) (output.Options, error) {
	t.Helper()
	var o OutputFlags
	cmd := &cobra.Command{Use: "x", RunE: func(*cobra.Command, []string) error { return nil }}
	AddOutputFlags(cmd, &o, def)
	cmd.SetArgs(args)
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	ios, _, _, _ := iostreams.Test()
	return o.Options(ios, false)
}

func TestOutputFormatResolution(t *testing.T) {
	for _, c := range []struct {
		args []string
		want output.Format
	}{
		{nil, output.JSON},
		{[]string{"--output", "s.csv"}, output.CSV},
		{[]string{"--output", "out/s.ndjson"}, output.NDJSON},
		{[]string{"--output", "s.tsv"}, output.Table},
		{[]string{"--output", "s.data"}, output.JSON},
		{[]string{"--output", "./csv"}, output.JSON},
		{[]string{"--output", "-"}, output.JSON},
		{[]string{"-o", "ndjson", "--output", "s.csv"}, output.NDJSON}, // -o wins
		{[]string{"--format", "CSV"}, output.CSV},
	} {
		got, err := parseOutputFlags(t, output.JSON, c.args...)
		if err != nil || got.Format != c.want {
			t.Errorf("%v: format %q (%v), want %q", c.args, got.Format, err, c.want)
		}
	}
	if got, _ := parseOutputFlags(t, output.Table); got.Format != output.Table {
		t.Errorf("default table: %q", got.Format)
	}
}

// --output csv is a format given as a file name: refused, saying what was meant.
func TestOutputFormatNameAsFile(t *testing.T) {
	for _, name := range []string{"csv", "JSON", "table", "ndjson", "tsv"} {
		_, err := parseOutputFlags(t, output.JSON, "--output", name)
		if ExitCode(err) != ExitUsage || !strings.Contains(err.Error(), "use -o "+strings.ToLower(name)) || !strings.Contains(err.Error(), "--output ./"+name) {
			t.Errorf("--output %s: %v", name, err)
		}
	}
}

func TestJQAndTemplateFlags(t *testing.T) {
	got, err := parseOutputFlags(t, output.JSON, "--jq", ".id", "--output", "ids.csv")
	if err != nil || got.JQ != ".id" {
		t.Errorf("--jq: %+v %v", got, err)
	}
	for _, args := range [][]string{
		{"--jq", ".id", "--template", "{{.id}}"},
		{"--jq", ".id", "-o", "csv"},
		{"--template", "{{.id}}", "--fields", "id"},
		{"--jq", ".["},
		{"--template", "{{.id"},
		{"-o", "xml"},
	} {
		if _, err := parseOutputFlags(t, output.JSON, args...); ExitCode(err) != ExitUsage {
			t.Errorf("%v: %v, want a usage error", args, err)
		}
	}
}
