package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"github.com/pskit/pskit/emulator"
	"github.com/pskit/pskit/mirror"
	ps "github.com/pskit/pskit/powerschool"
)

// SyncConfig shapes the sync benchmark.
type SyncConfig struct {
	Students int           `json:"students"`
	PageSize int           `json:"page_size"`
	Latency  time.Duration `json:"latency"`
	Seed     int64         `json:"seed"`
	// Tables are synced; students is the one compared with the pull.
	Tables []string `json:"tables"`
	// Postgres, if set, is a PostgreSQL URL measured beside SQLite (each
	// run in a fresh schema, dropped afterwards).
	Postgres string `json:"-"`
	// Mutate changes about MutateRows rows between the second and third
	// sync (nil: the emulator's Mutate is not available, that step is
	// skipped).
	Mutate     func(ctx context.Context, srv *emulator.Server, rows int, seed int64) (string, error) `json:"-"`
	MutateRows int                                                                                   `json:"mutate_rows"`
	// RosterColumns, when students is synced, are the STUDENTS columns of
	// a further first sync into a fresh target (plan columns:), the
	// like-for-like comparison with the /ws/v1 pull (default
	// DefaultRosterColumns; none: skipped).
	RosterColumns []string `json:"roster_columns,omitempty"`
	// NoSQLite measures PostgreSQL alone (with Postgres set).
	NoSQLite bool `json:"no_sqlite,omitempty"`
	// CPUProfile, if set, is a file name prefix: each target's first sync
	// writes a Go CPU profile to PREFIX-TARGET.pprof (the emulator runs
	// in this process too, so its work shows beside the sync's).
	CPUProfile string `json:"-"`
}

// DefaultRosterColumns are the STUDENTS columns a roster needs, about what
// a /ws/v1 student record carries.
var DefaultRosterColumns = []string{"id", "student_number", "state_studentnumber", "first_name", "middle_name", "last_name", "grade_level", "schoolid", "enroll_status"}

// SyncStep is one sync of one target.
type SyncStep struct {
	Step      string        `json:"step"` // first, unchanged, after-mutate
	Target    string        `json:"target"`
	Wall      time.Duration `json:"wall"`
	Rows      int           `json:"rows"` // inserted+updated+deleted
	PerSecond float64       `json:"records_per_second,omitempty"`
	// PullPerSecond is the students pull measured right before a first
	// sync, which VsPull compares it with.
	PullPerSecond float64 `json:"pull_records_per_second,omitempty"`
	// Requests are the emulator's count of /ws/ requests (the token and
	// /ws/v1/metadata apart), and per table.
	Requests         int64   `json:"requests"`
	RequestsPerTable float64 `json:"requests_per_table"`
	VsFirst          float64 `json:"time_vs_first,omitempty"`
	VsPull           float64 `json:"records_per_second_vs_pull,omitempty"`
	VsTablePull      float64 `json:"records_per_second_vs_table_pull,omitempty"`
	PeakHeap         uint64  `json:"peak_heap_bytes"`
	Note             string  `json:"note,omitempty"`
}

// SyncReport is the whole sync benchmark.
type SyncReport struct {
	Config        SyncConfig    `json:"config"`
	Pull          time.Duration `json:"pull_wall"` // students -o ndjson equivalent
	PullPerSecond float64       `json:"pull_records_per_second"`
	// TablePull reads the same tables through the table API, storing
	// nothing: what the sync's reading costs before any write.
	TablePull          time.Duration `json:"table_pull_wall"`
	TablePullRecords   int           `json:"table_pull_records"`
	TablePullPerSecond float64       `json:"table_pull_records_per_second"`
	Steps              []SyncStep    `json:"steps"`
	Date               time.Time     `json:"date"`
	Platform           string        `json:"platform"`
}

