// Package plugin implements psctl plugin: create, check and package
// PowerSchool plugin.xml files and zips, and work out the access_request
// fields a 403 asks for.
package plugin

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/pskit/pskit/internal/cli/cmdutil"
	"github.com/pskit/pskit/internal/cli/iostreams"
	"github.com/pskit/pskit/internal/config"
	pskitplugin "github.com/pskit/pskit/plugin"
	"github.com/spf13/cobra"
)

// NewCmdPlugin returns the plugin command group.
func NewCmdPlugin(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "plugin",
		Short: "Create, validate and package PowerSchool plugins",
		Long: `A PowerSchool plugin is a plugin.xml, alone or in a zip with PowerQueries
(queries_root/), permissions, web pages and message keys. These commands
write one, check it against PowerSchool's documented limits, and build the
zip PowerSchool installs.`,
	}
	cmd.AddCommand(NewCmdInit(f, nil), NewCmdValidate(f, nil), NewCmdPackage(f, nil), NewCmdAccess(f, nil))
	return cmd
}

// InitOptions are the inputs of psctl plugin init.
type InitOptions struct {
	IO      *iostreams.IOStreams
	Plugin  pskitplugin.InitOptions
	OutFile string
	Force   bool
}

// NewCmdInit returns psctl plugin init.
func NewCmdInit(f *cmdutil.Factory, runF func(*InitOptions) error) *cobra.Command {
	o := &InitOptions{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "init --name NAME --publisher NAME --email EMAIL [--field TABLE.FIELD[:FullAccess]]...",
		Short: "Write a new plugin.xml with OAuth and access_request fields",
		Long: `Write a plugin.xml that makes PowerSchool issue OAuth client credentials,
with the /ws/v1 access level and the fields PowerQueries and the table API
may read (ViewOnly) or write (FullAccess).`,
		Example: `  psctl plugin init --name "Roster Sync" --publisher "Acme" --email dev@acme.io \
    --field STUDENTS.DCID --field STUDENTS.LAST_NAME --field U_ACME.NOTES:FullAccess --output plugin.xml`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(o)
			}
			return runInit(o)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&o.Plugin.Name, "name", "", "plugin name, 1-40 characters (required)")
	fl.StringVar(&o.Plugin.Version, "version", "1.0.0", "plugin version, digits and dots")
	fl.StringVar(&o.Plugin.Description, "description", "", "plugin description, up to 256 characters")
	fl.StringVar(&o.Plugin.PublisherName, "publisher", "", "publisher name (required)")
	fl.StringVar(&o.Plugin.ContactEmail, "email", "", "publisher contact email (required)")
	fl.StringVar(&o.Plugin.AccessLevelV1, "v1-access", "READ", "accessLevelV1Api for /ws/v1: NONE, READ or FULL")
	fl.StringArrayVar(&o.Plugin.Fields, "field", nil, "TABLE.FIELD or TABLE.FIELD:FullAccess to request (repeatable)")
	fl.BoolVar(&o.Plugin.Gradebook, "gradebook", false, "request what grade passback through PowerTeacher Pro (/ws/xte) needs: FullAccess to the ASSIGNMENT* tables, audit columns included, and read access to the category tables")
	fl.StringVar(&o.Plugin.RegistrationURL, "registration-url", "", "https:// URL PowerSchool sends the credentials to on install")
	fl.StringVar(&o.OutFile, "output", "", "write to this file instead of standard output (- is stdout)")
	// The old spelling still works, with a warning naming --output.
	fl.StringVarP(&o.OutFile, "output-file", "O", "", "")
	_ = fl.MarkDeprecated("output-file", "use --output FILE, as in every psctl command")
	fl.SetOutput(f.IOStreams.ErrOut) // the warning goes to stderr, never into the XML
	fl.BoolVar(&o.Force, "force", false, "overwrite the output file if it exists")
	return cmd
}

