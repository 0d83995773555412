// Package data implements the psctl data commands: metadata, district, the
// /ws/v1 lists (schools, students, staff, sections, courses, terms), count
// and get.
//
// Every list command takes --concurrency N, the number of pages fetched at
// once (ListOptions.Concurrency in the SDK); records still come in order.
package data

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/pskit/pskit/internal/cli/cmdutil"
	"github.com/pskit/pskit/internal/cli/iostreams"
	"github.com/pskit/pskit/internal/output"
	ps "github.com/pskit/pskit/powerschool"
	"github.com/spf13/cobra"
)

// NewCmds returns the data commands, to be added to the root.
func NewCmds(f *cmdutil.Factory) []*cobra.Command {
	cmds := []*cobra.Command{NewCmdMetadata(f, nil), NewCmdDistrict(f, nil), NewCmdCount(f, nil), NewCmdGet(f, nil)}
	for _, name := range resourceNames() {
		cmds = append(cmds, NewCmdList(f, resources[name], nil))
	}
	return cmds
}

// ListOptions are the inputs of a list command (psctl students, ...).
type ListOptions struct {
	IO       *iostreams.IOStreams
	Factory  *cmdutil.Factory
	Resource string
	School   int64
	// Sections are the section IDs of a per-section resource (enrollments).
	Sections   []int64
	Q          string
	Expansions []string
	Extensions []string
	Limit      int
	// Concurrency is how many pages are fetched at once; 0 is the SDK default.
	Concurrency int
	// Output is the format, --output file, --jq and --template.
	Output cmdutil.OutputFlags
	// OutFile is the file written, "" for stdout: set by Pull from Output.
	OutFile string
	// Target, when set, is used instead of the selected environment.
	Target *cmdutil.Target
}

// NewCmdList returns the list command for one resource.
func NewCmdList(f *cmdutil.Factory, res *resource, runF func(*ListOptions) error) *cobra.Command {
	o := &ListOptions{IO: f.IOStreams, Factory: f, Resource: res.name}
	example := fmt.Sprintf(`  psctl %[1]s --output %[1]s.csv
  psctl %[1]s --school 2 --limit 10 -o table
  psctl %[1]s --limit 5 --jq '.id'`, res.name)
	if res.section != nil {
		example = fmt.Sprintf(`  psctl %[1]s --section 12 -o table
  psctl %[1]s --section 12,13 --output %[1]s.csv`, res.name)
	}
	cmd := &cobra.Command{
		Use:     res.name,
		Aliases: res.aliases,
		Short:   res.short,
		Long: res.short + `.

Every page is fetched (--limit caps the number of records), with a progress
bar on stderr when it is a terminal. Records are printed exactly as
PowerSchool sends them, in the -o format (by default the one the --output
file's extension names, else JSON), or through --jq or --template one record
at a time. --output FILE writes them to a file that only appears, complete,
when the pull succeeds. --concurrency sets how many pages are fetched at once
(records stay in order).`,
		Example: example,
		Args:    cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := CheckConcurrency(o.Concurrency); err != nil {
				return err
			}
			if res.section != nil && len(o.Sections) == 0 {
				return cmdutil.UsageError("psctl %s needs --section ID: the section's ID (SECTIONS.DCID, the id psctl sections prints)", res.name)
			}
			if runF != nil {
				return runF(o)
			}
			return runList(cmd.Context(), o)
		},
	}
	fl := cmd.Flags()
	if res.school != nil {
		help := "only this school (school ID)"
		if res.district == nil {
			help = "only this school (school ID); default: every school in turn"
		}
		fl.Int64Var(&o.School, "school", 0, help)
	}
	if res.section != nil {
		fl.Int64SliceVar(&o.Sections, "section", nil, "section ID (SECTIONS.DCID); comma-separate or repeat for several (required)")
	}
	fl.StringVar(&o.Q, "q", "", "PowerSchool search filter, e.g. 'name.last_name==Sm*;school_enrollment.enroll_status==A'")
	if res.shape {
		fl.StringSliceVar(&o.Expansions, "expansions", nil, "expansions to include, e.g. demographics,addresses")
		fl.StringSliceVar(&o.Extensions, "extensions", nil, "extension tables to include, e.g. studentcorefields")
	}
	fl.IntVar(&o.Limit, "limit", 0, "stop after this many records (default: all)")
	fl.IntVar(&o.Concurrency, "concurrency", ps.DefaultPageConcurrency, "pages fetched at once (at least 1)")
	cmdutil.AddOutputFlags(cmd, &o.Output, output.JSON)
	_ = cmd.RegisterFlagCompletionFunc("fields", cmdutil.CompleteFieldList(fieldNames(res.name)))
	return cmd
}

