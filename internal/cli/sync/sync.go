// Package sync implements psctl sync: keep the selected district in a
// database (SQLite, PostgreSQL or Parquet files) with the mirror package.
package sync

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/pskit/pskit/internal/cli/cmdutil"
	"github.com/pskit/pskit/internal/cli/iostreams"
	"github.com/pskit/pskit/internal/output"
	"github.com/pskit/pskit/mirror"
	ps "github.com/pskit/pskit/powerschool"
	"github.com/spf13/cobra"
)

// Options are the inputs of psctl sync.
type Options struct {
	IO            *iostreams.IOStreams
	Factory       *cmdutil.Factory
	To            string
	Tables        string
	Preset        string
	PlanFile      string
	Full          bool
	VerifyDeletes bool
	LookBack      time.Duration
	Output        cmdutil.OutputFlags
}

// NewCmdSync returns psctl sync.
func NewCmdSync(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	o := &Options{IO: f.IOStreams, Factory: f}
	cmd := &cobra.Command{
		Use:   "sync [--to TARGET] [--tables LIST | --preset NAME | --plan FILE] [--full] [--verify-deletes]",
		Short: "Keep the district in a database, moving only what changed",
		Long: `Copy the selected district's tables into a database and keep them current:
the first run loads every table, later runs read only rows whose
TRANSACTION_DATE or WHENMODIFIED moved, and a table with nothing new costs
two requests (its count and its newest change). Tables without such a
column are reloaded: only the current school year when they have a
YEARID or TERMID, whole otherwise. /ws/v1 resources (--preset roster-v1,
or resource: in a plan) land in PowerSchool's tables and columns, and are
reloaded when they changed. Rows deleted in PowerSchool are found when a table's
count drops, or by --verify-deletes (reads every primary key).

Each PowerSchool table lands as one table named as PowerSchool names it, in
lower case, with its columns in lower case and a _raw JSON column; the sync
state (_pskit_sync_state) and a run log (_pskit_runs) live in the target,
so any machine can run the next sync. Each table is written in one
transaction: a killed run leaves every table whole, and the next run
finishes the job. A second run on the same target and district stops with
a message.

Targets:
  sqlite:PATH                                  (default: a file named after the environment)
  postgres://USER@HOST:PORT/DB?schema=NAME     (COPY, then upsert; one schema per district)
  parquet:DIR                                  (DIR/<table>/data.parquet, rewritten when changed)

The plugin needs ViewOnly access (plugin.xml access_request) to the columns
it syncs; columns it may not read are left out. Exit status 1 when a table
failed (the others still land), 4 when the credentials are refused.
See docs/sync.md.`,
		Example: `  psctl sync --preset roster
  psctl sync --to postgres://etl@db.internal/warehouse?schema=district_42 --preset gradebook -o json
  psctl sync --to parquet:out --tables students,cc,u_studentsuserfields
  psctl sync --plan nightly.yaml --verify-deletes`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(o)
			}
			return run(cmd.Context(), o)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&o.To, "to", "", "where the district lands: sqlite:PATH, postgres://..., parquet:DIR (default: sqlite file named after the environment)")
	fl.StringVar(&o.Tables, "tables", "", "tables to sync, comma-separated (students,cc,u_studentsuserfields)")
	fl.StringVar(&o.Preset, "preset", "", "a named table list: "+strings.Join(mirror.Presets(), ", "))
	fl.StringVar(&o.PlanFile, "plan", "", "a YAML plan file (tables, strategies, look_back; see docs/sync.md)")
	fl.BoolVar(&o.Full, "full", false, "reload every table, ignoring the saved watermarks")
	fl.BoolVar(&o.VerifyDeletes, "verify-deletes", false, "read every table's primary keys to find deleted rows even when counts agree")
	fl.DurationVar(&o.LookBack, "look-back", 0, "how far before the last watermark incremental reads start (default 5m)")
	cmdutil.AddOutputFlags(cmd, &o.Output, output.Table)
	return cmd
}

// plan builds the plan from the flags.
func (o *Options) plan() (mirror.Plan, error) {
	given := 0
	for _, s := range []string{o.Tables, o.Preset, o.PlanFile} {
		if s != "" {
			given++
		}
	}
	if given > 1 {
		return mirror.Plan{}, cmdutil.UsageError("give one of --tables, --preset and --plan")
	}
	var p mirror.Plan
	var err error
	switch {
	case o.PlanFile != "":
		b, rerr := os.ReadFile(o.PlanFile)
		if rerr != nil {
			return mirror.Plan{}, cmdutil.UsageError("--plan: %v", rerr)
		}
		p, err = mirror.ParsePlan(b)
		if err != nil {
			err = fmt.Errorf("--plan %s: %w", o.PlanFile, err)
		}
	case o.Tables != "":
		p, err = mirror.TablesPlan(strings.Split(o.Tables, ","))
		if err != nil {
			err = fmt.Errorf("--tables: %w", err)
		}
	default:
		name := o.Preset
		if name == "" {
			name = "roster"
		}
		p, err = mirror.Preset(name)
		if err != nil {
			err = fmt.Errorf("--preset: %w", err)
		}
	}
	if err != nil {
		return mirror.Plan{}, cmdutil.UsageError("%v", err)
	}
	if o.Full {
		p.Full = true
	}
	if o.VerifyDeletes {
		p.VerifyDeletes = true
	}
	if o.LookBack < 0 {
		return mirror.Plan{}, cmdutil.UsageError("--look-back must not be negative")
	}
	if o.LookBack > 0 {
		p.LookBack = o.LookBack
	}
	return p, nil
}

