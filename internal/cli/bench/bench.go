// Package benchcmd implements psctl bench: the pull benchmark against an
// in-process emulator, and the memory measurement of psctl's output path.
package benchcmd

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/pskit/pskit/internal/bench"
	"github.com/pskit/pskit/internal/cli/cmdutil"
	"github.com/pskit/pskit/internal/cli/iostreams"
	ps "github.com/pskit/pskit/powerschool"
	"github.com/spf13/cobra"
)

// Options are the inputs of psctl bench.
type Options struct {
	IO          *iostreams.IOStreams
	Config      bench.Config
	Format      string
	Memory      bool
	CPU         bool
	MemorySizes []int
	MemoryPage  int
	Sync        bool
	SyncTables  []string
	SyncPG      string
	// SyncNoSQLite skips SQLite; SyncCPUProfile prefixes profile files.
	SyncNoSQLite   bool
	SyncCPUProfile string
}

// NewCmdBench returns psctl bench.
func NewCmdBench(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	o := &Options{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure pull speed and memory against a local emulated district",
		Long: `Start the emulator in this process on a loopback port, with the given
district size, page size and added latency, and pull every student four ways,
side by side: pskit at concurrency 1 and at the default, and the cheapest raw
HTTP loop (token, count, pages) at the same two concurrencies as the ceiling.
Each run checks every student arrives exactly once; request counts come from
the emulator's own counters.

--sync instead measures psctl sync on the same district: the pull psctl
students -o ndjson makes, then a first sync into SQLite (and PostgreSQL with
--sync-postgres URL), a second with nothing changed, and one after the
emulator changes about 1% of the rows, then a first sync of students with a
roster's columns only into a fresh target (like for like with the pull);
requests come from the emulator's counters, peak heap from the Go runtime.

--memory instead measures the peak resident memory of psctl students writing
NDJSON and CSV to a file, in a child process, for each --memory-students size
(seeding a million students takes about half a minute).

No server or credentials of yours are used. See docs/performance.md.`,
		Example: `  psctl bench
  psctl bench --latency 0 --runs 5
  psctl bench --students 100000 --page-size 500 -o json
  psctl bench --memory
  psctl bench --sync --sync-postgres postgres://postgres@127.0.0.1/postgres`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(o)
			}
			return run(cmd.Context(), o)
		},
	}
	fl := cmd.Flags()
	fl.IntVar(&o.Config.Students, "students", bench.DefaultStudents, "district size")
	fl.IntVar(&o.Config.PageSize, "page-size", bench.DefaultPageSize, "the plugin's maximum page size, used by every mode")
	fl.DurationVar(&o.Config.Latency, "latency", bench.DefaultLatency, "latency the emulator adds to every request")
	fl.IntVar(&o.Config.Concurrency, "concurrency", ps.DefaultPageConcurrency, "concurrency compared with 1 (default: the SDK's)")
	fl.IntVar(&o.Config.Runs, "runs", bench.DefaultRuns, "runs per mode; the median is reported")
	fl.Int64Var(&o.Config.Seed, "seed", 0, "district seed")
	fl.StringVarP(&o.Format, "format", "o", "text", "report format: text or json")
	fl.BoolVar(&o.Memory, "memory", false, "measure psctl's peak memory writing NDJSON and CSV instead")
	fl.BoolVar(&o.CPU, "cpu", false, "measure the CPU time of psctl students, table list and query (child processes, --students and --page-size) instead")
	fl.DurationSliceVar(&o.Config.Throttles, "throttle", nil, "also pull from a plugin with each minimum interval between requests (no added latency), e.g. 20ms,200ms")
	fl.BoolVar(&o.Config.Table, "table", false, "also pull the STUDENTS table through the table API, range split and paged, and the student list (no added latency)")
	fl.BoolVar(&o.Config.PacedOnly, "paced-only", false, "skip the four default modes (with --throttle or --table)")
	fl.IntSliceVar(&o.MemorySizes, "memory-students", []int{20_000, 1_000_000}, "district sizes for --memory")
	fl.IntVar(&o.MemoryPage, "memory-page-size", 1000, "the plugin's maximum page size for --memory")
	fl.BoolVar(&o.Sync, "sync", false, "measure psctl sync instead")
	fl.StringSliceVar(&o.SyncTables, "sync-tables", []string{"students"}, "tables --sync syncs")
	fl.StringVar(&o.SyncPG, "sync-postgres", "", "a PostgreSQL URL --sync also measures (a throwaway schema is created and dropped)")
	fl.BoolVar(&o.SyncNoSQLite, "sync-no-sqlite", false, "with --sync-postgres, measure PostgreSQL alone")
	fl.StringVar(&o.SyncCPUProfile, "sync-cpuprofile", "", "write a Go CPU profile of each first sync to PREFIX-TARGET.pprof (emulator and sync together)")
	return cmd
}