func runInit(o *InitOptions) error {
	if o.Plugin.Name == "" || o.Plugin.PublisherName == "" || o.Plugin.ContactEmail == "" {
		return cmdutil.UsageError("psctl plugin init needs --name, --publisher and --email")
	}
	p, err := pskitplugin.Init(o.Plugin)
	if err != nil {
		return cmdutil.UsageError("%v", err)
	}
	out, err := pskitplugin.Marshal(p)
	if err != nil {
		return err
	}
	if o.OutFile == "" || o.OutFile == "-" {
		_, err := o.IO.Out.Write(out)
		return err
	}
	if err := writeNew(o.OutFile, out, o.Force); err != nil {
		return err
	}
	fmt.Fprintf(o.IO.ErrOut, "Wrote %s. Check it with: psctl plugin validate %s\n", o.OutFile, o.OutFile)
	return nil
}

// writeNew writes data to path atomically, refusing to replace an
// existing file unless force.
func writeNew(path string, data []byte, force bool) error {
	if !force {
		if _, err := os.Stat(path); err == nil {
			return cmdutil.UsageError("%s already exists; pass --force to overwrite it", path)
		}
	}
	if err := config.WriteFileAtomic(path, data); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// ValidateOptions are the inputs of psctl plugin validate.
type ValidateOptions struct {
	IO     *iostreams.IOStreams
	Path   string
	Strict bool
}

// NewCmdValidate returns psctl plugin validate.
func NewCmdValidate(f *cmdutil.Factory, runF func(*ValidateOptions) error) *cobra.Command {
	o := &ValidateOptions{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "validate FILE|ZIP|DIR",
		Short: "Check a plugin.xml, plugin zip or plugin folder",
		Long: `Check a plugin against PowerSchool's documented limits: required
publisher and contact, name and version rules, field and link limits,
registration URL, PowerQuery naming and columns, and access_request
coverage of the columns queries read. Also warns about template
placeholders left in ([PLUGIN_NAME], xxxxxx, example.com).

Problems are printed as FILE:LINE:COLUMN: severity: message. The exit code
is 1 when there are errors (or, with --strict, warnings).`,
		Example: `  psctl plugin validate plugin.xml
  psctl plugin validate roster-sync.zip
  psctl plugin validate ./myplugin --strict`,
		Args: cmdutil.ExactArgs(1, "a plugin.xml, plugin zip or plugin folder"),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Path = args[0]
			if runF != nil {
				return runF(o)
			}
			return runValidate(o)
		},
	}
	cmd.Flags().BoolVar(&o.Strict, "strict", false, "treat warnings as errors")
	return cmd
}

func runValidate(o *ValidateOptions) error {
	info, err := os.Stat(o.Path)
	if err != nil {
		return cmdutil.UsageError("cannot read %s: %v", o.Path, errors.Unwrap(err))
	}
	if info.IsDir() {
		// Validate exactly what would be packaged.
		var buf bytes.Buffer
		report, err := pskitplugin.Package(o.Path, &buf)
		var ve *pskitplugin.ValidationError
		switch {
		case errors.As(err, &ve):
			return printProblems(o.IO, o.Path, ve.Problems, o.Strict)
		case err != nil:
			return err
		}
		for _, s := range report.Skipped {
			fmt.Fprintf(o.IO.ErrOut, "not packaged: %s\n", s)
		}
		return printProblems(o.IO, o.Path, report.Problems, o.Strict)
	}
	data, err := os.ReadFile(o.Path)
	if err != nil {
		return err
	}
	b, err := pskitplugin.Load(data)
	if err != nil {
		return fmt.Errorf("%s: %w", o.Path, err)
	}
	for _, s := range b.Skipped {
		fmt.Fprintf(o.IO.ErrOut, "ignored by PowerSchool: %s\n", s)
	}
	return printProblems(o.IO, o.Path, b.Validate(), o.Strict)
}

