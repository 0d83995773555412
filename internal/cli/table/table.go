// Package table implements psctl table: read and write PowerSchool tables
// through the table API (/ws/schema/table/{table}): extension tables,
// child tables and standalone tables.
package table

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/pskit/pskit/internal/cli/cmdutil"
	"github.com/pskit/pskit/internal/cli/data"
	"github.com/pskit/pskit/internal/cli/iostreams"
	"github.com/pskit/pskit/internal/cli/query"
	"github.com/pskit/pskit/internal/jsonraw"
	"github.com/pskit/pskit/internal/output"
	ps "github.com/pskit/pskit/powerschool"
	"github.com/spf13/cobra"
)

// NewCmdTable returns psctl table and its subcommands.
func NewCmdTable(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "table <command>",
		Short: "Read and write tables through the table API (/ws/schema/table)",
		Long: `Read and write PowerSchool tables through the table API: database extension
tables (U_..., ...COREFIELDS), child tables and standalone tables. The plugin
needs ViewOnly access (access_request in plugin.xml) to each column it reads
and FullAccess to each it writes; delete needs FullAccess to every column.

Records print as {"id":N,"<table>":{"<column>":"value",...}}: id is the
row's ID (the one get, update and delete take) and columns read
<table>.<column> in CSV and --fields, e.g. u_studentsuserfields.email.
PowerSchool sends values as text.

insert, update and delete change data: --read-only (or an environment saved
with read_only) refuses them before anything is sent.`,
	}
	cmd.AddCommand(NewCmdList(f, nil), NewCmdGet(f, nil), NewCmdCount(f, nil),
		NewCmdInsert(f, nil), NewCmdUpdate(f, nil), NewCmdDelete(f, nil))
	return cmd
}

// Record is the form psctl prints a table row in: its id, then its columns
// grouped by table (the row's "tables" object), in the server's order.
// Values are copied as they came, with no decoding.
func Record(raw json.RawMessage) (json.RawMessage, error) {
	var idsBuf, tablesBuf [1][]byte
	ids, tables := idsBuf[:0], tablesBuf[:0]
	it := jsonraw.Object(raw)
	for it.Next() {
		switch k := it.Key(); {
		case jsonraw.KeyIs(k, "id"):
			ids = append(ids, it.Value())
		case jsonraw.KeyIs(k, "tables"):
			tables = append(tables, it.Value())
		}
	}
	if err := it.Err(); err != nil {
		return nil, query.ObjectError(raw, err)
	}
	out := make([]byte, 0, len(raw))
	out = append(out, '{')
	n := 0
	sep := func() {
		if n > 0 {
			out = append(out, ',')
		}
		n++
	}
	// A second id (never seen from PowerSchool) comes first, as before.
	for i := len(ids) - 1; i >= 0; i-- {
		sep()
		out = append(out, `"id":`...)
		out = append(out, ids[i]...)
	}
	for _, t := range tables {
		cols := jsonraw.Object(t)
		for cols.Next() {
			sep()
			out = jsonraw.AppendString(out, cols.Key())
			out = append(out, ':')
			out = append(out, cols.Value()...)
		}
		if cols.Err() != nil {
			return nil, fmt.Errorf("row's \"tables\" is not an object")
		}
	}
	return append(out, '}'), nil
}

func parseID(s string) (int64, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, cmdutil.UsageError("invalid row ID %q: give the row's numeric id, as psctl table list prints it", s)
	}
	return id, nil
}

// explain adds the next step to a table API failure; write says the call
// changes data.
func explain(err error, t *cmdutil.Target, table string, write bool) error {
	return t.Explain(hint(err, t, table, write))
}