func (o *ListOptions) sdkOptions(progress func(ps.Progress)) *ps.ListOptions {
	// The SDK sizes pages to the limit and asks for no page beyond it.
	return &ps.ListOptions{Q: o.Q, Expansions: o.Expansions, Extensions: o.Extensions, Concurrency: o.Concurrency, Progress: progress, Limit: o.Limit}
}

// PullResult is what a pull did.
type PullResult struct {
	Records int
	File    string // final file, when --output was given
}

func runList(ctx context.Context, o *ListOptions) error {
	_, err := Pull(ctx, o)
	return err
}

// Pull runs a list command: every page of the resource into the chosen
// output. psctl demo uses it to write students.csv.
func Pull(ctx context.Context, o *ListOptions) (*PullResult, error) {
	res, ok := lookupResource(o.Resource)
	if !ok {
		return nil, cmdutil.UsageError("unknown resource %q: use one of %s", o.Resource, resourceList())
	}
	if o.Limit < 0 {
		return nil, cmdutil.UsageError("--limit must be positive")
	}
	if o.Concurrency < 0 {
		return nil, CheckConcurrency(o.Concurrency)
	}
	if res.section != nil && len(o.Sections) == 0 {
		return nil, cmdutil.UsageError("psctl %s needs --section ID", res.name)
	}
	opts, err := o.Output.Options(o.IO, false)
	if err != nil {
		return nil, err
	}
	o.OutFile = o.Output.ToFile()
	target := o.Target
	if target == nil {
		if target, err = o.Factory.Resolve(); err != nil {
			return nil, err
		}
	}
	client, err := o.Factory.ClientFor(target)
	if err != nil {
		return nil, err
	}
	sink, err := cmdutil.OpenSink(o.IO, o.Output.File)
	if err != nil {
		return nil, err
	}
	w, err := output.New(sink.W, opts)
	if err != nil {
		sink.Stop(nil)
		return nil, err
	}

	// The bar appears with the first page, when the total is known.
	var bar *iostreams.Progress
	base := 0 // records of schools already done, when walking every school
	progress := func(p ps.Progress) {
		if bar == nil {
			bar = o.IO.Progress(int64(base+p.Total), res.name)
		}
		bar.SetTotal(int64(base + p.Total))
		bar.Set(int64(base + p.Done))
	}
	written := 0
	each := func(seq rawSeq) (stop bool, err error) {
		for raw, err := range seq {
			if err != nil {
				return true, err
			}
			if err := w.Write(raw); err != nil {
				return true, fmt.Errorf("writing output: %w", err)
			}
			written++
			if o.Limit > 0 && written >= o.Limit {
				return true, nil
			}
		}
		return false, nil
	}

	switch {
	case res.section != nil:
		for _, id := range o.Sections {
			before := written
			stop, serr := each(res.section(client, ctx, id, o.sdkOptions(progress)))
			base += written - before
			if serr != nil {
				err = fmt.Errorf("section %d: %w", id, serr)
			}
			if stop {
				break
			}
		}
	case o.School != 0:
		_, err = each(res.school(client, ctx, o.School, o.sdkOptions(progress)))
	case res.district != nil:
		_, err = each(res.district(client, ctx, o.sdkOptions(progress)))
	default:
		err = forEachSchool(ctx, client, func(id int64) (bool, error) {
			before := written
			stop, err := each(res.school(client, ctx, id, o.sdkOptions(progress)))
			base += written - before
			return stop, err
		})
	}
	bar.Done()
	if err == nil {
		err = w.Close()
	}
	if err != nil {
		sink.Stop(w)
		return nil, explainPullError(err, written, o, target)
	}
	if err := sink.Commit(); err != nil {
		return nil, err
	}
	note := RefusalNote(client.Stats())
	switch {
	case o.OutFile != "":
		fmt.Fprintf(o.IO.ErrOut, "Wrote %d %s to %s.%s\n", written, res.name, o.OutFile, note)
	case note != "":
		fmt.Fprintln(o.IO.ErrOut, strings.TrimSpace(note))
	}
	return &PullResult{Records: written, File: o.OutFile}, nil
}

// RefusalNote tells, as the end of a pull's last line, how often the server
// refused a request as too many and the pace psctl kept since; "" when it
// never did.
func RefusalNote(st ps.Stats) string {
	if st.Refusals == 0 {
		return ""
	}
	s := fmt.Sprintf(" The server refused %d of %d requests as too many (HTTP 429); psctl slowed down", st.Refusals, st.Requests)
	if st.Interval > 0 {
		s += fmt.Sprintf(" to one request every %s", st.Interval.Round(time.Millisecond))
	}
	return s + " (set --rate, or the environment's rate, to the plugin's minimum interval to avoid refusals)."
}

