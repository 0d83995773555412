package bench

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"
)

// Targets are the goals for the default pull.
const (
	TargetVsIdeal   = 1.25 // default pull within 1.25x of pages x latency / concurrency
	TargetSpeedup   = 6.0  // default pull at least 6x faster than c=1
	TargetOfCeiling = 0.80 // without latency, pskit at least 80% of raw HTTP
	TargetRefused   = 0.05 // throttled pull: refusals at most 5% of requests
)

// WriteText prints the report as an aligned table followed by the targets.
func WriteText(w io.Writer, r *Report) error {
	c := r.Config
	fmt.Fprintf(w, "psctl bench: %d students, page size %d (%d pages), %s added latency, median of %d runs\n",
		c.Students, c.PageSize, r.Pages, c.Latency, c.Runs)
	fmt.Fprintf(w, "%s, %s, %s; seeding the district took %s\n\n", r.Date.Format(time.DateOnly), r.GoVersion, r.Platform, r.Seeding.Round(10*time.Millisecond))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "mode\twall\trecords/s\ttoken\tmetadata\tcount\tpages\tideal\tvs ideal\tvs c=1\tof raw\t")
	for _, x := range r.Results {
		fmt.Fprintf(tw, "%s\t%s\t%.0f\t%d\t%d\t%d\t%d\t%s\t%s\t%.2fx\t%.0f%%\t\n", x.Mode, x.Wall.Round(time.Millisecond), x.PerSecond,
			x.Requests.Token, x.Requests.Metadata, x.Requests.Count, x.Requests.Pages,
			orDash(x.Ideal > 0, x.Ideal.Round(time.Millisecond).String()), orDash(x.VsIdeal > 0, fmt.Sprintf("%.2fx", x.VsIdeal)),
			x.SpeedupVsC1, 100*x.OfCeiling)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(r.Paced) > 0 {
		fmt.Fprintln(w)
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "mode	wall	records	CPU	CPU/record	requests	refused	share	ideal	vs ideal	")
		for _, p := range r.Paced {
			fmt.Fprintf(tw, "%s	%s	%d	%s	%s	%d	%d	%.1f%%	%s	%s	\n", p.Mode, p.Wall.Round(time.Millisecond), p.Records,
				p.CPU.Round(time.Millisecond), p.CPUPerRecord, p.Requests, p.Refusals, 100*p.Refused,
				orDash(p.Ideal > 0, p.Ideal.Round(time.Millisecond).String()), orDash(p.VsIdeal > 0, fmt.Sprintf("%.2fx", p.VsIdeal)))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	fmt.Fprintln(w)
	for _, t := range r.Targets() {
		fmt.Fprintln(w, t)
	}
	for _, n := range r.Notes {
		fmt.Fprintln(w, "note:", n)
	}
	return nil
}

func orDash(ok bool, s string) string {
	if !ok {
		return "-"
	}
	return s
}

// Targets says, for each of the goals this run can judge, whether
// the default pskit pull met it.
func (r *Report) Targets() []string {
	mark := func(ok bool) string {
		if ok {
			return "met"
		}
		return "MISSED"
	}
	var out []string
	for _, p := range r.Paced {
		if p.MinInterval > 0 {
			out = append(out, fmt.Sprintf("target: %s: default pull within %.2fx of pages x interval: %.2fx, %s; refusals at most %.0f%% of requests: %.1f%%, %s",
				p.Mode, TargetVsIdeal, p.VsIdeal, mark(p.VsIdeal <= TargetVsIdeal), 100*TargetRefused, 100*p.Refused, mark(p.Refused <= TargetRefused)))
		}
	}
	def, ok := r.Result(ClientPskit, r.Config.Concurrency)
	if !ok || r.Config.Concurrency == 1 {
		return out
	}
	if def.VsIdeal > 0 {
		out = append(out,
			fmt.Sprintf("target: default pull within %.2fx of ideal: %.2fx, %s", TargetVsIdeal, def.VsIdeal, mark(def.VsIdeal <= TargetVsIdeal)),
			fmt.Sprintf("target: default pull at least %.0fx faster than c=1: %.2fx, %s", TargetSpeedup, def.SpeedupVsC1, mark(def.SpeedupVsC1 >= TargetSpeedup)))
	} else {
		out = append(out, fmt.Sprintf("target: without latency, default pull at least %.0f%% of raw HTTP: %.0f%%, %s",
			100*TargetOfCeiling, 100*def.OfCeiling, mark(def.OfCeiling >= TargetOfCeiling)))
	}
	rq := def.Requests
	exact := rq.Token == 1 && rq.Pages == int64(r.Pages) && rq.Metadata == 0 && rq.Count == 2 && rq.Other == 0
	out = append(out, fmt.Sprintf("target: one token request, one request per page, and 2 more (a count with the first page, a re-count at the end), no metadata read: %d, %d for %d pages, %d counts, %d metadata, %s",
		rq.Token, rq.Pages, r.Pages, rq.Count, rq.Metadata, mark(exact)))
	return out
}
