// Package bench measures a full student pull against the in-process
// emulator, side by side in one run: pskit at concurrency 1 and at the
// default, and the cheapest raw-HTTP loop at the same concurrencies as the
// ceiling. Every run checks that each student arrives exactly once, and the
// request counts come from the emulator's own counters, not from the client.
package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"time"

	"github.com/pskit/pskit/emulator"
	ps "github.com/pskit/pskit/powerschool"
)

// Config shapes a benchmark.
type Config struct {
	Students int           `json:"students"`  // district size
	PageSize int           `json:"page_size"` // the plugin's maximum page size, used by every mode
	Latency  time.Duration `json:"latency"`   // added by the emulator to every request
	// Concurrency is the "default" concurrency compared with 1; 0 means
	// powerschool.DefaultPageConcurrency.
	Concurrency int   `json:"concurrency"`
	Runs        int   `json:"runs"` // per mode; the median is reported (default 3)
	Seed        int64 `json:"seed"`
	// Throttles adds, for each, a default pull from a plugin with that
	// minimum interval between requests and no added latency.
	Throttles []time.Duration `json:"throttles,omitempty"`
	// Table adds a table API pull of STUDENTS and a student list, both
	// without added latency, to compare their CPU per record.
	Table bool `json:"table,omitempty"`
	// PacedOnly skips the four default modes (for a large district, where
	// only the table modes are of interest).
	PacedOnly bool `json:"paced_only,omitempty"`
}

// Defaults of Config, as named in the targets.
const (
	DefaultStudents = 20_000
	DefaultPageSize = 100
	DefaultLatency  = 20 * time.Millisecond
	DefaultRuns     = 3
)

func (c Config) normalize() (Config, error) {
	if c.Students == 0 {
		c.Students = DefaultStudents
	}
	if c.PageSize == 0 {
		c.PageSize = DefaultPageSize
	}
	if c.Concurrency == 0 {
		c.Concurrency = ps.DefaultPageConcurrency
	}
	if c.Runs == 0 {
		c.Runs = DefaultRuns
	}
	switch {
	case c.Students < 1 || c.Students > emulator.MaxStudents:
		return c, fmt.Errorf("students must be between 1 and %d, got %d", emulator.MaxStudents, c.Students)
	case c.PageSize < 1:
		return c, fmt.Errorf("page size must be at least 1, got %d", c.PageSize)
	case c.Latency < 0:
		return c, fmt.Errorf("latency must not be negative, got %s", c.Latency)
	case c.Concurrency < 1:
		return c, fmt.Errorf("concurrency must be at least 1, got %d", c.Concurrency)
	case c.Runs < 1:
		return c, fmt.Errorf("runs must be at least 1, got %d", c.Runs)
	}
	for _, d := range c.Throttles {
		if d <= 0 || d > time.Minute {
			return c, fmt.Errorf("a throttle's minimum interval must be between 0 and 1m, got %s", d)
		}
	}
	return c, nil
}

// Client names what pulls the students.
const (
	ClientPskit = "pskit"
	ClientRaw   = "raw-http"
)

// Requests are what the emulator counted during one pull.
type Requests struct {
	Token    int64 `json:"token"`
	Metadata int64 `json:"metadata"`
	Count    int64 `json:"count"`
	Pages    int64 `json:"pages"`
	Other    int64 `json:"other"` // any other /ws/ request, or a non-200 answer
}

// Total is every request of the pull.
func (r Requests) Total() int64 { return r.Token + r.Metadata + r.Count + r.Pages + r.Other }

// Result is one mode: a client at one concurrency.
type Result struct {
	Mode        string          `json:"mode"` // e.g. "pskit c=8"
	Client      string          `json:"client"`
	Concurrency int             `json:"concurrency"`
	Wall        time.Duration   `json:"wall"` // median of Runs
	Runs        []time.Duration `json:"runs"`
	Records     int             `json:"records"`
	PerSecond   float64         `json:"records_per_second"` // at the median
	// Requests are the median run's; every run's are checked against
	// Expected when the pull is verified.
	Requests Requests `json:"requests"`
	// Ideal is pages x latency / concurrency (0 without latency); VsIdeal
	// is Wall / Ideal.
	Ideal   time.Duration `json:"ideal"`
	VsIdeal float64       `json:"vs_ideal,omitempty"`
	// SpeedupVsC1 is the same client's c=1 wall time over this one.
	SpeedupVsC1 float64 `json:"speedup_vs_c1"`
	// OfCeiling is this mode's records/s over raw HTTP's at the same
	// concurrency (1 for raw HTTP itself).
	OfCeiling float64 `json:"of_ceiling"`
}