// CheckConcurrency refuses a --concurrency below 1 (exit 2).
func CheckConcurrency(n int) error {
	if n < 1 {
		return cmdutil.UsageError("--concurrency must be at least 1 (pages fetched at once), got %d", n)
	}
	return nil
}

// forEachSchool calls fn with every school's ID until it asks to stop.
func forEachSchool(ctx context.Context, c *ps.Client, fn func(id int64) (stop bool, err error)) error {
	var ids []int64
	for s, err := range c.Schools.List(ctx, nil) {
		if err != nil {
			return err
		}
		ids = append(ids, int64(s.ID))
	}
	for _, id := range ids {
		stop, err := fn(id)
		if err != nil {
			return fmt.Errorf("school %d: %w", id, err)
		}
		if stop {
			return nil
		}
	}
	return nil
}

func explainPullError(err error, written int, o *ListOptions, t *cmdutil.Target) error {
	where := ""
	if o.OutFile != "" {
		where = fmt.Sprintf("; %s was not written", o.OutFile)
	}
	if errors.Is(err, context.Canceled) {
		return &cmdutil.ExitError{Code: cmdutil.ExitUsage, Err: fmt.Errorf("interrupted after %d records%s", written, where)}
	}
	err = t.Explain(err)
	if written > 0 || o.OutFile != "" {
		return &cmdutil.ExitError{Code: cmdutil.ExitCode(err), Err: fmt.Errorf("%w\n(%d records were received before the failure%s)", err, written, where)}
	}
	return err
}

// CountOptions are the inputs of psctl count.
type CountOptions struct {
	IO       *iostreams.IOStreams
	Factory  *cmdutil.Factory
	Resource string
	School   int64
	Sections []int64
	Q        string
}

// NewCmdCount returns psctl count.
func NewCmdCount(f *cmdutil.Factory, runF func(*CountOptions) error) *cobra.Command {
	o := &CountOptions{IO: f.IOStreams, Factory: f}
	cmd := &cobra.Command{
		Use:   "count RESOURCE",
		Short: "Count records: " + resourceList(),
		Example: `  psctl count students
  psctl count students --q 'school_enrollment.enroll_status==A'
  psctl count sections --school 2
  psctl count enrollments --section 12`,
		Args:      cmdutil.ExactArgs(1, "a resource: "+resourceList()),
		ValidArgs: resourceNames(),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Resource = args[0]
			if runF != nil {
				return runF(o)
			}
			return runCount(cmd.Context(), o)
		},
	}
	cmd.Flags().Int64Var(&o.School, "school", 0, "only this school (school ID)")
	cmd.Flags().Int64SliceVar(&o.Sections, "section", nil, "section IDs, for enrollments (comma-separated or repeated)")
	cmd.Flags().StringVar(&o.Q, "q", "", "PowerSchool search filter")
	return cmd
}

func runCount(ctx context.Context, o *CountOptions) error {
	res, ok := lookupResource(o.Resource)
	if !ok {
		return cmdutil.UsageError("cannot count %q: use one of %s", o.Resource, resourceList())
	}
	if o.School != 0 && res.schoolCount == nil {
		return cmdutil.UsageError("%s are not counted per school: drop --school", res.name)
	}
	if len(o.Sections) > 0 && res.sectionCount == nil {
		return cmdutil.UsageError("%s are not counted per section: drop --section", res.name)
	}
	if res.sectionCount != nil && len(o.Sections) == 0 {
		return cmdutil.UsageError("counting %s needs --section ID (the section's ID, as psctl sections prints it)", res.name)
	}
	client, target, err := o.Factory.Client(ctx)
	if err != nil {
		return err
	}
	lo := &ps.ListOptions{Q: o.Q}
	var n int
	switch {
	case res.sectionCount != nil:
		for _, id := range o.Sections {
			c, cerr := res.sectionCount(client, ctx, id, lo)
			if cerr != nil {
				err = fmt.Errorf("section %d: %w", id, cerr)
				break
			}
			n += c
		}
	case o.School != 0:
		n, err = res.schoolCount(client, ctx, o.School, lo)
	case res.districtCount != nil:
		n, err = res.districtCount(client, ctx, lo)
	default:
		err = forEachSchool(ctx, client, func(id int64) (bool, error) {
			c, err := res.schoolCount(client, ctx, id, lo)
			n += c
			return false, err
		})
	}
	if err != nil {
		return target.Explain(err)
	}
	fmt.Fprintln(o.IO.Out, n)
	return nil
}

// Unwrap returns the value under key in a JSON object ({"district":{...}}),
// or the document itself when the key is absent.
func Unwrap(raw json.RawMessage, key string) json.RawMessage {
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) == nil {
		if v, ok := m[key]; ok && len(m) == 1 {
			return v
		}
	}
	return raw
}
