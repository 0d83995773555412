package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pskit/pskit/emulator"
	"github.com/pskit/pskit/internal/cli/cmdutil"
	"github.com/pskit/pskit/powerschool"
)

// Records added or removed while a client pages by offset shift the pages:
// the pull must not end as a success. The SDK re-counts at the end and
// returns *InconsistentPullError when the count moved or the number of
// records received differs from it.
func TestChangesWhilePagingAreReported(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(ctx context.Context, d *district, first int64) error
		end    int
	}{
		{"deleted", func(ctx context.Context, d *district, first int64) error { return d.srv.DeleteStudent(ctx, first) }, 599},
		{"added", func(ctx context.Context, d *district, _ int64) error {
			_, err := d.srv.AddStudent(ctx, "Late", "Enrollee")
			return err
		}, 601},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := startDistrict(t, emulator.Options{Students: 600, Seed: 5, MaxPageSize: 20, Latency: 2 * time.Millisecond})
			ctx := context.Background()
			c := d.client(t)
			var first int64
			n := 0
			var pullErr error
			for s, err := range c.Students.List(ctx, &powerschool.ListOptions{Concurrency: 2}) {
				if err != nil {
					pullErr = err
					break
				}
				if n == 0 {
					first = int64(s.ID)
					// Change the district while later pages are still to come.
					if err := tc.change(ctx, d, first); err != nil {
						t.Fatal(err)
					}
				}
				n++
			}
			var ipe *powerschool.InconsistentPullError
			if !errors.As(pullErr, &ipe) {
				t.Fatalf("pull of a changing district ended with %v after %d records; want *InconsistentPullError", pullErr, n)
			}
			if ipe.CountAtStart != 600 || ipe.CountAtEnd != tc.end || ipe.Received != n {
				t.Errorf("error %+v; want count 600 -> %d and %d received", ipe, tc.end, n)
			}
			if !strings.Contains(ipe.Error(), "run the pull again") {
				t.Errorf("error does not say what to do: %v", ipe)
			}
		})
	}
}

// Through psctl, a pull that saw the district change exits 1, writes no
// file and says what happened.
func TestChangesWhilePagingCLI(t *testing.T) {
	d := startDistrict(t, emulator.Options{Students: 1000, Seed: 6, MaxPageSize: 20, Latency: 3 * time.Millisecond})
	p := newPsctl(t)
	p.addEnv(d, "dev")
	target := filepath.Join(p.dir, "students.ndjson")
	// One plain page request finds the first student: a List stopped early
	// would leave page requests in flight that count towards afterPages.
	raw, err := d.client(t).Get(context.Background(), "/ws/v1/district/student", url.Values{"pagesize": {"1"}})
	if err != nil {
		t.Fatal(err)
	}
	var page struct {
		Students struct {
			Student struct{ ID int64 }
		}
	}
	if err := json.Unmarshal(raw, &page); err != nil || page.Students.Student.ID == 0 {
		t.Fatalf("first student page %s: %v", raw, err)
	}
	first := page.Students.Student.ID
	d.srv.ResetStats()
	deleted := afterPages(t, d, 5, func() {
		if err := d.srv.DeleteStudent(context.Background(), first); err != nil {
			t.Error(err)
		}
	})
	_, errOut, code := p.run(context.Background(), "", "students", "-o", "ndjson", "--output", target)
	<-deleted
	if code != cmdutil.ExitFailure {
		t.Fatalf("exit %d, want %d; stderr:\n%s", code, cmdutil.ExitFailure, errOut)
	}
	for _, want := range []string{"changed during the pull", "count was 1000 at the start and 999 at the end", "records were received before the failure", "students.ndjson was not written"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	if _, err := os.Stat(target); !os.IsNotExist(err) {
		t.Errorf("%s exists after an inconsistent pull", target)
	}
}
