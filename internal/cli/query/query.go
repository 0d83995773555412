// Package query implements psctl query: run a PowerQuery (a named query,
// POST /ws/schema/query/{name}) and print its records.
package query

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/pskit/pskit/internal/cli/cmdutil"
	"github.com/pskit/pskit/internal/cli/iostreams"
	"github.com/pskit/pskit/internal/output"
	ps "github.com/pskit/pskit/powerschool"
	"github.com/spf13/cobra"
)

// Options are the inputs of psctl query.
type Options struct {
	IO         *iostreams.IOStreams
	Factory    *cmdutil.Factory
	Name       string
	Args       []string // --arg key=value (repeat a key for an array)
	ArgsJSON   []string // --arg-json key=JSON
	Q          string
	Order      string
	Projection string
	Extensions []string
	PageSize   int
	Limit      int
	Count      bool
	Output     cmdutil.OutputFlags
}

// NewCmdQuery returns psctl query.
func NewCmdQuery(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	o := &Options{IO: f.IOStreams, Factory: f}
	cmd := &cobra.Command{
		Use:   "query NAME [--arg key=value ...]",
		Short: "Run a PowerQuery (named query) and print its records",
		Long: `Run a PowerQuery: one of PowerSchool's core queries (com.pearson.core...)
or one a plugin installs from queries_root/*.named_queries.xml. The plugin
needs access (access_request in plugin.xml) to every field the query reads.

Arguments go in the request body. --arg key=value sends the value as text
(PowerSchool converts it to the argument's type); repeat --arg with the same
key for an array argument, or give any JSON value with --arg-json key=JSON
(e.g. --arg-json section_dcid=[12,13]).

Each record is printed as its columns grouped by table, {"students":
{"dcid":"3328","last_name":"Smith"}}, so CSV columns and --fields read
students.dcid; a flattened query's records print their columns as they are.
PowerSchool sends most values as text.

By default every row comes in one streamed answer (--page-size 0); a page
size fetches page after page instead. --count prints only the number of rows.
A PowerQuery only reads, so it runs under --read-only too.`,
		Example: `  psctl query com.pearson.core.student.search.get_student_basic_info -o table --limit 10
  psctl query com.pearson.core.teachers.sectionEnrollments --arg section_dcid=12 --arg section_dcid=13 -o csv
  psctl query com.pearson.core.student.search.get_student_basic_info --q 'students.grade_level=ge=9' \
      --order 'students.last_name,students.first_name' --projection 'students.dcid;students.last_name'
  psctl query com.acme.sis.students.with_lockers --count`,
		Args: cmdutil.ExactArgs(1, "a query name such as com.pearson.core.student.search.get_student_basic_info"),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Name = args[0]
			if runF != nil {
				return runF(o)
			}
			return run(cmd.Context(), o)
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVar(&o.Args, "arg", nil, "argument key=value (repeat a key for an array)")
	fl.StringArrayVar(&o.ArgsJSON, "arg-json", nil, "argument key=JSON, e.g. ids=[1,2]")
	fl.StringVar(&o.Q, "q", "", "FIQL filter over column aliases, e.g. 'students.grade_level=ge=8;students.last_name==Sm*'")
	fl.StringVar(&o.Order, "order", "", "sort by aliases, overriding the query's ORDER BY, e.g. 'students.last_name;desc,students.dcid'")
	fl.StringVar(&o.Projection, "projection", "", "only these columns, ';'-separated, e.g. 'students.dcid;students.last_name' or 'students.*'")
	fl.StringSliceVar(&o.Extensions, "extensions", nil, "extension tables to add to each record (queries with a core table)")
	fl.IntVar(&o.PageSize, "page-size", 0, "rows per request; 0 streams every row in one answer")
	fl.IntVar(&o.Limit, "limit", 0, "stop after this many records (default: all)")
	fl.BoolVar(&o.Count, "count", false, "print only the number of rows the query returns")
	cmdutil.AddOutputFlags(cmd, &o.Output, output.JSON)
	return cmd
}

// reserved are body keys psctl sets from its own flags.
var reserved = map[string]string{"$q": "--q", "projection": "--projection"}

// BuildArgs turns --arg and --arg-json into the request's arguments: one
// --arg key=value is a string, a key given several times a list of strings,
// and --arg-json a JSON value as given.
func BuildArgs(args, argsJSON []string) (map[string]any, error) {
	text := map[string][]string{}
	var order []string
	for _, a := range args {
		k, v, ok := strings.Cut(a, "=")
		if !ok || strings.TrimSpace(k) == "" {
			return nil, cmdutil.UsageError("invalid --arg %q: use key=value, e.g. --arg studentnumber=1012973", a)
		}
		if flag, ok := reserved[k]; ok {
			return nil, cmdutil.UsageError("--arg %s: use %s instead", k, flag)
		}
		if _, seen := text[k]; !seen {
			order = append(order, k)
		}
		text[k] = append(text[k], v)
	}
	out := make(map[string]any, len(text)+len(argsJSON))
	for _, k := range order {
		if vs := text[k]; len(vs) == 1 {
			out[k] = vs[0]
		} else {
			out[k] = vs
		}
	}
	for _, a := range argsJSON {
		k, v, ok := strings.Cut(a, "=")
		if !ok || strings.TrimSpace(k) == "" {
			return nil, cmdutil.UsageError("invalid --arg-json %q: use key=JSON, e.g. --arg-json section_dcid=[12,13]", a)
		}
		if flag, ok := reserved[k]; ok {
			return nil, cmdutil.UsageError("--arg-json %s: use %s instead", k, flag)
		}
		if _, dup := out[k]; dup {
			return nil, cmdutil.UsageError("argument %q is given more than once: give it once with --arg-json, or repeat --arg %s=VALUE for an array", k, k)
		}
		if !json.Valid([]byte(v)) {
			return nil, cmdutil.UsageError("--arg-json %s: %q is not valid JSON (quote text: --arg-json %s='\"text\"', or use --arg %s=text)", k, v, k, k)
		}
		out[k] = json.RawMessage(v)
	}
	return out, nil
}

// splitProjection accepts ';' (PowerSchool's separator) and ','.
func splitProjection(s string) []string {
	var cols []string
	for _, c := range strings.FieldsFunc(s, func(r rune) bool { return r == ';' || r == ',' }) {
		if c = strings.TrimSpace(c); c != "" {
			cols = append(cols, c)
		}
	}
	return cols
}

func (o *Options) request() (*ps.PowerQuery, error) {
	if o.Limit < 0 {
		return nil, cmdutil.UsageError("--limit must be positive, got %d", o.Limit)
	}
	if o.PageSize < 0 {
		return nil, cmdutil.UsageError("--page-size must be 0 (stream every row) or more, got %d", o.PageSize)
	}
	if o.Count && (o.Output.ToFile() != "" || o.Limit > 0 || o.PageSize > 0 || o.Order != "" || o.Projection != "") {
		return nil, cmdutil.UsageError("--count prints only the number of rows: drop --output, --limit, --page-size, --order and --projection")
	}
	args, err := BuildArgs(o.Args, o.ArgsJSON)
	if err != nil {
		return nil, err
	}
	return &ps.PowerQuery{Args: args, Q: o.Q, Order: o.Order, Projection: splitProjection(o.Projection),
		Extensions: o.Extensions, PageSize: o.PageSize}, nil
}

func run(ctx context.Context, o *Options) error {
	pq, err := o.request()
	if err != nil {
		return err
	}
	if !o.Count {
		// Check -o and --fields before any request.
		if _, err := o.Output.Options(o.IO, false); err != nil {
			return err
		}
	}
	client, target, err := o.Factory.Client(ctx)
	if err != nil {
		return err
	}
	if o.Count {
		n, err := client.PowerQueryCount(ctx, o.Name, pq)
		if err != nil {
			return target.Explain(Explain(err, o.Name))
		}
		fmt.Fprintln(o.IO.Out, n)
		return nil
	}
	out, err := o.Output.Open(o.IO)
	if err != nil {
		return err
	}
	bar := o.IO.Progress(int64(o.Limit), o.Name)
	for rec, err := range client.PowerQueryRecords(ctx, o.Name, pq) {
		if err == nil {
			var r json.RawMessage
			if r, err = Record(rec.Raw); err == nil {
				err = out.Write(r)
			} else {
				err = fmt.Errorf("query %s: %w", o.Name, err)
			}
		}
		if err != nil {
			bar.Done()
			out.Abort()
			return out.Explain(Explain(err, o.Name), target)
		}
		bar.Set(int64(out.Count()))
		if o.Limit > 0 && out.Count() >= o.Limit {
			break
		}
	}
	bar.Done()
	if err := out.Finish(); err != nil {
		return err
	}
	if o.Output.ToFile() != "" {
		fmt.Fprintf(o.IO.ErrOut, "Wrote %d records to %s.\n", out.Count(), o.Output.ToFile())
	}
	return nil
}

// Explain adds what to do next to a PowerQuery or table API failure: how to
// list the queries after a 404, how to grant the missing fields after a 403.
func Explain(err error, name string) error {
	var ae *ps.APIError
	if !errors.As(err, &ae) {
		return err
	}
	switch ae.StatusCode {
	case 404:
		if strings.HasPrefix(ae.Path, "/ws/schema/query/") {
			return fmt.Errorf("%w\nno PowerQuery named %q is available to this plugin: list the ones it can run with psctl get /ws/schema/query/api", err, name)
		}
	case 403:
		return fmt.Errorf("%w\n%s", err, AccessHint(ae, false))
	}
	return err
}

// AccessHint names the fields a 403 says the plugin lacks and how to add
// them to plugin.xml. write says the call was a write (FullAccess needed).
// The wording keeps psctl plugin access able to read the fields back from
// the message, and its access level right: it reads "fields TABLE.FIELD,
// ..." and grants FullAccess only when the text speaks of writing.
func AccessHint(ae *ps.APIError, write bool) string {
	fields := map[string]bool{}
	if ae.Field != "" {
		fields[strings.ToUpper(ae.Field)] = true
	}
	for _, d := range ae.Errors {
		switch {
		case strings.Contains(d.Field, "."):
			fields[strings.ToUpper(d.Field)] = true
		case d.Resource != "" && d.Field != "":
			fields[strings.ToUpper(d.Resource+"."+d.Field)] = true
		}
	}
	names := make([]string, 0, len(fields))
	for f := range fields {
		names = append(names, f)
	}
	sort.Strings(names)
	level := "access"
	if write {
		level = "FullAccess (needed to write)"
	}
	what := "some of the fields this call touches"
	if len(names) > 0 {
		what = "the fields " + strings.Join(names, ", ")
	}
	return fmt.Sprintf("the plugin lacks %s to %s: save this message to a file and run psctl plugin access --from-error FILE --plugin plugin.xml to add them to <access_request>, then reinstall the plugin in PowerSchool", level, what)
}