// printProblems lists problems on stdout, one per line, and returns an
// error when any is an error (or any at all under strict).
func printProblems(ios *iostreams.IOStreams, path string, probs []pskitplugin.Problem, strict bool) error {
	var errs, warns int
	sort.SliceStable(probs, func(i, j int) bool {
		a, b := probs[i], probs[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Column < b.Column
	})
	for _, p := range probs {
		if p.File == "" {
			p.File = filepath.Base(path)
		} else if strings.HasSuffix(strings.ToLower(path), ".zip") {
			p.File = path + ":" + p.File
		} else if info, err := os.Stat(path); err == nil && info.IsDir() {
			p.File = filepath.Join(path, filepath.FromSlash(p.File))
		} else if p.File == "plugin.xml" {
			p.File = path
		}
		fmt.Fprintln(ios.Out, p.String())
		if p.Severity == pskitplugin.SeverityError {
			errs++
		} else {
			warns++
		}
	}
	switch {
	case errs > 0:
		return fmt.Errorf("%s: %d error(s), %d warning(s); PowerSchool would refuse this plugin", path, errs, warns)
	case strict && warns > 0:
		return fmt.Errorf("%s: %d warning(s) with --strict", path, warns)
	case warns > 0:
		fmt.Fprintf(ios.ErrOut, "%s: valid, with %d warning(s)\n", path, warns)
	default:
		fmt.Fprintf(ios.ErrOut, "%s: valid\n", path)
	}
	return nil
}

// PackageOptions are the inputs of psctl plugin package.
type PackageOptions struct {
	IO      *iostreams.IOStreams
	Dir     string
	OutFile string
	// Format is -o: zip, the only format PowerSchool installs.
	Format string
	Force  bool
}

// NewCmdPackage returns psctl plugin package.
func NewCmdPackage(f *cmdutil.Factory, runF func(*PackageOptions) error) *cobra.Command {
	o := &PackageOptions{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "package DIR --output plugin.zip",
		Short: "Build the zip PowerSchool installs from a plugin folder",
		Long: `Zip a plugin folder with plugin.xml at the root (never inside a folder) and
only the folders PowerSchool reads: queries_root, permissions_root,
web_root, MessageKeys and pagecataloging. Everything else is listed as
skipped. The plugin is validated first; on errors nothing is written.
--output - writes the zip to stdout.`,
		Example: `  psctl plugin package ./myplugin --output myplugin.zip`,
		Args:    cmdutil.ExactArgs(1, "the plugin folder (the one holding plugin.xml)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Dir = args[0]
			if runF != nil {
				return runF(o)
			}
			return runPackage(o)
		},
	}
	cmd.Flags().StringVar(&o.OutFile, "output", "", "zip file to write (required; must end in .zip; - is stdout)")
	cmd.Flags().StringVarP(&o.Format, "format", "o", "zip", "output format: zip (the only one PowerSchool installs)")
	_ = cmd.RegisterFlagCompletionFunc("format", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return []string{"zip"}, cobra.ShellCompDirectiveNoFileComp
	})
	cmd.Flags().BoolVar(&o.Force, "force", false, "overwrite the zip if it exists")
	return cmd
}

func runPackage(o *PackageOptions) error {
	if o.Format != "" && !strings.EqualFold(o.Format, "zip") {
		if strings.EqualFold(filepath.Ext(o.Format), ".zip") && o.OutFile == "" {
			return cmdutil.UsageError("-o is the format in every psctl command (here only zip); give the zip file with --output %s", o.Format)
		}
		return cmdutil.UsageError("-o %s: plugin package writes only zip; give the file with --output FILE.zip", o.Format)
	}
	if o.OutFile == "" {
		return cmdutil.UsageError("psctl plugin package needs --output FILE.zip (or --output - for stdout)")
	}
	if o.OutFile != "-" && !strings.EqualFold(filepath.Ext(o.OutFile), ".zip") {
		return cmdutil.UsageError("%s: PowerSchool installs only files ending in .zip", o.OutFile)
	}
	var buf bytes.Buffer
	report, err := pskitplugin.Package(o.Dir, &buf)
	var ve *pskitplugin.ValidationError
	if errors.As(err, &ve) {
		return printProblems(o.IO, o.Dir, ve.Problems, false)
	}
	if err != nil {
		return err
	}
	for _, s := range report.Skipped {
		fmt.Fprintf(o.IO.ErrOut, "skipped %s\n", s)
	}
	for _, p := range report.Problems {
		fmt.Fprintln(o.IO.ErrOut, p.String())
	}
	if o.OutFile == "-" {
		_, err := o.IO.Out.Write(buf.Bytes())
		return err
	}
	if err := writeNew(o.OutFile, buf.Bytes(), o.Force); err != nil {
		return err
	}
	fmt.Fprintf(o.IO.ErrOut, "Wrote %s (%d files, %d bytes).\n", o.OutFile, len(report.Files), buf.Len())
	return nil
}

