package powerschool

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestNewClientURLRules(t *testing.T) {
	creds := WithCredentials("id", "secret")
	for _, tc := range []struct {
		url     string
		opts    []Option
		wantErr string
	}{
		{url: "https://district.powerschool.com"},
		{url: "http://127.0.0.1:8080"},
		{url: "http://127.9.9.9"},
		{url: "http://[::1]:9000/base/"},
		{url: "http://localhost:1234"},
		{url: "http://ps.example.org", opts: []Option{WithInsecureHTTP()}},
		{url: "http://ps.example.org", wantErr: "WithInsecureHTTP"},
		{url: "http://10.0.0.5", wantErr: "unencrypted"},
		{url: "", wantErr: "WithBaseURL"},
		{url: "ftp://x.org", wantErr: "not an absolute http(s) URL"},
		{url: "http://LOCALHOST:1234"},
		{url: "http://ps.Localhost:1234"},
		{url: "http://localhost.example.org", wantErr: "WithInsecureHTTP"},
		{url: "https://user:pw@x.org", wantErr: "user info"},
	} {
		_, err := NewClient(append([]Option{WithBaseURL(tc.url), creds}, tc.opts...)...)
		switch {
		case tc.wantErr == "" && err != nil:
			t.Errorf("%q: unexpected error %v", tc.url, err)
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("%q: err = %v, want one mentioning %q", tc.url, err, tc.wantErr)
		}
	}
}

func TestNewClientNeedsCredentials(t *testing.T) {
	for _, creds := range [][2]string{{"", "s"}, {"id", ""}, {" ", " "}} {
		_, err := NewClient(WithBaseURL("https://x.org"), WithCredentials(creds[0], creds[1]))
		if err == nil || !strings.Contains(err.Error(), "client ID and client secret") {
			t.Errorf("credentials %q: err = %v", creds, err)
		}
	}
	if _, err := NewClient(WithBaseURL("https://x.org"), WithCredentials("a", "b"), WithRootCAPEM([]byte("junk"))); err == nil {
		t.Error("WithRootCAPEM accepted data without a certificate")
	}
}

// A refusal met by one request slows every request of the client: requests
// made one after the other by another goroutine, after the refusal, leave
// the client at the learnt spacing (before the fix they went out back to
// back, and the refused request waited alone).
// Send times are taken below the client's pacing, where a late timer can
// only widen a gap; arrival times at the server could be squeezed by a
// loaded machine.
func TestRefusalSlowsTheWholeClient(t *testing.T) {
	f := newFakePS(t)
	var calls atomic.Int32
	f.handle("GET /ws/v1/district", func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) <= 2 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		writeJSON(w, map[string]any{"district": map[string]any{"name": "D"}})
	})
	sends := &sendRecorder{base: http.DefaultTransport}
	c := f.client(WithRetryPolicy(fastRetry), WithHTTPClient(&http.Client{Transport: sends}))
	if _, err := c.Token(context.Background()); err != nil {
		t.Fatal(err)
	}
	// The refused request is sent again, refused again, then succeeds.
	if _, err := c.District(context.Background()); err != nil {
		t.Fatal(err)
	}
	// The first refusal slows the client; the second slows it further only
	// if its retry left too soon for the server, which on a loaded machine
	// it may not have (a stalled goroutine sends late).
	st := c.Stats()
	if st.Refusals != 2 || st.SlowDowns < 1 || st.Interval <= 0 {
		t.Fatalf("stats after two refusals = %+v, want 2 refusals, a slow-down and a spacing", st)
	}
	sends.mu.Lock()
	sends.times = nil
	sends.mu.Unlock()
	done := make(chan error, 1)
	const n = 6
	go func() {
		for range n {
			if _, err := c.District(context.Background()); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	sends.mu.Lock()
	defer sends.mu.Unlock()
	if len(sends.times) != n {
		t.Fatalf("%d requests sent, want %d", len(sends.times), n)
	}
	// Turns are spaced by the interval (about 20 ms here, shrinking by 1/32
	// per accepted request); a send may leave some milliseconds after its
	// turn on a loaded machine, so half of the spacing over the n sends is
	// the bound. Without the client-wide pace they leave back to back.
	want := time.Duration(n-1) * c.Stats().Interval / 2
	if gap := sends.times[n-1].Sub(sends.times[0]); gap < want {
		t.Errorf("another goroutine's %d requests left within %s, want at least %s (half the client's spacing each; stats %+v)", n, gap, want, c.Stats())
	}
}

// sendRecorder notes when each API request leaves the client.
type sendRecorder struct {
	base  http.RoundTripper
	mu    sync.Mutex
	times []time.Time
}

func (s *sendRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	if strings.HasSuffix(req.URL.Path, "/ws/v1/district") {
		s.mu.Lock()
		s.times = append(s.times, time.Now())
		s.mu.Unlock()
	}
	return s.base.RoundTrip(req)
}

func TestRetryAfterDateThenSuccess(t *testing.T) {
	f := newFakePS(t)
	var calls atomic.Int32
	f.handle("GET /ws/v1/district", func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			w.Header().Set("Retry-After", time.Now().Add(time.Hour).UTC().Format(http.TimeFormat))
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		writeJSON(w, map[string]any{"district": map[string]any{"name": "D"}})
	})
	if _, err := f.client().District(context.Background()); err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 2 {
		t.Errorf("calls = %d, want 2", calls.Load())
	}
}