func run(ctx context.Context, o *Options) error {
	format := strings.ToLower(o.Format)
	if format != "text" && format != "json" {
		return cmdutil.UsageError("unknown report format %q: use text or json", o.Format)
	}
	if o.Memory {
		return runMemory(ctx, o, format)
	}
	if o.Sync {
		rep, err := bench.RunSync(ctx, bench.SyncConfig{Students: o.Config.Students, PageSize: o.Config.PageSize, Latency: o.Config.Latency,
			Seed: o.Config.Seed, Tables: o.SyncTables, Postgres: o.SyncPG, Mutate: bench.Mutate,
			NoSQLite: o.SyncNoSQLite, CPUProfile: o.SyncCPUProfile}, o.IO.ErrOut)
		if err != nil {
			return explain(ctx, err)
		}
		if format == "json" {
			return writeJSON(o, rep)
		}
		return bench.WriteSyncText(o.IO.Out, rep)
	}
	if o.CPU {
		return runCPU(ctx, o, format)
	}
	rep, err := bench.Run(ctx, o.Config, o.IO.ErrOut)
	if err != nil {
		return explain(ctx, err)
	}
	if format == "json" {
		return writeJSON(o, rep)
	}
	return bench.WriteText(o.IO.Out, rep)
}

func runMemory(ctx context.Context, o *Options, format string) error {
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("finding psctl's own executable to run the measurement: %w", err)
	}
	for _, n := range o.MemorySizes {
		if n < 1 {
			return cmdutil.UsageError("--memory-students sizes must be positive, got %d", n)
		}
	}
	if o.MemoryPage < 1 {
		return cmdutil.UsageError("--memory-page-size must be at least 1, got %d", o.MemoryPage)
	}
	cfg := bench.MemoryConfig{Sizes: o.MemorySizes, PageSize: o.MemoryPage, Seed: o.Config.Seed,
		Command: func(ctx context.Context, args []string) *exec.Cmd { return exec.CommandContext(ctx, exe, args...) }}
	start := time.Now()
	rs, err := bench.Memory(ctx, cfg, o.IO.ErrOut)
	if err != nil {
		return explain(ctx, err)
	}
	if format == "json" {
		return writeJSON(o, map[string]any{"date": start.UTC(), "memory": rs})
	}
	return bench.WriteMemoryText(o.IO.Out, rs)
}

func runCPU(ctx context.Context, o *Options, format string) error {
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("finding psctl's own executable to run the measurement: %w", err)
	}
	cfg := bench.MemoryConfig{Sizes: []int{o.Config.Students}, PageSize: o.Config.PageSize, Seed: o.Config.Seed,
		Command: func(ctx context.Context, args []string) *exec.Cmd { return exec.CommandContext(ctx, exe, args...) }}
	start := time.Now()
	rs, err := bench.CPU(ctx, cfg, o.Config.Runs, o.IO.ErrOut)
	if err != nil {
		return explain(ctx, err)
	}
	if format == "json" {
		return writeJSON(o, map[string]any{"date": start.UTC(), "cpu": rs})
	}
	return bench.WriteCPUText(o.IO.Out, rs)
}

func writeJSON(o *Options, v any) error {
	enc := json.NewEncoder(o.IO.Out)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func explain(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return &cmdutil.ExitError{Code: cmdutil.ExitUsage, Err: fmt.Errorf("benchmark interrupted: %w", err)}
	}
	return fmt.Errorf("benchmark: %w", err)
}
