package bench

import (
	"context"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/pskit/pskit/emulator"
	ps "github.com/pskit/pskit/powerschool"
)

// Paced is one pull in a mode other than the plain student list: against a
// throttled plugin (the emulator's per-plugin minimum interval, with no
// added latency), or through the table API.
type Paced struct {
	Mode        string          `json:"mode"` // e.g. "throttle 20ms", "table students"
	MinInterval time.Duration   `json:"min_interval,omitempty"`
	Wall        time.Duration   `json:"wall"` // median of the runs
	Runs        []time.Duration `json:"runs"`
	Records     int             `json:"records"`
	// CPU is the process's user+system CPU time of the median run (the
	// emulator shares the process), per record in CPUPerRecord.
	CPU          time.Duration `json:"cpu"`
	CPUPerRecord time.Duration `json:"cpu_per_record"`
	// Requests are the API requests the emulator saw (refused ones
	// included), Refusals its 429 answers; both from the median run.
	Requests int64   `json:"requests"`
	Refusals int64   `json:"refusals"`
	Refused  float64 `json:"refused_share"` // Refusals / Requests
	// Ideal is pages x min interval: the server's own limit.
	Ideal   time.Duration `json:"ideal,omitempty"`
	VsIdeal float64       `json:"vs_ideal,omitempty"`
}

// pacedRun is one run of a paced mode.
type pacedRun struct {
	wall, cpu          time.Duration
	records            int
	requests, refusals int64
}

// runPaced runs fn cfg.Runs times against srv and keeps the median.
func runPaced(ctx context.Context, srv *emulator.Server, mode string, runs int, log io.Writer, fn func(context.Context) (int, error)) (Paced, error) {
	var rs []pacedRun
	for i := range runs {
		fmt.Fprintf(log, "%s: run %d of %d\n", mode, i+1, runs)
		srv.ResetStats()
		cpu0 := processCPU()
		start := time.Now()
		n, err := fn(ctx)
		if err != nil {
			return Paced{}, fmt.Errorf("%s: %w", mode, err)
		}
		r := pacedRun{wall: time.Since(start), cpu: processCPU() - cpu0, records: n}
		st := srv.Stats()
		r.refusals = st.Throttled
		for _, v := range st.APIRequests {
			r.requests += v
		}
		rs = append(rs, r)
	}
	order := slices.Clone(rs)
	slices.SortFunc(order, func(a, b pacedRun) int { return int(a.wall - b.wall) })
	mid := order[len(order)/2]
	p := Paced{Mode: mode, Wall: mid.wall, Records: mid.records, CPU: mid.cpu, Requests: mid.requests, Refusals: mid.refusals}
	for _, r := range rs {
		p.Runs = append(p.Runs, r.wall)
	}
	if mid.records > 0 {
		p.CPUPerRecord = mid.cpu / time.Duration(mid.records)
	}
	if mid.requests > 0 {
		p.Refused = float64(mid.refusals) / float64(mid.requests)
	}
	return p, nil
}

// throttled pulls every student at the SDK's defaults from a plugin whose
// minimum interval is d, with the emulator's added latency off.
func throttled(ctx context.Context, srv *emulator.Server, t target, d time.Duration, runs, pages int, log io.Writer) (Paced, error) {
	id := srv.Credentials().PluginID
	pc, err := srv.PluginConfig(id)
	if err != nil {
		return Paced{}, err
	}
	defer srv.SetPluginConfig(id, pc)
	tc := pc
	tc.MinInterval = d
	if err := srv.SetPluginConfig(id, tc); err != nil {
		return Paced{}, err
	}
	var p Paced
	err = withoutLatency(srv, func() (err error) {
		p, err = runPaced(ctx, srv, "throttle "+d.String(), runs, log, func(ctx context.Context) (int, error) {
			time.Sleep(d) // the plugin's window from the previous run passes
			_, n, err := t.pullPskit(ctx, ps.DefaultPageConcurrency)
			return n, err
		})
		return err
	})
	if err != nil {
		return p, err
	}
	p.MinInterval = d
	p.Ideal = time.Duration(pages) * d
	p.VsIdeal = float64(p.Wall) / float64(p.Ideal)
	return p, nil
}

// withoutLatency runs fn with the emulator's added latency and jitter off.
func withoutLatency(srv *emulator.Server, fn func() error) error {
	faults := srv.Faults()
	nf := faults
	nf.Latency, nf.Jitter = 0, 0
	if err := srv.SetFaults(nf); err != nil {
		return err
	}
	defer srv.SetFaults(faults)
	return fn()
}

// tablePull pulls the STUDENTS table through the table API at the SDK's
// defaults (range split or paged), checking every row arrives once.
func (t target) tablePull(split ps.RangeSplit) func(ctx context.Context) (int, error) {
	return func(ctx context.Context) (int, error) { return t.table(ctx, split) }
}

func (t target) table(ctx context.Context, split ps.RangeSplit) (int, error) {
	client, err := ps.NewClient(ps.WithBaseURL(t.url), ps.WithCredentials(t.id, t.secret))
	if err != nil {
		return 0, err
	}
	seen := newIDs(t.students)
	n := 0
	opts := &ps.TableListOptions{Projection: []string{"id", "dcid", "lastfirst", "grade_level", "schoolid"}, RangeSplit: split}
	for r, err := range client.Tables.List(ctx, "students", opts) {
		if err != nil {
			return n, err
		}
		if err := seen.add(int64(r.ID.Int())); err != nil {
			return n, err
		}
		n++
	}
	return n, seen.done()
}

// studentsPull is the plain student list at the SDK's defaults, for the
// CPU comparison with the table API.
func (t target) studentsPull(ctx context.Context) (int, error) {
	_, n, err := t.pullPskit(ctx, ps.DefaultPageConcurrency)
	return n, err
}