func TestCancelStopsBackoffWait(t *testing.T) {
	f := newFakePS(t)
	f.handle("GET /ws/v1/district", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "30")
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	p := fastRetry
	p.MaxRetryAfter = time.Minute
	c := f.client(WithRetryPolicy(p))
	if _, err := c.Token(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(30*time.Millisecond, cancel)
	start := time.Now()
	_, err := c.District(ctx)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("cancel took %s to stop a 30s wait", d)
	}
}

func TestRetriesOnlySafeRequests(t *testing.T) {
	f := newFakePS(t)
	var posts, queries, gets atomic.Int32
	f.handle("POST /ws/v1/student", func(w http.ResponseWriter, r *http.Request) {
		posts.Add(1)
		w.WriteHeader(http.StatusBadGateway)
	})
	f.handle("POST /ws/schema/query/{name}", func(w http.ResponseWriter, r *http.Request) {
		queries.Add(1)
		w.WriteHeader(http.StatusGatewayTimeout)
	})
	f.handle("GET /ws/v1/school/{id}", func(w http.ResponseWriter, r *http.Request) {
		gets.Add(1)
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	c := f.client()
	ctx := context.Background()
	err := c.Do(ctx, "POST", "/ws/v1/student", nil, map[string]any{}, nil)
	var ae *APIError
	if !errors.As(err, &ae) || ae.StatusCode != 502 {
		t.Errorf("POST err = %v, want APIError 502", err)
	}
	c.Do(ctx, "POST", "/ws/schema/query/com.x.q", nil, map[string]any{}, nil)
	c.Do(ctx, "GET", "/ws/v1/school/3", nil, nil, nil)
	if posts.Load() != 1 || queries.Load() != 4 || gets.Load() != 4 {
		t.Errorf("attempts: write POST %d (want 1), PowerQuery POST %d (want 4), GET %d (want 4)", posts.Load(), queries.Load(), gets.Load())
	}
}

func TestRetriesTransportErrors(t *testing.T) {
	f := newFakePS(t)
	var calls atomic.Int32
	f.handle("GET /ws/v1/district", func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			conn, _, _ := w.(http.Hijacker).Hijack()
			conn.Close() // connection dropped mid-request
			return
		}
		writeJSON(w, map[string]any{"district": map[string]any{"name": "D"}})
	})
	if _, err := f.client().District(context.Background()); err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 2 {
		t.Errorf("calls = %d, want 2", calls.Load())
	}
}

func TestRateLimitErrorAfterRetries(t *testing.T) {
	f := newFakePS(t)
	f.handle("GET /ws/v1/district", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "0")
		w.WriteHeader(http.StatusTooManyRequests)
	})
	_, err := f.client().District(context.Background())
	var rl *RateLimitError
	if !errors.As(err, &rl) || !IsRateLimited(err) || !strings.Contains(err.Error(), "WithRateLimit") || rl.Refusals != fastRetry.MaxRetries+1 {
		t.Fatalf("err = %v, want *RateLimitError with advice", err)
	}
}

func TestForbiddenNamesField(t *testing.T) {
	f := newFakePS(t)
	f.handle("GET /ws/v1/student/{id}", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprint(w, `{"message":"No access to the field STUDENTS.SSN"}`)
	})
	f.handle("GET /ws/schema/table/{t}", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprint(w, `{"message":"Insufficient permission","errors":[{"resource":"u_table","field":"U_TABLE.SECRETCOL","code":"missing"}]}`)
	})
	c := f.client()
	_, err := c.Get(context.Background(), "/ws/v1/student/5", nil)
	var ae *APIError
	if !errors.As(err, &ae) || ae.Field != "STUDENTS.SSN" || !IsForbidden(err) {
		t.Fatalf("err = %#v, want 403 naming STUDENTS.SSN", err)
	}
	if !strings.Contains(err.Error(), "access_request") || !strings.Contains(err.Error(), "GET /ws/v1/student/5") {
		t.Errorf("error lacks advice or request: %v", err)
	}
	_, err = c.Get(context.Background(), "/ws/schema/table/u_table", url.Values{"projection": {"*"}})
	if !errors.As(err, &ae) || ae.Field != "U_TABLE.SECRETCOL" || len(ae.Errors) != 1 {
		t.Errorf("err = %#v, want field from the errors list", err)
	}
}

