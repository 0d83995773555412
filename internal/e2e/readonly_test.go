package e2e

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/pskit/pskit/emulator"
	"github.com/pskit/pskit/powerschool"
)

// psctl auth status is the connection test: it gets a token and validates
// it, and sends nothing that could change the server.
func TestAuthStatusChangesNothing(t *testing.T) {
	d := startDistrict(t, emulator.Options{Students: 20, Seed: 4})
	p := newPsctl(t)
	p.addEnv(d, "dev")
	p.ok("", "auth", "logout") // env add cached the token it checked the credentials with
	d.srv.ResetStats()
	out, _ := p.ok("", "auth", "status", "-o", "json")
	if !strings.Contains(out, `"plugin_id"`) {
		t.Errorf("auth status printed no plugin id: %s", out)
	}
	st := d.srv.Stats()
	if st.TokenRequests != 1 {
		t.Errorf("%d token requests, want 1", st.TokenRequests)
	}
	if len(st.APIRequests) == 0 {
		t.Error("auth status sent no API request: the token was not validated")
	}
	for route := range st.APIRequests {
		if !strings.HasPrefix(route, "GET ") {
			t.Errorf("auth status sent %s", route)
		}
	}
}

// A read-only client refuses writes before they leave the process; reads,
// including PowerQuery POSTs, still go out.
func TestReadOnlyRefusesWritesBeforeSending(t *testing.T) {
	d := startDistrict(t, emulator.Options{Students: 20, Seed: 4})
	c := d.client(t, powerschool.WithReadOnly())
	ctx := context.Background()
	if _, err := c.District(ctx); err != nil {
		t.Fatalf("a read on a read-only client: %v", err)
	}
	d.srv.ResetStats()
	for _, w := range []struct{ method, path string }{
		{"POST", "/ws/v1/student"},
		{"PUT", "/ws/schema/table/u_studentsuserfields/1"},
		{"DELETE", "/ws/schema/table/u_studentsuserfields/1"},
		{"PATCH", "/ws/v1/student/1"},
		{"POST", "/ws/xte/section_assignment"},
	} {
		err := c.Do(ctx, w.method, w.path, nil, map[string]any{"x": 1}, nil)
		if !errors.Is(err, powerschool.ErrReadOnly) {
			t.Errorf("%s %s on a read-only client: %v, want ErrReadOnly", w.method, w.path, err)
		}
	}
	if st := d.srv.Stats(); len(st.APIRequests) != 0 || st.TokenRequests != 0 {
		t.Errorf("refused writes still reached the server: %v", st.APIRequests)
	}
	// A PowerQuery is a POST that reads: it is sent.
	_ = c.Do(ctx, "POST", "/ws/schema/query/com.pearson.core.student.search", nil, map[string]any{}, nil)
	if st := d.srv.Stats(); len(st.APIRequests) == 0 {
		t.Error("the PowerQuery POST was not sent by the read-only client")
	}
}
