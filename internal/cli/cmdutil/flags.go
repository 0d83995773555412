package cmdutil

import (
	"io"
	"strings"

	"github.com/pskit/pskit/internal/cli/iostreams"
	"github.com/pskit/pskit/internal/output"
	"github.com/spf13/cobra"
)

// OutputFlags are -o and --fields.
type OutputFlags struct {
	Format string
	Fields string
	CSVRaw bool
}

// AddOutputFlags registers -o/--format and --fields with a default format.
func AddOutputFlags(cmd *cobra.Command, o *OutputFlags, def output.Format) {
	o.Format = string(def)
	cmd.Flags().StringVarP(&o.Format, "format", "o", string(def), "output format: "+strings.Join(output.Formats, ", "))
	cmd.Flags().StringVar(&o.Fields, "fields", "", "comma-separated fields to show, nested with dots (id,name.last_name)")
	cmd.Flags().BoolVar(&o.CSVRaw, "csv-raw", false, "CSV: keep text starting with = + - @ as it is (by default it gets a leading ' so spreadsheets do not run it as a formula)")
}

// Options turns the flags into output options for io's stdout.
func (o *OutputFlags) Options(ios *iostreams.IOStreams, single bool) (output.Options, error) {
	f, err := output.ParseFormat(o.Format)
	if err != nil {
		return output.Options{}, UsageError("%v", err)
	}
	fields, err := output.ParseFields(o.Fields)
	if err != nil {
		return output.Options{}, UsageError("%v", err)
	}
	return output.Options{Format: f, Fields: fields, TTY: ios.IsStdoutTTY(), Single: single, Warn: ios.ErrOut, CSVRaw: o.CSVRaw}, nil
}

// WriteOne prints one object to stdout in the chosen format.
func (o *OutputFlags) WriteOne(ios *iostreams.IOStreams, w io.Writer, rec any) error {
	opts, err := o.Options(ios, true)
	if err != nil {
		return err
	}
	return output.WriteOne(w, opts, rec)
}

// ExactArgs is cobra.ExactArgs with a usage error naming what is expected.
func ExactArgs(n int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return UsageError("%s needs %s; see psctl %s --help", cmd.CommandPath(), what, strings.TrimPrefix(cmd.CommandPath(), "psctl "))
		}
		return nil
	}
}

// MaxArgs allows at most n arguments.
func MaxArgs(n int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) > n {
			return UsageError("%s takes at most %s; see psctl %s --help", cmd.CommandPath(), what, strings.TrimPrefix(cmd.CommandPath(), "psctl "))
		}
		return nil
	}
}

// NoArgs refuses positional arguments.
func NoArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return UsageError("%s takes no arguments, got %q; see psctl %s --help", cmd.CommandPath(), strings.Join(args, " "), strings.TrimPrefix(cmd.CommandPath(), "psctl "))
	}
	return nil
}