func TestReadOnlyRefusesWritesBeforeSending(t *testing.T) {
	f := newFakePS(t)
	f.handle("POST /ws/schema/query/{name}", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, map[string]any{"name": "q", "record": []any{}})
	})
	c := f.client(WithReadOnly())
	ctx := context.Background()
	for _, m := range []string{"POST", "PUT", "DELETE", "PATCH"} {
		err := c.Do(ctx, m, "/ws/schema/table/u_x/1", nil, map[string]any{}, nil)
		if !errors.Is(err, ErrReadOnly) || !strings.Contains(err.Error(), m) {
			t.Errorf("%s: err = %v, want ErrReadOnly", m, err)
		}
	}
	if err := c.Do(ctx, "POST", "/ws/schema/query/com.x.q", nil, map[string]any{}, nil); err != nil {
		t.Errorf("PowerQuery on a read-only client: %v", err)
	}
	if f.api.Load() != 1 {
		t.Errorf("server saw %d API requests, want only the PowerQuery", f.api.Load())
	}
}

func TestSecretsNeverInLogsOrErrors(t *testing.T) {
	f := newFakePS(t)
	var echoed string
	f.handle("GET /ws/v1/district", func(w http.ResponseWriter, r *http.Request) {
		// A hostile or buggy server echoing the Authorization header.
		echoed = r.Header.Get("Authorization")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"message":"bad header %s and %s"}`, echoed, testSecret)
	})
	var logs bytes.Buffer
	c := f.client(WithLogger(slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	ctx := context.Background()
	_, err := c.District(ctx)
	if err == nil {
		t.Fatal("want an error")
	}
	f.revokeAll()
	c.District(ctx) // 401, new token, 400
	f.tokenStatus = http.StatusUnauthorized
	c.InvalidateToken(ctx)
	_, err2 := c.District(ctx)
	tok := strings.TrimPrefix(echoed, "Bearer ")
	if tok == "" {
		t.Fatal("the server saw no token")
	}
	all := logs.String() + err.Error() + err2.Error()
	for _, secret := range []string{testSecret, tok, "TOKEN-1-", "TOKEN-2-"} {
		if strings.Contains(all, secret) {
			t.Errorf("a secret (%q) appears in logs or errors:\n%s", secret, all)
		}
	}
	for _, want := range []string{`"msg":"new token obtained"`, `"msg":"request"`, `"path":"/ps/ws/v1/district"`, `"attempt":1`, `"status":400`, `"msg":"token refused, getting a new one"`} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("logs lack %s", want)
		}
	}
}

func TestThrottle(t *testing.T) {
	f := newFakePS(t)
	var inFlight, peak atomic.Int32
	var mu sync.Mutex
	var arrivals []time.Time
	f.handle("GET /ws/v1/district", func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		mu.Lock()
		arrivals = append(arrivals, time.Now())
		mu.Unlock()
		time.Sleep(5 * time.Millisecond)
		inFlight.Add(-1)
		writeJSON(w, map[string]any{"district": map[string]any{}})
	})
	c := f.client(WithThrottle(Throttle{MinInterval: 20 * time.Millisecond, MaxConcurrent: 2}))
	var wg sync.WaitGroup
	for range 6 {
		wg.Go(func() {
			if _, err := c.District(context.Background()); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if peak.Load() > 2 {
		t.Errorf("peak concurrency %d, want at most 2", peak.Load())
	}
	mu.Lock()
	defer mu.Unlock()
	// 6 API requests plus the token request share the limiter: 6 gaps of 20ms.
	if span := arrivals[len(arrivals)-1].Sub(arrivals[0]); span < 5*18*time.Millisecond {
		t.Errorf("6 requests spanned %s, want at least ~100ms at one per 20ms", span)
	}
}

func TestGetAndDoReachAnyPath(t *testing.T) {
	f := newFakePS(t)
	f.handle("PUT /ws/v1/event_subscription", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if r.Header.Get("Content-Type") != "application/json" || !strings.Contains(string(b), `"key":"k1"`) {
			w.WriteHeader(400)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	f.handle("GET /ws/v1/time", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("x") != "a b" {
			w.WriteHeader(400)
			return
		}
		fmt.Fprint(w, `{"time":"now"}`)
	})
	c := f.client()
	ctx := context.Background()
	if err := c.Do(ctx, "put", "ws/v1/event_subscription", nil, map[string]string{"key": "k1"}, nil); err != nil {
		t.Fatal(err)
	}
	raw, err := c.Get(ctx, "/ws/v1/time", url.Values{"x": {"a b"}})
	if err != nil || string(raw) != `{"time":"now"}` {
		t.Fatalf("Get = %s, %v", raw, err)
	}
	var out struct{ Time string }
	if err := c.Do(ctx, "GET", "/ws/v1/time", url.Values{"x": {"a b"}}, nil, &out); err != nil || out.Time != "now" {
		t.Fatalf("Do = %+v, %v", out, err)
	}
	_, err = c.Get(ctx, "/ws/v1/nothing", nil)
	if !IsNotFound(err) {
		t.Errorf("err = %v, want 404", err)
	}
}