// Report is a whole benchmark.
type Report struct {
	Config    Config        `json:"config"`
	Pages     int           `json:"pages"`
	Seeding   time.Duration `json:"seeding"` // building the emulated district
	Results   []Result      `json:"results"`
	Paced     []Paced       `json:"paced,omitempty"` // throttle and table modes
	Notes     []string      `json:"notes,omitempty"` // anything that did not go as the claims say
	Date      time.Time     `json:"date"`
	GoVersion string        `json:"go_version"`
	Platform  string        `json:"platform"` // GOOS/GOARCH and CPU count
}

// Result returns the result of client at concurrency c.
func (r *Report) Result(client string, c int) (Result, bool) {
	for _, x := range r.Results {
		if x.Client == client && x.Concurrency == c {
			return x, true
		}
	}
	return Result{}, false
}

// Run starts an emulator with cfg's district, latency and page size on a
// loopback port, then pulls every student in each mode, cfg.Runs times.
// Progress lines go to log (nil discards them).
func Run(ctx context.Context, cfg Config, log io.Writer) (*Report, error) {
	cfg, err := cfg.normalize()
	if err != nil {
		return nil, err
	}
	if log == nil {
		log = io.Discard
	}
	fmt.Fprintf(log, "Seeding %d students...\n", cfg.Students)
	start := time.Now()
	srv, err := emulator.Start(ctx, emulator.Options{Students: cfg.Students, Seed: cfg.Seed, MaxPageSize: cfg.PageSize,
		Latency: cfg.Latency, Plugin: emulator.DefaultPlugin})
	if err != nil {
		return nil, fmt.Errorf("starting the emulator: %w", err)
	}
	defer srv.Close()
	rep := &Report{Config: cfg, Pages: (cfg.Students + cfg.PageSize - 1) / cfg.PageSize, Seeding: time.Since(start),
		Date: time.Now().UTC(), GoVersion: runtime.Version(),
		Platform: fmt.Sprintf("%s/%s, %d CPUs", runtime.GOOS, runtime.GOARCH, runtime.NumCPU())}
	creds := srv.Credentials()
	t := target{url: creds.URL, id: creds.ClientID, secret: creds.ClientSecret, students: cfg.Students, pageSize: cfg.PageSize}

	levels := []int{1}
	if cfg.Concurrency != 1 {
		levels = append(levels, cfg.Concurrency)
	}
	// Runs are interleaved (every mode once, then again) so that a change
	// in the machine's load touches every mode alike.
	clients := []string{ClientPskit, ClientRaw}
	if cfg.PacedOnly {
		clients = nil
	}
	for _, client := range clients {
		for _, c := range levels {
			rep.Results = append(rep.Results, Result{Mode: fmt.Sprintf("%s c=%d", client, c), Client: client, Concurrency: c})
		}
	}
	reqs := make([][]Requests, len(rep.Results))
	for i := range cfg.Runs {
		for m := range rep.Results {
			res := &rep.Results[m]
			fmt.Fprintf(log, "%s: run %d of %d\n", res.Mode, i+1, cfg.Runs)
			srv.ResetStats()
			d, n, err := t.pull(ctx, res.Client, res.Concurrency)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", res.Mode, err)
			}
			res.Runs, res.Records = append(res.Runs, d), n
			reqs[m] = append(reqs[m], countRequests(srv.Stats()))
		}
	}
	for m := range rep.Results {
		res := &rep.Results[m]
		// The median run's wall time and requests.
		order := make([]int, len(res.Runs))
		for i := range order {
			order[i] = i
		}
		slices.SortFunc(order, func(a, b int) int { return int(res.Runs[a] - res.Runs[b]) })
		mid := order[len(order)/2]
		res.Wall, res.Requests = res.Runs[mid], reqs[m][mid]
		res.PerSecond = float64(res.Records) / res.Wall.Seconds()
		res.Ideal = time.Duration(rep.Pages) * cfg.Latency / time.Duration(res.Concurrency)
		if res.Ideal > 0 {
			res.VsIdeal = float64(res.Wall) / float64(res.Ideal)
		}
		for i, r := range reqs[m] {
			rep.Notes = append(rep.Notes, checkRequests(res.Mode, i+1, res.Client, rep.Pages, r)...)
		}
	}
	for _, d := range cfg.Throttles {
		p, err := throttled(ctx, srv, t, d, cfg.Runs, rep.Pages, log)
		if err != nil {
			return nil, err
		}
		rep.Paced = append(rep.Paced, p)
	}
	if cfg.Table {
		if err := withoutLatency(srv, func() error {
			for _, m := range []struct {
				mode string
				fn   func(context.Context) (int, error)
			}{{"table students (range split)", t.tablePull(ps.RangeSplitAlways)}, {"table students (paged)", t.tablePull(ps.RangeSplitNever)},
				{"students", t.studentsPull}} {
				p, err := runPaced(ctx, srv, m.mode, cfg.Runs, log, m.fn)
				if err != nil {
					return err
				}
				rep.Paced = append(rep.Paced, p)
			}
			return nil
		}); err != nil {
			return nil, err
		}
	}
	for i := range rep.Results {
		r := &rep.Results[i]
		if base, ok := rep.Result(r.Client, 1); ok {
			r.SpeedupVsC1 = float64(base.Wall) / float64(r.Wall)
		}
		if raw, ok := rep.Result(ClientRaw, r.Concurrency); ok {
			r.OfCeiling = r.PerSecond / raw.PerSecond
		}
	}
	return rep, nil
}

