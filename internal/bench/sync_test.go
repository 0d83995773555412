package bench

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// The sync benchmark runs every step on a small district and reports what
// the emulator counted: an unchanged sync costs two requests, and the
// roster step reads every student with the roster's columns only.
func TestRunSyncSmall(t *testing.T) {
	rep, err := RunSync(context.Background(), SyncConfig{Students: 300, Latency: 0, Seed: 3, Mutate: Mutate, MutateRows: 60}, nil)
	if err != nil {
		t.Fatal(err)
	}
	steps := map[string]SyncStep{}
	for _, s := range rep.Steps {
		steps[s.Step] = s
	}
	if s := steps["first"]; s.Rows != 300 || s.VsPull <= 0 || s.PullPerSecond <= 0 {
		t.Errorf("first: %+v", s)
	}
	if s := steps["unchanged"]; s.Rows != 0 || s.Requests != 2 {
		t.Errorf("unchanged: %+v, want no rows in 2 requests", s)
	}
	if s := steps["after-mutate"]; s.Rows == 0 || s.Note == "" {
		t.Errorf("after-mutate: %+v", s)
	}
	r, ok := steps["first-roster"]
	if !ok || r.Rows < 300 || r.VsPull <= 0 || !strings.Contains(r.Note, "first_name") {
		t.Errorf("first-roster: %+v", r)
	}
	var out bytes.Buffer
	if err := WriteSyncText(&out, rep); err != nil || !strings.Contains(out.String(), "first-roster") {
		t.Errorf("text report: %v\n%s", err, out.String())
	}
}