func hint(err error, t *cmdutil.Target, table string, write bool) error {
	if errors.Is(err, ps.ErrReadOnly) {
		return fmt.Errorf("%w\nnothing was sent: %s is read-only (--read-only, or read_only in the environment); run without it to change %s", err, t.Label(), table)
	}
	var ae *ps.APIError
	if errors.As(err, &ae) {
		switch ae.StatusCode {
		case 403:
			err = fmt.Errorf("%w\n%s", err, query.AccessHint(ae, write))
		case 404:
			err = fmt.Errorf("%w\ncheck the table name (see psctl get /ws/schema/table) and the row ID (see psctl table list %s)", err, table)
		}
	}
	return err
}

// ListOptions are the inputs of psctl table list.
type ListOptions struct {
	IO          *iostreams.IOStreams
	Factory     *cmdutil.Factory
	Table       string
	Projection  string
	Q           string
	Sort        string
	Desc        bool
	Limit       int
	PageSize    int
	Concurrency int
	Output      cmdutil.OutputFlags
}

// NewCmdList returns psctl table list.
func NewCmdList(f *cmdutil.Factory, runF func(*ListOptions) error) *cobra.Command {
	o := &ListOptions{IO: f.IOStreams, Factory: f}
	cmd := &cobra.Command{
		Use:   "list TABLE [--projection COLS|*] [--q FIQL]",
		Short: "List a table's rows",
		Long: `List a table's rows: one count, then every page (several at once, in order),
with a progress bar on stderr when it is a terminal. --output FILE appears,
complete, only when the pull succeeds.`,
		Example: `  psctl table list U_STUDENTSUSERFIELDS --projection studentsdcid,email -o csv
  psctl table list U_STUDENTSUSERFIELDS --q 'bus_route==12' --sort email --desc --limit 10 -o table`,
		Args: cmdutil.ExactArgs(1, "a table name such as U_STUDENTSUSERFIELDS"),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Table = args[0]
			if err := data.CheckConcurrency(o.Concurrency); err != nil {
				return err
			}
			if runF != nil {
				return runF(o)
			}
			return runList(cmd.Context(), o)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&o.Projection, "projection", "*", "columns to return, comma-separated, or * for all the plugin may read")
	fl.StringVar(&o.Q, "q", "", "FIQL filter, e.g. 'email==*@example.org;bus_route==12'")
	fl.StringVar(&o.Sort, "sort", "", "column to sort by")
	fl.BoolVar(&o.Desc, "desc", false, "sort descending (with --sort)")
	fl.IntVar(&o.Limit, "limit", 0, "stop after this many records (default: all)")
	fl.IntVar(&o.PageSize, "page-size", 0, "rows per page (default and cap: the plugin's maximum)")
	fl.IntVar(&o.Concurrency, "concurrency", ps.DefaultPageConcurrency, "pages fetched at once (at least 1)")
	cmdutil.AddOutputFlags(cmd, &o.Output, output.JSON)
	return cmd
}

func splitCols(s string) []string {
	var cols []string
	for _, c := range strings.Split(s, ",") {
		if c = strings.TrimSpace(c); c != "" {
			cols = append(cols, c)
		}
	}
	return cols
}

func runList(ctx context.Context, o *ListOptions) error {
	if o.Limit < 0 || o.PageSize < 0 {
		return cmdutil.UsageError("--limit and --page-size must be positive")
	}
	if o.Desc && o.Sort == "" {
		return cmdutil.UsageError("--desc needs --sort COLUMN")
	}
	cols := splitCols(o.Projection)
	if len(cols) == 0 {
		return cmdutil.UsageError("--projection is empty: give columns (studentsdcid,email) or *")
	}
	if _, err := o.Output.Options(o.IO, false); err != nil {
		return err
	}
	client, target, err := o.Factory.Client(ctx)
	if err != nil {
		return err
	}
	out, err := o.Output.Open(o.IO)
	if err != nil {
		return err
	}
	var bar *iostreams.Progress
	lo := &ps.TableListOptions{Q: o.Q, Projection: cols, Sort: o.Sort, Descending: o.Desc,
		PageSize: o.PageSize, Concurrency: o.Concurrency, Limit: o.Limit,
		Progress: func(p ps.Progress) {
			if bar == nil {
				bar = o.IO.Progress(int64(p.Total), strings.ToLower(o.Table))
			}
			bar.Set(int64(p.Done))
		}}
	for rec, err := range client.Tables.List(ctx, o.Table, lo) {
		if err == nil {
			var r json.RawMessage
			if r, err = Record(rec.Raw); err == nil {
				err = out.Write(r)
			}
		}
		if err != nil {
			bar.Done()
			out.Abort()
			return out.Explain(hint(err, target, o.Table, false), target)
		}
		if o.Limit > 0 && out.Count() >= o.Limit {
			break
		}
	}
	bar.Done()
	if err := out.Finish(); err != nil {
		return err
	}
	if o.Output.ToFile() != "" {
		fmt.Fprintf(o.IO.ErrOut, "Wrote %d rows of %s to %s.\n", out.Count(), o.Table, o.Output.ToFile())
	}
	return nil
}