// countRequests sorts the emulator's counters into the parts of a pull.
func countRequests(st emulator.Stats) Requests {
	r := Requests{Token: st.TokenRequests}
	for route, n := range st.APIRequests {
		switch route {
		case "GET /ws/v1/metadata":
			r.Metadata += n
		case "GET /ws/v1/district/student/count":
			r.Count += n
		case "GET /ws/v1/district/student":
			r.Pages += n
		default:
			r.Other += n
		}
	}
	for status, n := range st.Statuses {
		if status != 200 {
			r.Other += n // a retried page would otherwise hide in Pages
		}
	}
	return r
}

// checkRequests compares a pull's requests with what the client is meant to
// send: one token request, one request per page, and for pskit two counts
// (one asked for with the first page, and the re-count at the end that
// detects a district changed during the pull) and no metadata read; raw
// HTTP counts once.
func checkRequests(mode string, run int, client string, pages int, r Requests) []string {
	want := Requests{Token: 1, Count: 2, Pages: int64(pages)}
	if client == ClientRaw {
		want = Requests{Token: 1, Count: 1, Pages: int64(pages)}
	}
	if r == want {
		return nil
	}
	return []string{fmt.Sprintf("%s run %d: requests %+v, expected %+v", mode, run, r, want)}
}

// ErrIncomplete reports a pull that did not bring every student exactly once.
var ErrIncomplete = errors.New("the pull did not return every student exactly once")

// ids checks that every student arrives once.
type ids struct {
	seen map[int64]struct{}
	want int
}

func newIDs(want int) *ids { return &ids{seen: make(map[int64]struct{}, want), want: want} }

func (s *ids) add(id int64) error {
	if _, dup := s.seen[id]; dup {
		return fmt.Errorf("%w: student %d arrived twice", ErrIncomplete, id)
	}
	s.seen[id] = struct{}{}
	return nil
}

func (s *ids) done() error {
	if len(s.seen) != s.want {
		return fmt.Errorf("%w: %d distinct students, the district has %d", ErrIncomplete, len(s.seen), s.want)
	}
	return nil
}
