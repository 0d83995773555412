package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pskit/pskit/emulator"
	"github.com/pskit/pskit/powerschool"
)

func startEmulator(t *testing.T, opts emulator.Options) (*emulator.Server, *runner) {
	t.Helper()
	opts.Plugin = emulator.DefaultPlugin
	srv, err := emulator.Start(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	cr := srv.Credentials()
	r := newRunner(t)
	r.ok(cr.ClientSecret+"\n", strings.Fields("env add emu --url "+cr.URL+" --client-id "+cr.ClientID+" --client-secret-stdin")...)
	return srv, r
}

// --limit 5 sizes its page request to 5 and asks for no other page.
func TestLimitMakesOnePageRequest(t *testing.T) {
	srv, r := startEmulator(t, emulator.Options{Students: 500, MaxPageSize: 100})
	srv.ResetStats()
	out, _ := r.ok("", "students", "--limit", "5", "-o", "ndjson")
	if n := strings.Count(out, "\n"); n != 5 {
		t.Fatalf("%d records, want 5", n)
	}
	if n := srv.Stats().APIRequests["GET /ws/v1/district/student"]; n != 1 {
		t.Errorf("%d page requests for --limit 5, want 1", n)
	}
}

// A pull from a throttled server completes, -v says when and why psctl
// slowed down, and the last line says how many requests were refused.
func TestThrottledPullReportsRefusals(t *testing.T) {
	srv, r := startEmulator(t, emulator.Options{Students: 45, MaxPageSize: 100, MinInterval: 300 * time.Millisecond})
	real := powerschool.DefaultRetryPolicy()
	r.retry = &real
	file := filepath.Join(r.dir, "s.ndjson")
	_, errOut := r.ok("", "students", "-o", "ndjson", "--output", file, "-v")
	b, err := os.ReadFile(file)
	if err != nil || strings.Count(string(b), "\n") != 45 {
		t.Fatalf("file holds %d records (%v), want 45", strings.Count(string(b), "\n"), err)
	}
	lines := strings.Split(strings.TrimSpace(errOut), "\n")
	last := lines[len(lines)-1]
	if refused := srv.Stats().Throttled; refused == 0 || !strings.Contains(last, "Wrote 45 students") || !strings.Contains(last, "The server refused") {
		t.Errorf("emulator refused %d; last line %q, want the count of refusals", refused, last)
	}
	if !strings.Contains(errOut, "slowing down: the server refused a request as too many (HTTP 429)") {
		t.Errorf("-v does not say when and why psctl slowed down:\n%s", errOut)
	}
}

// The rate setting: --rate and env add --rate take a duration, are kept
// per environment and shown; anything else is refused naming the flag.
func TestRateSetting(t *testing.T) {
	_, r := startEmulator(t, emulator.Options{Students: 5})
	cr := "--client-id x --url http://127.0.0.1:1"
	r.ok("s\n", strings.Fields("env add slow --rate 200ms --no-verify --client-secret-stdin "+cr)...)
	out, _ := r.ok("", "env", "show", "slow", "-o", "json")
	if !strings.Contains(out, `"rate": "200ms"`) {
		t.Errorf("env show: %s, want the rate", out)
	}
	cfg, _ := os.ReadFile(filepath.Join(r.dir, "config", "config.yml"))
	if !strings.Contains(string(cfg), "rate: 200ms") {
		t.Errorf("config file:\n%s\nwant rate: 200ms", cfg)
	}
	for _, bad := range []string{"5/s", "-1s", "fast"} {
		_, errOut, code := r.run("", "students", "--env", "emu", "--rate", bad)
		if code != 2 || !strings.Contains(errOut, "--rate") {
			t.Errorf("--rate %s: exit %d, %q; want a usage error naming --rate", bad, code, errOut)
		}
	}
	r.ok("", "students", "--env", "emu", "--rate", "10ms", "-o", "ndjson")
}
