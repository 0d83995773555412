// Package grades implements psctl grades: pushing a gradebook CSV into
// PowerTeacher Pro, through /ws/xte or OneRoster.
package grades

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/pskit/pskit/internal/cli/cmdutil"
	"github.com/pskit/pskit/internal/cli/iostreams"
	orcmd "github.com/pskit/pskit/internal/cli/oneroster"
	ps "github.com/pskit/pskit/powerschool"
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
	JSON    bool
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
scores. The exit code is 1 when any row was rejected. --dry-run checks and
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
	fl.BoolVar(&o.JSON, "json", false, "print the summary as JSON")
	return cmd
}

// Summary is what push prints with --json.
type Summary struct {
	Section     int64              `json:"section"`
	Via         string             `json:"via"`
	DryRun      bool               `json:"dry_run"`
	Assignments ps.GradebookCounts `json:"assignments"`
	Scores      ps.GradebookCounts `json:"scores"`
	Rejected    []Rejected         `json:"rejected"`
}

// Rejected is one rejected row in the JSON summary.
type Rejected struct {
	Row        int    `json:"row"`
	Assignment string `json:"assignment,omitempty"`
	Student    string `json:"student,omitempty"`
	Reason     string `json:"reason"`
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
	in := o.IO.In
	if o.File != "-" {
		fh, err := os.Open(o.File)
		if err != nil {
			return cmdutil.UsageError("cannot open --file: %v", err)
		}
		defer fh.Close()
		in = fh
	}
	assignments, scores, parseRejected, err := ParseCSV(in)
	if err != nil {
		return cmdutil.UsageError("%s: %v", o.File, err)
	}

	client, target, err := o.Factory.Client(ctx)
	if err != nil {
		return err
	}
	x := client.XTE
	plan, err := x.PlanGradebook(ctx, ps.Gradebook{SectionDCID: o.Section, UsersDCID: o.Teacher, Assignments: assignments, Scores: scores})
	if err != nil {
		return target.Explain(err)
	}
	plan.Rejected = append(parseRejected, plan.Rejected...)

	var sum ps.GradebookSummary
	switch {
	case o.DryRun:
		sum = plan.Summary()
	case via == "oneroster":
		if target.ReadOnly {
			return fmt.Errorf("%s is read-only: refusing to write grades; use an environment without read-only", target.Label())
		}
		c, err := orcmd.NewClient(o.Factory, target, o.Base)
		if err != nil {
			return err
		}
		sum, err = applyOneRoster(ctx, c, plan)
		if err != nil {
			printSummary(o, via, sum)
			return fmt.Errorf("push stopped: %w\nwhat was written before the failure is counted above; run the push again to finish (it skips what is stored)", err)
		}
	default:
		sum, err = x.ApplyGradebook(ctx, plan)
		if err != nil {
			printSummary(o, via, sum)
			return target.Explain(fmt.Errorf("push stopped: %w\nwhat was written before the failure is counted above; run the push again to finish (it skips what is stored)", err))
		}
	}
	if err := printSummary(o, via, sum); err != nil {
		return err
	}
	if n := len(sum.Rejected); n > 0 {
		return &cmdutil.ExitError{Code: cmdutil.ExitFailure, Err: fmt.Errorf("%d %s rejected; fix them and push again (accepted rows are already %s)", n, plural(n, "row was", "rows were"), map[bool]string{true: "checked", false: "written"}[o.DryRun])}
	}
	return nil
}

func printSummary(o *PushOptions, via string, sum ps.GradebookSummary) error {
	if o.JSON {
		s := Summary{Section: o.Section, Via: via, DryRun: o.DryRun, Assignments: sum.Assignments, Scores: sum.Scores, Rejected: []Rejected{}}
		for _, r := range sum.Rejected {
			s.Rejected = append(s.Rejected, Rejected{Row: r.Row, Assignment: r.Assignment, Student: r.Student, Reason: r.Reason})
		}
		enc := json.NewEncoder(o.IO.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(s)
	}
	w := o.IO.Out
	verb := "Pushed"
	if o.DryRun {
		verb = "Dry run (nothing sent) for"
	}
	fmt.Fprintf(w, "%s section %d via %s\n", verb, o.Section, via)
	fmt.Fprintf(w, "%-12s %8s %8s %10s %9s\n", "", "created", "updated", "unchanged", "rejected")
	for _, row := range []struct {
		name string
		c    ps.GradebookCounts
	}{{"assignments", sum.Assignments}, {"scores", sum.Scores}} {
		fmt.Fprintf(w, "%-12s %8d %8d %10d %9d\n", row.name, row.c.Created, row.c.Updated, row.c.Unchanged, row.c.Rejected)
	}
	for _, r := range sum.Rejected {
		fmt.Fprintf(o.IO.ErrOut, "rejected: %s\n", r)
	}
	return nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