// DefaultTarget is the SQLite file for an environment:
// $XDG_DATA_HOME/psctl/sync/<env>.db (~/.local/share/... without it).
func DefaultTarget(env string) (string, error) {
	base := os.Getenv("XDG_DATA_HOME")
	if base == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", cmdutil.UsageError("no --to given and no home directory for the default SQLite file: pass --to sqlite:PATH")
		}
		base = filepath.Join(home, ".local", "share")
	}
	if env == "" {
		env = "default"
	}
	return filepath.Join(base, "psctl", "sync", env+".db"), nil
}

// row is one line of the report table.
type row struct {
	Table    string `json:"table"`
	Strategy string `json:"strategy"`
	Inserted int    `json:"inserted"`
	Updated  int    `json:"updated"`
	Deleted  int    `json:"deleted"`
	Requests int    `json:"requests"`
	Time     string `json:"time"`
	Error    string `json:"error"`
}

func run(ctx context.Context, o *Options) error {
	plan, err := o.plan()
	if err != nil {
		return err
	}
	opts, err := o.Output.Options(o.IO, false)
	if err != nil {
		return err
	}
	client, target, err := o.Factory.Client(ctx)
	if err != nil {
		return err
	}
	to := o.To
	if to == "" {
		path, err := DefaultTarget(target.Name)
		if err != nil {
			return err
		}
		to = "sqlite:" + path
		fmt.Fprintf(o.IO.ErrOut, "Syncing %s into %s (choose another place with --to).\n", target.Label(), path)
	}
	if !strings.HasPrefix(to, "sqlite:") && !strings.HasPrefix(to, "parquet:") && !strings.HasPrefix(to, "postgres://") && !strings.HasPrefix(to, "postgresql://") {
		_, err := mirror.Open(ctx, to)
		return cmdutil.UsageError("--to: %v", err)
	}
	tg, err := mirror.Open(ctx, to)
	if err != nil {
		return err
	}
	defer tg.Close()

	var bar *iostreams.Progress
	current := ""
	plan.Progress = func(table string, done, total int) {
		if table != current {
			bar.Done()
			bar, current = o.IO.Progress(int64(total), table), table
		}
		bar.SetTotal(int64(total))
		bar.Set(int64(done))
	}
	rep, runErr := mirror.Run(ctx, client, tg, plan)
	bar.Done()
	if runErr != nil && len(rep.Tables) == 0 {
		if errors.Is(runErr, mirror.ErrLocked) {
			return runErr
		}
		return target.Explain(runErr)
	}
	if err := o.print(opts, rep); err != nil {
		return err
	}
	if ps.IsAuthError(runErr) {
		return target.Explain(runErr)
	}
	if errors.Is(runErr, context.Canceled) {
		return cmdutil.ErrCancelled
	}
	if failed := rep.Failed(); len(failed) > 0 {
		return &cmdutil.ExitError{Code: cmdutil.ExitFailure, Err: fmt.Errorf("%d of %d tables failed (%s); the others landed in %s. Fix the cause above and run psctl sync again: it resumes from the saved state",
			len(failed), len(plan.Tables), strings.Join(failed, ", "), tg)}
	}
	if runErr != nil {
		return runErr
	}
	return nil
}

func (o *Options) print(opts output.Options, rep mirror.Report) error {
	if opts.Format == output.JSON {
		opts.Single = true
		return output.WriteOne(o.IO.Out, opts, rep)
	}
	w, err := output.New(o.IO.Out, opts)
	if err != nil {
		return err
	}
	for _, t := range rep.Tables {
		if err := w.Write(row{Table: t.Table, Strategy: t.Strategy, Inserted: t.Inserted, Updated: t.Updated, Deleted: t.Deleted,
			Requests: t.Requests, Time: t.Duration.Round(time.Millisecond).String(), Error: t.Error}); err != nil {
			return err
		}
	}
	if err := w.Close(); err != nil {
		return err
	}
	fmt.Fprintf(o.IO.ErrOut, "Run %s: %s in %s, into %s.\n", rep.RunID, rep.Status, rep.Finished.Sub(rep.Started).Round(time.Millisecond), rep.Target)
	return nil
}