// AccessOptions are the inputs of psctl plugin access.
type AccessOptions struct {
	IO        *iostreams.IOStreams
	FromError string // file with the 403 body, "-" for stdin
	Plugin    string // plugin.xml to update in place, optional
}

// NewCmdAccess returns psctl plugin access.
func NewCmdAccess(f *cmdutil.Factory, runF func(*AccessOptions) error) *cobra.Command {
	o := &AccessOptions{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "access --from-error FILE [--plugin plugin.xml]",
		Short: "Turn a 403 \"no access to the field\" error into access_request fields",
		Long: `Read the body of a PowerSchool 403 (a PowerQuery or table call touching a
field the plugin did not request) and print the <field> elements to add
to plugin.xml's <access_request>. With --plugin, add them to that file
(it is rewritten in a canonical layout; XML comments are not kept).

After changing access_request, reinstall or update the plugin in
PowerSchool: the new fields apply only then.`,
		Example: `  psctl plugin access --from-error 403.json
  psctl get /ws/schema/query/com.acme.x.y.z 2>&1 | psctl plugin access --from-error - --plugin plugin.xml`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(o)
			}
			return runAccess(o)
		},
	}
	cmd.Flags().StringVar(&o.FromError, "from-error", "", "file holding the 403 response body, or - for standard input (required)")
	cmd.Flags().StringVar(&o.Plugin, "plugin", "", "plugin.xml to add the fields to")
	return cmd
}

func runAccess(o *AccessOptions) error {
	if o.FromError == "" {
		return cmdutil.UsageError("psctl plugin access needs --from-error FILE (or - for standard input)")
	}
	var (
		body []byte
		err  error
	)
	if o.FromError == "-" {
		body, err = io.ReadAll(io.LimitReader(o.IO.In, 1<<20))
	} else {
		body, err = os.ReadFile(o.FromError)
	}
	if err != nil {
		return cmdutil.UsageError("cannot read the error body: %v", err)
	}
	fields, err := pskitplugin.FieldsFromError(body)
	if err != nil {
		return err
	}
	if o.Plugin == "" {
		for _, f := range fields {
			fmt.Fprintf(o.IO.Out, "<field table=%q field=%q access=%q/>\n", f.Table, f.Field, f.Access)
		}
		fmt.Fprintln(o.IO.ErrOut, "Add these inside <access_request> in plugin.xml, or pass --plugin plugin.xml to do it.")
		return nil
	}
	data, err := os.ReadFile(o.Plugin)
	if err != nil {
		return cmdutil.UsageError("cannot read %s: %v", o.Plugin, err)
	}
	p, err := pskitplugin.Parse(data)
	if err != nil {
		return fmt.Errorf("%s: %w", o.Plugin, err)
	}
	changed := p.AddFields(fields...)
	if len(changed) == 0 {
		fmt.Fprintf(o.IO.ErrOut, "%s already requests %s; the 403 has another cause (an excluded field, or the plugin was not updated in PowerSchool since the change).\n", o.Plugin, fieldList(fields))
		return nil
	}
	out, err := pskitplugin.Marshal(p)
	if err != nil {
		return err
	}
	if err := writeNew(o.Plugin, out, true); err != nil {
		return err
	}
	fmt.Fprintf(o.IO.ErrOut, "Added %s to %s. Update the plugin in PowerSchool for the change to apply.\n", fieldList(changed), o.Plugin)
	return nil
}

func fieldList(fields []pskitplugin.Field) string {
	var s []string
	for _, f := range fields {
		s = append(s, f.String())
	}
	return strings.Join(s, ", ")
}
