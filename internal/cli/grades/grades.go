// Package grades implements psctl grades: pushing a gradebook CSV into
// PowerTeacher Pro, through /ws/xte or OneRoster. The work is package
// gradepush's; this package reads the flags and the file and prints.
package grades

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/pskit/pskit/gradepush"
	"github.com/pskit/pskit/internal/cli/cmdutil"
	"github.com/pskit/pskit/internal/cli/iostreams"
	orcmd "github.com/pskit/pskit/internal/cli/oneroster"
	"github.com/pskit/pskit/internal/config"
	"github.com/spf13/cobra"
)

// NewCmdGrades returns psctl grades.
func NewCmdGrades(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "grades <command>",
		Short: "Push assignments and scores into PowerTeacher Pro",
	}
	cmd.AddCommand(NewCmdPush(f, nil))
	return cmd
}

// PushOptions are the inputs of psctl grades push.
type PushOptions struct {
	IO      *iostreams.IOStreams
	Factory *cmdutil.Factory
	Section int64
	Teacher int64
	File    string
	DryRun  bool
	Via     string
	Base    string
	// Format is the summary's format (-o): table or json; "" infers it
	// from OutFile's extension, else table.
	Format string
	// OutFile (--output) receives the summary instead of stdout; "-" is
	// stdout.
	OutFile string
}

// NewCmdPush returns psctl grades push.
func NewCmdPush(f *cmdutil.Factory, runF func(*PushOptions) error) *cobra.Command {
	o := &PushOptions{IO: f.IOStreams, Factory: f}
	cmd := &cobra.Command{
		Use:   "push --section ID --file scores.csv",
		Short: "Create missing assignments and write scores from a CSV",
		Long: `Push a gradebook CSV into one section's PowerTeacher Pro gradebook.

Two layouts are read (the header decides):
  wide:  title,due_date,category,points_possible,<student number>,<student number>...
         one row per assignment, one column per student (an empty cell: no score)
  long:  assignment,student,score[,due_date,category,points_possible]
         one row per score; the extra columns create an assignment that is missing

Every row is checked first, by the rules PowerTeacher Pro enforces: points
only, a title of at most 50 characters, an active category of the teacher (at
most 30 characters), a due date inside the section's term, and scores only
for students enrolled in the section. Rejected rows are listed with their line
number and reason; the other rows are still sent. Scores already stored with
the same value are left alone, so pushing the same file twice writes nothing
the second time.

The summary counts created, updated, unchanged and rejected assignments and
scores, as a table or (-o json) as JSON with every rejection; --output FILE
writes it to a file (the format follows a .json extension unless -o says).
The exit code is 1 when any row was rejected. --dry-run checks and
counts everything and sends nothing.

--via oneroster writes line items and results through the server's OneRoster
1.1 API instead (PUT with sourcedIds derived from the section, the title and
the student, so a second push replaces the same records).`,
		Example: `  psctl grades push --section 12345 --file quiz1.csv --dry-run
  psctl grades push --section 12345 --file quiz1.csv
  psctl grades push --section 12345 --file scores.csv --via oneroster`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(o)
			}
			return runPush(cmd.Context(), o)
		},
	}
	fl := cmd.Flags()
	fl.Int64Var(&o.Section, "section", 0, "section ID (SECTIONS.DCID, the id psctl sections shows)")
	fl.StringVar(&o.File, "file", "", "gradebook CSV (- for stdin)")
	fl.BoolVar(&o.DryRun, "dry-run", false, "check every row and print the summary; send nothing")
	fl.Int64Var(&o.Teacher, "teacher", 0, "acting teacher's USERS.DCID (default: the section's teacher)")
	fl.StringVar(&o.Via, "via", "xte", "write through xte (PowerTeacher Pro's /ws/xte) or oneroster")
	fl.StringVar(&o.Base, "oneroster-base", "", "OneRoster base path with --via oneroster (default /ims/oneroster/v1p1)")
	fl.StringVarP(&o.Format, "format", "o", "", "summary format: table or json (default: from --output's extension, else table)")
	fl.StringVar(&o.OutFile, "output", "", "write the summary to this file instead of stdout (- for stdout)")
	return cmd
}

// Summary is what push prints with -o json.
type Summary struct {
	Section     int64                 `json:"section"`
	Via         string                `json:"via"`
	DryRun      bool                  `json:"dry_run"`
	Assignments gradepush.Counts      `json:"assignments"`
	Scores      gradepush.Counts      `json:"scores"`
	Rejected    []gradepush.Rejection `json:"rejected"`
}