// RunSync seeds a district and measures, side by side: the pull psctl
// students -o ndjson makes (the v1 students list, each record encoded as
// NDJSON), then for each target a first sync, a second with nothing
// changed, and one after a mutate of about 1% of the rows.
func RunSync(ctx context.Context, cfg SyncConfig, log io.Writer) (*SyncReport, error) {
	if cfg.Students == 0 {
		cfg.Students = DefaultStudents
	}
	if cfg.PageSize == 0 {
		cfg.PageSize = DefaultPageSize
	}
	if len(cfg.Tables) == 0 {
		cfg.Tables = []string{"students"}
	}
	if cfg.MutateRows == 0 {
		cfg.MutateRows = cfg.Students / 100
	}
	if cfg.RosterColumns == nil {
		cfg.RosterColumns = DefaultRosterColumns
	}
	if log == nil {
		log = io.Discard
	}
	fmt.Fprintf(log, "Seeding %d students...\n", cfg.Students)
	srv, err := emulator.Start(ctx, emulator.Options{Students: cfg.Students, Seed: cfg.Seed, MaxPageSize: cfg.PageSize,
		Latency: cfg.Latency, Plugin: emulator.DefaultPlugin})
	if err != nil {
		return nil, fmt.Errorf("starting the emulator: %w", err)
	}
	defer srv.Close()
	creds, err := readAllPlugin(ctx, srv, cfg.Tables)
	if err != nil {
		return nil, err
	}
	newClient := func() (*ps.Client, error) {
		return ps.NewClient(ps.WithBaseURL(creds.URL), ps.WithCredentials(creds.ClientID, creds.ClientSecret))
	}
	rep := &SyncReport{Config: cfg, Date: time.Now().UTC(), Platform: fmt.Sprintf("%s/%s, %d CPUs", runtime.GOOS, runtime.GOARCH, runtime.NumCPU())}

	fmt.Fprintln(log, "Pulling students as psctl students -o ndjson does...")
	c, err := newClient()
	if err != nil {
		return nil, err
	}
	// pull is what psctl students -o ndjson does, in records per second;
	// it is measured again right before each first sync, so that the
	// ratio compares runs made seconds apart on a loaded machine.
	pull := func() (time.Duration, float64, error) {
		start := time.Now()
		n := 0
		enc := json.NewEncoder(io.Discard)
		for s, err := range c.Students.List(ctx, nil) {
			if err != nil {
				return 0, 0, fmt.Errorf("pulling students: %w", err)
			}
			if err := enc.Encode(s); err != nil {
				return 0, 0, err
			}
			n++
		}
		wall := time.Since(start)
		return wall, float64(n) / wall.Seconds(), nil
	}
	if rep.Pull, rep.PullPerSecond, err = pull(); err != nil {
		return nil, err
	}

	fmt.Fprintln(log, "Reading the tables through the table API, storing nothing...")
	start := time.Now()
	for _, t := range cfg.Tables {
		for _, err := range c.Tables.List(ctx, t, nil) {
			if err != nil {
				return nil, fmt.Errorf("reading %s: %w", t, err)
			}
			rep.TablePullRecords++
		}
	}
	rep.TablePull = time.Since(start)
	rep.TablePullPerSecond = float64(rep.TablePullRecords) / rep.TablePull.Seconds()

	dir, err := os.MkdirTemp("", "psctl-bench-sync-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	var targets []string
	if !cfg.NoSQLite || cfg.Postgres == "" {
		targets = append(targets, "sqlite:"+filepath.Join(dir, "district.db"))
	}
	if cfg.Postgres != "" {
		sep := "?"
		if strings.Contains(cfg.Postgres, "?") {
			sep = "&"
		}
		targets = append(targets, cfg.Postgres+sep+fmt.Sprintf("schema=pskit_bench_%d", time.Now().UnixNano()))
	}
	plan, err := mirror.TablesPlan(cfg.Tables)
	if err != nil {
		return nil, err
	}
	// The roster plan syncs students alone, with the roster's columns,
	// into a fresh target of each kind.
	var roster *mirror.Plan
	if slices.Contains(cfg.Tables, "students") && len(cfg.RosterColumns) > 0 {
		roster = &mirror.Plan{Tables: []mirror.TableSpec{{Name: "students", Columns: cfg.RosterColumns}}}
	}
	for i, addr := range targets {
		tg, err := mirror.Open(ctx, addr)
		if err != nil {
			return nil, err
		}
		steps := []string{"first", "unchanged", "after-mutate"}
		if roster != nil {
			steps = append(steps, "first-roster")
		}
		var first SyncStep
		for _, step := range steps {
			stepPlan, tables := plan, len(cfg.Tables)
			if step == "first-roster" {
				// A fresh target: the same kind, another file or schema.
				dropSchemaOf(ctx, tg, addr)
				tg.Close()
				if tg, err = mirror.Open(ctx, rosterTarget(addr, dir)); err != nil {
					return nil, err
				}
				stepPlan, tables = *roster, 1
			}
			note := ""
			if step == "after-mutate" {
				if cfg.Mutate == nil {
					continue
				}
				// Each target sees its own change of the same size.
				if note, err = cfg.Mutate(ctx, srv, cfg.MutateRows, int64(i)); err != nil {
					tg.Close()
					return nil, fmt.Errorf("changing the district: %w", err)
				}
			}
			fmt.Fprintf(log, "%s: %s sync...\n", tg, step)
			c, err := newClient()
			if err != nil {
				return nil, err
			}
			if _, err := c.Metadata(ctx); err != nil { // the token and metadata, outside the counts
				return nil, err
			}
			adjacent := 0.0
			if strings.HasPrefix(step, "first") {
				if _, adjacent, err = pull(); err != nil {
					return nil, err
				}
			}
			srv.ResetStats()
			kind := strings.SplitN(tg.String(), ":", 2)[0]
			stopProfile := func() {}
			if cfg.CPUProfile != "" && step == "first" {
				if stopProfile, err = startCPUProfile(cfg.CPUProfile + "-" + kind + ".pprof"); err != nil {
					tg.Close()
					return nil, err
				}
			}
			peak := watchHeap()
			start := time.Now()
			r, err := mirror.Run(ctx, c, tg, stepPlan)
			wall := time.Since(start)
			heap := peak()
			stopProfile()
			if err != nil {
				tg.Close()
				return nil, fmt.Errorf("%s sync into %s: %w", step, tg, err)
			}
			st := SyncStep{Step: step, Target: kind, Wall: wall, PeakHeap: heap, Note: note}
			for _, t := range r.Tables {
				st.Rows += t.Inserted + t.Updated + t.Deleted
			}
			for route, k := range srv.Stats().APIRequests {
				if !strings.Contains(route, "/ws/v1/metadata") {
					st.Requests += k
				}
			}
			st.RequestsPerTable = float64(st.Requests) / float64(tables)
			if step == "first-roster" {
				st.PerSecond = float64(st.Rows) / wall.Seconds()
				st.PullPerSecond, st.VsPull = adjacent, st.PerSecond/adjacent
				st.Note = "students only, columns " + strings.Join(cfg.RosterColumns, ",") + " (plus dcid, transaction_date)"
			} else if step == "first" {
				st.PerSecond = float64(st.Rows) / wall.Seconds()
				st.PullPerSecond, st.VsPull = adjacent, st.PerSecond/adjacent
				st.VsTablePull = st.PerSecond / rep.TablePullPerSecond
				first = st
			} else {
				st.VsFirst = float64(wall) / float64(first.Wall)
			}
			rep.Steps = append(rep.Steps, st)
		}
		dropSchemaOf(ctx, tg, addr)
		tg.Close()
	}
	return rep, nil
}

// startCPUProfile writes a CPU profile of this process to name until the
// returned function is called.
func startCPUProfile(name string) (func(), error) {
	f, err := os.Create(name)
	if err != nil {
		return nil, fmt.Errorf("writing the CPU profile: %w (check --sync-cpuprofile's directory)", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("starting the CPU profile: %w", err)
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

// rosterTarget is a fresh target of addr's kind for the roster step.
func rosterTarget(addr, dir string) string {
	if strings.HasPrefix(addr, "postgres") {
		return addr + "_roster"
	}
	return "sqlite:" + filepath.Join(dir, "roster.db")
}

func dropSchemaOf(ctx context.Context, tg mirror.Target, addr string) {
	if strings.HasPrefix(addr, "postgres") {
		dropSchema(ctx, tg)
	}
}

// watchHeap samples the Go heap until the returned function is called,
// which returns the peak.
func watchHeap() func() uint64 {
	runtime.GC()
	var peak atomic.Uint64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		var m runtime.MemStats
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			runtime.ReadMemStats(&m)
			if m.HeapAlloc > peak.Load() {
				peak.Store(m.HeapAlloc)
			}
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	return func() uint64 { close(stop); <-done; return peak.Load() }
}

// readAllPlugin installs a plugin that may read every column of tables
// (their metadata lists all columns) and returns its credentials.
func readAllPlugin(ctx context.Context, srv *emulator.Server, tables []string) (emulator.Credentials, error) {
	creds := srv.Credentials()
	c, err := ps.NewClient(ps.WithBaseURL(creds.URL), ps.WithCredentials(creds.ClientID, creds.ClientSecret))
	if err != nil {
		return creds, err
	}
	var fields strings.Builder
	for _, t := range tables {
		var m struct {
			Columns []struct{ Name string } `json:"columns"`
		}
		if err := c.Do(ctx, "GET", "/ws/schema/table/"+t+"/metadata", nil, nil, &m); err != nil {
			return creds, fmt.Errorf("reading the metadata of %s: %w", t, err)
		}
		for _, col := range m.Columns {
			fmt.Fprintf(&fields, "    <field table=%q field=%q access=\"ViewOnly\"/>\n", strings.ToUpper(t), strings.ToUpper(col.Name))
		}
	}
	xml := `<?xml version="1.0" encoding="UTF-8"?>
<plugin xmlns="http://plugin.powerschool.pearson.com" name="pskit sync bench" version="1.0.0" description="reads whole tables">
  <oauth accessLevelV1Api="READ"/>
  <publisher name="pskit"><contact email="dev@example.org"/></publisher>
  <access_request>
` + fields.String() + `  </access_request>
</plugin>
`
	return srv.InstallPlugin([]byte(xml))
}

func dropSchema(ctx context.Context, tg mirror.Target) {
	if d, ok := tg.(interface{ DropSchema(context.Context) error }); ok {
		d.DropSchema(ctx)
	}
}

// WriteSyncText prints the sync benchmark.
func WriteSyncText(w io.Writer, r *SyncReport) error {
	c := r.Config
	fmt.Fprintf(w, "Sync benchmark: %d students, tables %s, page size %d, latency %s; %s\n", c.Students, strings.Join(c.Tables, ","), c.PageSize, c.Latency, r.Platform)
	fmt.Fprintf(w, "pull (psctl students -o ndjson): %s, %.0f records/s\n", r.Pull.Round(time.Millisecond), r.PullPerSecond)
	fmt.Fprintf(w, "table API read of the same tables, nothing stored: %s, %d records, %.0f records/s\n\n", r.TablePull.Round(time.Millisecond), r.TablePullRecords, r.TablePullPerSecond)
	fmt.Fprintf(w, "%-9s %-13s %10s %8s %9s %10s %9s %16s %10s %10s\n", "target", "step", "wall", "rows", "requests", "req/table", "vs first", "vs pull", "vs read", "peak heap")
	for _, s := range r.Steps {
		vsFirst, vsPull, vsRead := "", "", ""
		if s.VsFirst > 0 {
			vsFirst = fmt.Sprintf("%.1f%%", 100*s.VsFirst)
		}
		if s.VsPull > 0 {
			vsPull = fmt.Sprintf("%.0f%% of %.0f/s", 100*s.VsPull, s.PullPerSecond)
		}
		if s.VsTablePull > 0 {
			vsRead = fmt.Sprintf("%.0f%%", 100*s.VsTablePull)
		}
		fmt.Fprintf(w, "%-9s %-13s %10s %8d %9d %10.1f %9s %16s %10s %9.1fM\n", s.Target, s.Step, s.Wall.Round(time.Millisecond), s.Rows, s.Requests,
			s.RequestsPerTable, vsFirst, vsPull, vsRead, float64(s.PeakHeap)/(1<<20))
		if s.Note != "" {
			what := "changed"
			if s.Step == "first-roster" {
				what = "read"
			}
			fmt.Fprintf(w, "          %s: %s\n", what, s.Note)
		}
	}
	return nil
}

// Mutate has the emulator change about rows rows of the synced tables as a
// school day would (mostly updates, some inserts and deletes), an hour
// after the last sync.
func Mutate(ctx context.Context, srv *emulator.Server, rows int, seed int64) (string, error) {
	srv.AdvanceClock(time.Hour)
	ins, del := max(1, rows/10), max(1, rows/10)
	res, err := srv.Mutate(ctx, emulator.Mutation{Seed: 7 + seed, Update: max(1, rows-ins-del), Insert: ins, Delete: del})
	if err != nil {
		return "", err
	}
	var parts []string
	for t, c := range res.Tables {
		parts = append(parts, fmt.Sprintf("%s +%d ~%d -%d", strings.ToLower(t), c.Inserted, c.Updated, c.Deleted))
	}
	sort.Strings(parts)
	return strings.Join(parts, ", "), nil
}