// GetOptions are the inputs of psctl table get.
type GetOptions struct {
	IO         *iostreams.IOStreams
	Factory    *cmdutil.Factory
	Table      string
	ID         int64
	Projection string
	Output     cmdutil.OutputFlags
}

// NewCmdGet returns psctl table get.
func NewCmdGet(f *cmdutil.Factory, runF func(*GetOptions) error) *cobra.Command {
	o := &GetOptions{IO: f.IOStreams, Factory: f}
	cmd := &cobra.Command{
		Use:     "get TABLE ID",
		Short:   "Show one row of a table",
		Example: `  psctl table get U_STUDENTSUSERFIELDS 4001 -o table`,
		Args:    cmdutil.ExactArgs(2, "a table name and a row ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Table = args[0]
			id, err := parseID(args[1])
			if err != nil {
				return err
			}
			o.ID = id
			if runF != nil {
				return runF(o)
			}
			return runGet(cmd.Context(), o)
		},
	}
	cmd.Flags().StringVar(&o.Projection, "projection", "*", "columns to return, comma-separated, or *")
	cmdutil.AddOutputFlags(cmd, &o.Output, output.JSON)
	return cmd
}

func runGet(ctx context.Context, o *GetOptions) error {
	cols := splitCols(o.Projection)
	if len(cols) == 0 {
		return cmdutil.UsageError("--projection is empty: give columns or *")
	}
	if _, err := o.Output.Options(o.IO, true); err != nil {
		return err
	}
	client, target, err := o.Factory.Client(ctx)
	if err != nil {
		return err
	}
	rec, err := client.Tables.Get(ctx, o.Table, o.ID, cols...)
	if err != nil {
		return explain(err, target, o.Table, false)
	}
	r, err := Record(rec.Raw)
	if err != nil {
		return fmt.Errorf("%s row %d: %w", o.Table, o.ID, err)
	}
	return o.Output.WriteOne(o.IO, r)
}

// CountOptions are the inputs of psctl table count.
type CountOptions struct {
	IO      *iostreams.IOStreams
	Factory *cmdutil.Factory
	Table   string
	Q       string
}

// NewCmdCount returns psctl table count.
func NewCmdCount(f *cmdutil.Factory, runF func(*CountOptions) error) *cobra.Command {
	o := &CountOptions{IO: f.IOStreams, Factory: f}
	cmd := &cobra.Command{
		Use:     "count TABLE [--q FIQL]",
		Short:   "Count a table's rows",
		Example: `  psctl table count U_STUDENTSUSERFIELDS --q 'bus_route==12'`,
		Args:    cmdutil.ExactArgs(1, "a table name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Table = args[0]
			if runF != nil {
				return runF(o)
			}
			client, target, err := o.Factory.Client(cmd.Context())
			if err != nil {
				return err
			}
			n, err := client.Tables.Count(cmd.Context(), o.Table, o.Q)
			if err != nil {
				return explain(err, target, o.Table, false)
			}
			fmt.Fprintln(o.IO.Out, n)
			return nil
		},
	}
	cmd.Flags().StringVar(&o.Q, "q", "", "FIQL filter")
	return cmd
}
