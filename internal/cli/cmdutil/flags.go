package cmdutil

import (
	"strings"

	"github.com/pskit/pskit/internal/cli/iostreams"
	"github.com/pskit/pskit/internal/output"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// OutputFlags are the flags of every command that prints records, with one
// meaning everywhere: -o/--format is the format, --output FILE the
// destination ("-" is stdout), --fields the columns, --jq and --template
// what to print of each record instead of a format.
type OutputFlags struct {
	Format   string
	File     string
	Fields   string
	CSVRaw   bool
	JQ       string
	Template string

	def   output.Format
	flags *pflag.FlagSet // to tell a given -o from the default
}

// AddOutputFlags registers -o/--format, --output, --fields, --csv-raw,
// --jq and --template with a default format, and their completions.
func AddOutputFlags(cmd *cobra.Command, o *OutputFlags, def output.Format) {
	o.def = def
	o.flags = cmd.Flags()
	fl := cmd.Flags()
	fl.StringVarP(&o.Format, "format", "o", "", "output format: "+strings.Join(output.Formats, ", ")+" (default: the --output file's extension's, else "+string(def)+")")
	fl.StringVar(&o.File, "output", "", "write to this file (atomically, mode 0600) instead of stdout; - is stdout")
	fl.StringVar(&o.Fields, "fields", "", "comma-separated fields to show, nested with dots (id,name.last_name)")
	fl.BoolVar(&o.CSVRaw, "csv-raw", false, "CSV: keep text starting with = + - @ as it is (by default it gets a leading ' so spreadsheets do not run it as a formula)")
	fl.StringVar(&o.JQ, "jq", "", "print what this jq expression makes of each record, instead of a format (e.g. '.name.last_name')")
	fl.StringVar(&o.Template, "template", "", "print each record through this Go template, instead of a format (e.g. '{{.id}} {{.name.last_name}}')")
	_ = cmd.RegisterFlagCompletionFunc("format", CompleteFormats)
	_ = cmd.RegisterFlagCompletionFunc("output", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return []string{"json", "ndjson", "jsonl", "csv", "tsv", "txt"}, cobra.ShellCompDirectiveFilterFileExt
	})
}

// CompleteFormats completes -o values.
func CompleteFormats(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return output.Formats, cobra.ShellCompDirectiveNoFileComp
}

// ToFile is the --output file, or "" when the output is stdout.
func (o *OutputFlags) ToFile() string {
	if o.File == "-" {
		return ""
	}
	return o.File
}

// formatGiven reports whether -o was given (or, without flags, set).
func (o *OutputFlags) formatGiven() bool {
	if o.flags != nil {
		return o.flags.Changed("format")
	}
	return o.Format != ""
}

// ResolveFormat is the format to write: -o when given; else the one the
// --output file's extension implies; else the command's default. A format
// name given as the file (--output csv) is refused, naming what was meant.
func (o *OutputFlags) ResolveFormat() (output.Format, error) {
	if f := o.File; f != "" && f != "-" && !strings.ContainsAny(f, `/\.`) && output.IsFormatName(f) {
		return "", UsageError("--output %s would write a file named %q: --output takes a file name; to choose the format, use -o %s (or give the file an extension: --output out.%s); to really write a file named %s, give --output ./%s",
			f, f, strings.ToLower(f), strings.ToLower(f), f, f)
	}
	if o.formatGiven() {
		f, err := output.ParseFormat(o.Format)
		if err != nil {
			return "", UsageError("-o: %v", err)
		}
		return f, nil
	}
	if f, ok := output.FormatForFile(o.ToFile()); ok {
		return f, nil
	}
	if o.def == "" {
		return output.JSON, nil
	}
	return o.def, nil
}

// Options turns the flags into output options. The table aligns only on
// a terminal stdout.
func (o *OutputFlags) Options(ios *iostreams.IOStreams, single bool) (output.Options, error) {
	if o.JQ != "" || o.Template != "" {
		flag := "--jq"
		if o.JQ == "" {
			flag = "--template"
		}
		switch {
		case o.JQ != "" && o.Template != "":
			return output.Options{}, UsageError("--jq and --template cannot be combined: choose one")
		case o.flags != nil && o.flags.Changed("format"):
			return output.Options{}, UsageError("%s prints its own text, so -o cannot apply: leave out -o, or drop %s", flag, flag)
		case o.Fields != "":
			return output.Options{}, UsageError("%s chooses what to print, so --fields cannot apply: select the fields in the %s itself", flag, strings.TrimPrefix(flag, "--"))
		}
		if o.JQ != "" {
			if _, err := output.CompileJQ(o.JQ); err != nil {
				return output.Options{}, UsageError("%v", err)
			}
		} else if _, err := output.CompileTemplate(o.Template); err != nil {
			return output.Options{}, UsageError("%v", err)
		}
		return output.Options{JQ: o.JQ, Template: o.Template, Single: single, Warn: ios.ErrOut}, nil
	}
	f, err := o.ResolveFormat()
	if err != nil {
		return output.Options{}, err
	}
	fields, err := output.ParseFields(o.Fields)
	if err != nil {
		return output.Options{}, UsageError("%v", err)
	}
	return output.Options{Format: f, Fields: fields, TTY: o.ToFile() == "" && ios.IsStdoutTTY(), Single: single, Warn: ios.ErrOut, CSVRaw: o.CSVRaw}, nil
}

// WriteOne prints one object as the flags say, to stdout or --output.
func (o *OutputFlags) WriteOne(ios *iostreams.IOStreams, rec any) error {
	r, err := o.open(ios, true)
	if err != nil {
		return err
	}
	if err := r.Write(rec); err != nil {
		r.Abort()
		return err
	}
	return r.Finish()
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
