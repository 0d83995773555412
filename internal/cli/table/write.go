package table

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/pskit/pskit/internal/cli/cmdutil"
	"github.com/pskit/pskit/internal/cli/iostreams"
	"github.com/spf13/cobra"
)

// WriteOptions are the inputs of psctl table insert, update and delete.
type WriteOptions struct {
	IO      *iostreams.IOStreams
	Factory *cmdutil.Factory
	Table   string
	ID      int64    // update and delete
	Set     []string // --set column=value (insert and update)
	Yes     bool     // delete without asking
}

// ParseSets turns --set column=value flags into the row's columns. Values
// are sent as text, as PowerSchool's table API sends them.
func ParseSets(sets []string) (map[string]any, error) {
	if len(sets) == 0 {
		return nil, cmdutil.UsageError("nothing to write: give the columns with --set column=value (repeatable)")
	}
	row := make(map[string]any, len(sets))
	seen := map[string]bool{}
	for _, s := range sets {
		k, v, ok := strings.Cut(s, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			return nil, cmdutil.UsageError("invalid --set %q: use column=value, e.g. --set email=ada@example.org", s)
		}
		if seen[strings.ToLower(k)] {
			return nil, cmdutil.UsageError("column %q is set more than once", k)
		}
		seen[strings.ToLower(k)] = true
		row[strings.ToLower(k)] = v
	}
	return row, nil
}

// NewCmdInsert returns psctl table insert.
func NewCmdInsert(f *cmdutil.Factory, runF func(*WriteOptions) error) *cobra.Command {
	o := &WriteOptions{IO: f.IOStreams, Factory: f}
	cmd := &cobra.Command{
		Use:   "insert TABLE --set column=value ...",
		Short: "Add a row to a table and print its ID",
		Long: `Add a row to a table and print its ID on stdout. For a one-to-one extension
table (U_STUDENTSUSERFIELDS, ...) set its key column, e.g. studentsdcid.
Refused before sending under --read-only.`,
		Example: `  psctl table insert U_STUDENTSUSERFIELDS --set studentsdcid=4001 --set email=ada@example.org`,
		Args:    cmdutil.ExactArgs(1, "a table name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Table = args[0]
			if runF != nil {
				return runF(o)
			}
			return runInsert(cmd.Context(), o)
		},
	}
	cmd.Flags().StringArrayVar(&o.Set, "set", nil, "column=value to write (repeatable)")
	return cmd
}

func runInsert(ctx context.Context, o *WriteOptions) error {
	row, err := ParseSets(o.Set)
	if err != nil {
		return err
	}
	client, target, err := o.Factory.Client(ctx)
	if err != nil {
		return err
	}
	res, err := client.Tables.Insert(ctx, o.Table, row)
	if err != nil {
		return explain(err, target, o.Table, true)
	}
	if res.ID == 0 {
		fmt.Fprintf(o.IO.ErrOut, "Inserted a row into %s (PowerSchool sent no ID).\n", o.Table)
		return nil
	}
	fmt.Fprintln(o.IO.Out, int64(res.ID))
	fmt.Fprintf(o.IO.ErrOut, "Inserted row %d into %s.\n", int64(res.ID), o.Table)
	return nil
}

// NewCmdUpdate returns psctl table update.
func NewCmdUpdate(f *cmdutil.Factory, runF func(*WriteOptions) error) *cobra.Command {
	o := &WriteOptions{IO: f.IOStreams, Factory: f}
	cmd := &cobra.Command{
		Use:     "update TABLE ID --set column=value ...",
		Short:   "Change columns of one row",
		Long:    "Change the given columns of one row; the others keep their values. Refused before sending under --read-only.",
		Example: `  psctl table update U_STUDENTSUSERFIELDS 4001 --set bus_route=12`,
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
			return runUpdate(cmd.Context(), o)
		},
	}
	cmd.Flags().StringArrayVar(&o.Set, "set", nil, "column=value to write (repeatable)")
	return cmd
}

func runUpdate(ctx context.Context, o *WriteOptions) error {
	row, err := ParseSets(o.Set)
	if err != nil {
		return err
	}
	client, target, err := o.Factory.Client(ctx)
	if err != nil {
		return err
	}
	if err := client.Tables.Update(ctx, o.Table, o.ID, row); err != nil {
		return explain(err, target, o.Table, true)
	}
	fmt.Fprintf(o.IO.ErrOut, "Updated row %d of %s.\n", o.ID, o.Table)
	return nil
}

// NewCmdDelete returns psctl table delete.
func NewCmdDelete(f *cmdutil.Factory, runF func(*WriteOptions) error) *cobra.Command {
	o := &WriteOptions{IO: f.IOStreams, Factory: f}
	cmd := &cobra.Command{
		Use:   "delete TABLE ID [--yes]",
		Short: "Delete one row",
		Long: `Delete one row. PowerSchool allows it only when the plugin has FullAccess
to every column of the table. On a terminal psctl asks for the ID again;
elsewhere pass --yes. Refused before sending under --read-only.`,
		Example: `  psctl table delete U_STUDENTSUSERFIELDS 4001 --yes`,
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
			return runDelete(cmd.Context(), o)
		},
	}
	cmd.Flags().BoolVarP(&o.Yes, "yes", "y", false, "delete without asking")
	return cmd
}

func runDelete(ctx context.Context, o *WriteOptions) error {
	client, target, err := o.Factory.Client(ctx)
	if err != nil {
		return err
	}
	// A read-only client refuses before sending: no point asking first.
	if !o.Yes && !target.ReadOnly {
		if !o.IO.IsStdinTTY() || !o.IO.IsStderrTTY() {
			return cmdutil.UsageError("psctl table delete asks for confirmation, and there is no terminal: pass --yes to delete row %d of %s", o.ID, o.Table)
		}
		fmt.Fprintf(o.IO.ErrOut, "Delete row %d of %s in %s? Type the row ID to confirm: ", o.ID, o.Table, target.Label())
		line, err := o.IO.ReadLine(ctx)
		if errors.Is(err, iostreams.ErrAborted) {
			fmt.Fprintln(o.IO.ErrOut)
			return &cmdutil.ExitError{Code: cmdutil.ExitUsage, Err: fmt.Errorf("cancelled: row %d of %s was not deleted", o.ID, o.Table)}
		}
		if err != nil {
			return err
		}
		if line != fmt.Sprint(o.ID) {
			return &cmdutil.ExitError{Code: cmdutil.ExitUsage, Err: fmt.Errorf("not deleted: %q is not %d", line, o.ID)}
		}
	}
	if err := client.Tables.Delete(ctx, o.Table, o.ID); err != nil {
		return explain(err, target, o.Table, true)
	}
	fmt.Fprintf(o.IO.ErrOut, "Deleted row %d of %s.\n", o.ID, o.Table)
	return nil
}
