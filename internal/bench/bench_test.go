package bench

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"testing"
)

// A tiny district keeps the runner honest: every mode brings every student,
// and the emulator counted exactly the requests the claims name.
func TestRunCountsRecordsAndRequests(t *testing.T) {
	rep, err := Run(context.Background(), Config{Students: 500, PageSize: 50, Concurrency: 4, Runs: 2, Seed: 3}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Pages != 10 {
		t.Fatalf("pages = %d, want 10", rep.Pages)
	}
	if len(rep.Notes) != 0 {
		t.Errorf("unexpected notes: %q", rep.Notes)
	}
	var modes []string
	for _, r := range rep.Results {
		modes = append(modes, r.Mode)
		if r.Records != 500 || len(r.Runs) != 2 || r.Wall <= 0 || r.PerSecond <= 0 {
			t.Errorf("%s: records %d, runs %d, wall %s, %f/s", r.Mode, r.Records, len(r.Runs), r.Wall, r.PerSecond)
		}
		want := Requests{Token: 1, Count: 2, Pages: 10}
		if r.Client == ClientRaw {
			want = Requests{Token: 1, Count: 1, Pages: 10}
		}
		if r.Requests != want {
			t.Errorf("%s: requests %+v, want %+v", r.Mode, r.Requests, want)
		}
		if r.Ideal != 0 || r.VsIdeal != 0 {
			t.Errorf("%s: ideal %s (%.2fx) without latency; want 0", r.Mode, r.Ideal, r.VsIdeal)
		}
		if r.SpeedupVsC1 <= 0 || r.OfCeiling <= 0 {
			t.Errorf("%s: speedup %.2f, of ceiling %.2f; want both set", r.Mode, r.SpeedupVsC1, r.OfCeiling)
		}
	}
	if want := []string{"pskit c=1", "pskit c=4", "raw-http c=1", "raw-http c=4"}; !slices.Equal(modes, want) {
		t.Fatalf("modes %q, want %q", modes, want)
	}
	if raw, _ := rep.Result(ClientRaw, 4); raw.OfCeiling != 1 {
		t.Errorf("raw-http c=4 is %.2f of its own ceiling, want 1", raw.OfCeiling)
	}
}

func TestCheckRequestsFlagsExtraPages(t *testing.T) {
	if n := checkRequests("pskit c=8", 1, ClientPskit, 10, Requests{Token: 1, Count: 2, Pages: 10}); n != nil {
		t.Fatalf("exact requests flagged: %q", n)
	}
	n := checkRequests("pskit c=8", 2, ClientPskit, 10, Requests{Token: 2, Count: 2, Pages: 11})
	if len(n) != 1 {
		t.Fatalf("a retried page and a second token went unnoticed: %q", n)
	}
}

func TestIDsCatchDuplicatesAndGaps(t *testing.T) {
	s := newIDs(3)
	for _, id := range []int64{7, 8} {
		if err := s.add(id); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.add(7); !errors.Is(err, ErrIncomplete) {
		t.Fatalf("duplicate: %v", err)
	}
	if err := s.done(); !errors.Is(err, ErrIncomplete) {
		t.Fatalf("missing student: %v", err)
	}
}

func TestIDListAcceptsLoneObject(t *testing.T) {
	var page struct {
		Students struct {
			Student idList `json:"student"`
		} `json:"students"`
	}
	for body, want := range map[string][]int64{
		`{"students":{"student":[{"id":4001},{"id":"4002"}]}}`: {4001, 4002},
		`{"students":{"student":{"id":4003}}}`:                 {4003},
	} {
		page.Students.Student = nil
		if err := json.Unmarshal([]byte(body), &page); err != nil {
			t.Fatalf("%s: %v", body, err)
		}
		if !slices.Equal(page.Students.Student, want) {
			t.Errorf("%s: ids %v, want %v", body, page.Students.Student, want)
		}
	}
}

func TestConfigRejectsNonsense(t *testing.T) {
	for _, c := range []Config{{Students: -1}, {PageSize: -5}, {Latency: -1}, {Concurrency: -2}, {Runs: -1}, {Students: 2_000_000}} {
		if _, err := Run(context.Background(), c, nil); err == nil {
			t.Errorf("Run(%+v) accepted it", c)
		}
	}
}