func runPush(ctx context.Context, o *PushOptions) error {
	if o.Section <= 0 {
		return cmdutil.UsageError("--section is required: give the section's ID (SECTIONS.DCID; psctl sections lists them)")
	}
	if o.File == "" {
		return cmdutil.UsageError("--file is required: give the gradebook CSV (see psctl grades push --help for its layout)")
	}
	via := strings.ToLower(o.Via)
	if via != "xte" && via != "oneroster" {
		return cmdutil.UsageError("--via must be xte or oneroster, not %q", o.Via)
	}
	if o.Base != "" && via != "oneroster" {
		return cmdutil.UsageError("--oneroster-base only applies with --via oneroster")
	}
	format, err := summaryFormat(o.Format, o.OutFile)
	if err != nil {
		return err
	}
	in := o.IO.In
	if o.File != "-" {
		fh, err := os.Open(o.File)
		if err != nil {
			return cmdutil.UsageError("cannot open --file: %v", err)
		}
		defer fh.Close()
		in = fh
	}
	book, err := gradepush.ParseCSV(in)
	if err != nil {
		return cmdutil.UsageError("%s: %v", o.File, err)
	}

	client, target, err := o.Factory.Client(ctx)
	if err != nil {
		return err
	}
	facts, err := gradepush.Load(ctx, client, o.Section, o.Teacher, book)
	if err != nil {
		return target.Explain(err)
	}
	plan := facts.Plan(book)

	var sum gradepush.Summary
	if o.DryRun {
		sum = plan.Summary()
	} else {
		applier := gradepush.NewXTE(client)
		if via == "oneroster" {
			if target.ReadOnly {
				return fmt.Errorf("%s is read-only: refusing to write grades; use an environment without read-only", target.Label())
			}
			c, err := orcmd.NewClient(o.Factory, target, o.Base)
			if err != nil {
				return err
			}
			applier = gradepush.NewOneRoster(c)
		}
		sum, err = gradepush.Apply(ctx, applier, plan)
		if err != nil {
			if perr := o.print(format, via, sum); perr != nil {
				fmt.Fprintf(o.IO.ErrOut, "psctl: %v\n", perr)
			}
			return target.Explain(fmt.Errorf("push stopped: %w\nwhat was written before the failure is counted in the summary; run the push again to finish (it skips what is stored)", err))
		}
	}
	if err := o.print(format, via, sum); err != nil {
		return err
	}
	if n := len(sum.Rejected); n > 0 {
		return &cmdutil.ExitError{Code: cmdutil.ExitFailure, Err: fmt.Errorf("%d %s rejected; fix them and push again (accepted rows are already %s)", n, plural(n, "row was", "rows were"), map[bool]string{true: "checked", false: "written"}[o.DryRun])}
	}
	return nil
}

// summaryFormat resolves -o and --output into table or json: a .json file
// means json unless -o says otherwise.
func summaryFormat(format, outFile string) (string, error) {
	switch f := strings.ToLower(outFile); f {
	case "json", "table", "csv", "ndjson":
		return "", cmdutil.UsageError("--output takes a file name, not a format: for the format use -o %s, and --output FILE to write to a file", f)
	}
	if format == "" {
		if strings.EqualFold(filepath.Ext(outFile), ".json") {
			return "json", nil
		}
		return "table", nil
	}
	switch f := strings.ToLower(format); f {
	case "table", "json":
		return f, nil
	}
	return "", cmdutil.UsageError("-o %s: grades push prints its summary as table or json", format)
}

// print writes the summary to stdout or --output; in a table, each
// rejection also goes to stderr.
func (o *PushOptions) print(format, via string, sum gradepush.Summary) error {
	var b bytes.Buffer
	if format == "json" {
		s := Summary{Section: o.Section, Via: via, DryRun: o.DryRun, Assignments: sum.Assignments, Scores: sum.Scores, Rejected: sum.Rejected}
		if s.Rejected == nil {
			s.Rejected = []gradepush.Rejection{}
		}
		enc := json.NewEncoder(&b)
		enc.SetIndent("", "  ")
		if err := enc.Encode(s); err != nil {
			return err
		}
	} else {
		writeTable(&b, o, via, sum)
		for _, r := range sum.Rejected {
			fmt.Fprintf(o.IO.ErrOut, "rejected: %s\n", r)
		}
	}
	if o.OutFile == "" || o.OutFile == "-" {
		_, err := o.IO.Out.Write(b.Bytes())
		return err
	}
	if err := config.WriteFileAtomic(o.OutFile, b.Bytes()); err != nil {
		return fmt.Errorf("--output: %w", err)
	}
	return nil
}

func writeTable(w io.Writer, o *PushOptions, via string, sum gradepush.Summary) {
	verb := "Pushed"
	if o.DryRun {
		verb = "Dry run (nothing sent) for"
	}
	fmt.Fprintf(w, "%s section %d via %s\n", verb, o.Section, via)
	fmt.Fprintf(w, "%-12s %8s %8s %10s %9s\n", "", "created", "updated", "unchanged", "rejected")
	for _, row := range []struct {
		name string
		c    gradepush.Counts
	}{{"assignments", sum.Assignments}, {"scores", sum.Scores}} {
		fmt.Fprintf(w, "%-12s %8d %8d %10d %9d\n", row.name, row.c.Created, row.c.Updated, row.c.Unchanged, row.c.Rejected)
	}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
