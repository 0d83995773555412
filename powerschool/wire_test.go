package powerschool

// Tests of the guarantees docs/security.md and docs/reliability.md list for
// the SDK, each over real HTTP.

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// witness is a server that must never be reached with credentials: it
// records every Authorization header it sees.
type witness struct {
	srv   *httptest.Server
	mu    sync.Mutex
	hits  int
	auths []string
}

func newWitness(t *testing.T, tls bool) *witness {
	w := &witness{}
	h := http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		w.mu.Lock()
		w.hits++
		if a := r.Header.Get("Authorization"); a != "" {
			w.auths = append(w.auths, a)
		}
		w.mu.Unlock()
		writeJSON(rw, map[string]any{"district": map[string]any{"name": "stolen"}, "access_token": "x", "token_type": "Bearer", "expires_in": 60})
	})
	if tls {
		w.srv = httptest.NewTLSServer(h)
	} else {
		w.srv = httptest.NewServer(h)
	}
	t.Cleanup(w.srv.Close)
	return w
}

func (w *witness) check(t *testing.T) {
	t.Helper()
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.auths) > 0 {
		t.Errorf("the other server received Authorization %d time(s)", len(w.auths))
	}
	if w.hits > 0 {
		t.Errorf("the redirect was followed (%d request(s) reached the other server)", w.hits)
	}
}

// An https API call redirected to plain http, or to another host, is not
// followed: the bearer token would go with it.
func TestRedirectsStayOnTheServer(t *testing.T) {
	for _, tc := range []struct {
		name string
		tls  bool
	}{{"to http", false}, {"to another host", true}} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakePSTLS(t)
			other := newWitness(t, tc.tls)
			f.handle("GET /ws/v1/district", func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, other.srv.URL+"/ws/v1/district", http.StatusTemporaryRedirect)
			})
			_, err := f.client(WithRetryPolicy(RetryPolicy{})).District(context.Background())
			if err == nil || !strings.Contains(err.Error(), "redirect") {
				t.Errorf("err = %v, want a refused redirect", err)
			}
			other.check(t)
		})
	}
}

// A redirect within the same server is still followed.
func TestRedirectOnTheSameServerFollowed(t *testing.T) {
	f := newFakePSTLS(t)
	f.handle("GET /ws/v1/district", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, basePath+"/ws/v1/district2", http.StatusFound)
	})
	f.handle("GET /ws/v1/district2", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, map[string]any{"district": map[string]any{"name": "D"}})
	})
	if d, err := f.client().District(context.Background()); err != nil || d.Name != "D" {
		t.Fatalf("District = %+v, %v", d, err)
	}
}

// The token request follows no redirect: a 307 would re-POST the Basic
// header (the client secret) to wherever it points.
func TestTokenRequestFollowsNoRedirect(t *testing.T) {
	f := newFakePSTLS(t)
	other := newWitness(t, false)
	f.mux.HandleFunc("POST /redirecting/oauth/access_token", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.srv.URL+"/oauth/access_token", http.StatusTemporaryRedirect)
	})
	c, err := NewClient(WithBaseURL(f.srv.URL+"/redirecting"), WithCredentials(testClientID, testSecret),
		WithHTTPClient(f.srv.Client()), WithRetryPolicy(RetryPolicy{}))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Token(context.Background())
	if err == nil || !strings.Contains(err.Error(), "redirect") {
		t.Errorf("err = %v, want a refused redirect", err)
	}
	other.check(t)
}

// A transport error does not carry the query string (a q= filter holds
// names and birth dates), nor the token.
func TestTransportErrorHasNoQuery(t *testing.T) {
	f := newFakePS(t)
	f.handle("GET /ws/v1/district/student", func(w http.ResponseWriter, r *http.Request) {
		conn, _, _ := w.(http.Hijacker).Hijack()
		conn.Close()
	})
	c := f.client(WithRetryPolicy(RetryPolicy{}))
	q := url.Values{"q": {"name.last_name==Kowalczyk;dob==2011-04-09"}}
	_, err := c.Get(context.Background(), "/ws/v1/district/student", q)
	if err == nil {
		t.Fatal("no error from a dropped connection")
	}
	for _, leak := range []string{"Kowalczyk", "2011-04-09", "q=", "TOKEN-"} {
		if strings.Contains(err.Error(), leak) {
			t.Errorf("error holds %q: %v", leak, err)
		}
	}
	if !strings.Contains(err.Error(), "/ws/v1/district/student") {
		t.Errorf("error does not name the path: %v", err)
	}
}

// A server that echoes the Basic header (base64 of id:secret) in its error
// has it scrubbed.
func TestEchoedBasicHeaderScrubbed(t *testing.T) {
	f := newFakePS(t)
	f.mux.HandleFunc("POST /echo/oauth/access_token", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"error":"invalid_request","error_description":"malformed header: %s"}`, r.Header.Get("Authorization"))
	})
	c, err := NewClient(WithBaseURL(f.srv.URL+"/echo"), WithCredentials(testClientID, testSecret), WithRetryPolicy(RetryPolicy{}))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Token(context.Background())
	basic := base64.StdEncoding.EncodeToString([]byte(testClientID + ":" + testSecret))
	if err == nil || strings.Contains(err.Error(), basic) || strings.Contains(err.Error(), testSecret) {
		t.Fatalf("err = %v, want one without the Basic credentials", err)
	}
	if !strings.Contains(err.Error(), "[REDACTED]") {
		t.Errorf("err = %v, want the echoed header shown as [REDACTED]", err)
	}
}

// A short secret is redacted where it stands alone, never inside other
// words.
func TestShortSecretDoesNotMangleText(t *testing.T) {
	f := newFakePS(t)
	f.mux.HandleFunc("POST /short/oauth/access_token", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"error":"invalid_client","error_description":"host nonexistent.invalid said: none"}`)
	})
	c, err := NewClient(WithBaseURL(f.srv.URL+"/short"), WithCredentials("id", "none"), WithRetryPolicy(RetryPolicy{}))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Token(context.Background())
	if err == nil || !strings.Contains(err.Error(), "nonexistent.invalid") || !strings.Contains(err.Error(), "said: [REDACTED]") {
		t.Errorf("err = %v, want nonexistent.invalid intact and the lone secret redacted", err)
	}
}

// hang blocks a handler until the test ends.
func hang(t *testing.T) func() {
	done := make(chan struct{})
	t.Cleanup(func() { close(done) })
	return func() { <-done }
}

// A server that accepts the connection and never answers fails the request
// after the per-attempt timeout, with an error that names WithTimeout.
func TestServerThatNeverAnswersTimesOut(t *testing.T) {
	f := newFakePS(t)
	wait := hang(t)
	f.handle("GET /ws/v1/district", func(w http.ResponseWriter, r *http.Request) { wait() })
	c := f.client(WithRetryPolicy(RetryPolicy{}), WithTimeout(500*time.Millisecond))
	if _, err := c.Token(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := c.District(ctx)
	var te *TimeoutError
	if !errors.As(err, &te) || te.Limit != 500*time.Millisecond || !errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil || !strings.Contains(err.Error(), "did not answer within the 500ms timeout") || !strings.Contains(err.Error(), "WithTimeout") {
		t.Fatalf("err = %v, want the per-attempt timeout naming WithTimeout", err)
	}
}

// A body that starts and then stalls fails the same way.
func TestSlowBodyTimesOut(t *testing.T) {
	f := newFakePS(t)
	wait := hang(t)
	f.handle("GET /ws/v1/district", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "1000")
		io.WriteString(w, `{"district":{"name":`)
		w.(http.Flusher).Flush()
		wait()
	})
	c := f.client(WithRetryPolicy(RetryPolicy{}), WithTimeout(500*time.Millisecond))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := c.District(ctx)
	if !errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil || !strings.Contains(err.Error(), "stopped sending its answer within the 500ms timeout") {
		t.Fatalf("err = %v, want the per-attempt timeout", err)
	}
}

// After one unanswered token request, a later call gets through once the
// server answers again: the fetch is bounded and does not hold x/oauth2's
// lock for ever.
func TestTokenFetchRecoversAfterUnansweredRequest(t *testing.T) {
	f := newFakePS(t)
	wait := hang(t)
	var calls atomic.Int32
	f.mux.HandleFunc("POST /flaky/oauth/access_token", func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			wait()
			return
		}
		f.handleToken(w, r)
	})
	c, err := NewClient(WithBaseURL(f.srv.URL+"/flaky"), WithCredentials(testClientID, testSecret),
		WithRetryPolicy(RetryPolicy{}), WithTimeout(500*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := c.Token(ctx); err == nil || !strings.Contains(err.Error(), "WithTimeout") {
		t.Fatalf("first token: err = %v, want a timeout naming WithTimeout", err)
	}
	ctx2, cancel2 := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel2()
	if _, err := c.Token(ctx2); err != nil {
		t.Fatalf("second token after the server recovered: %v", err)
	}
}

// A GET whose body is cut after the headers is retried like any transport
// error; a write whose body is cut is not sent again.
func TestCutBodyRetriedOnReadsOnly(t *testing.T) {
	f := newFakePS(t)
	var gets, puts atomic.Int32
	cut := func(w http.ResponseWriter) {
		w.Header().Set("Content-Length", "500")
		w.WriteHeader(http.StatusOK)
		io.WriteString(w, `{"district":{"na`)
		w.(http.Flusher).Flush()
		conn, _, _ := w.(http.Hijacker).Hijack()
		conn.Close()
	}
	f.handle("GET /ws/v1/district", func(w http.ResponseWriter, r *http.Request) {
		if gets.Add(1) == 1 {
			cut(w)
			return
		}
		writeJSON(w, map[string]any{"district": map[string]any{"name": "D"}})
	})
	f.handle("PUT /ws/v1/thing", func(w http.ResponseWriter, r *http.Request) {
		puts.Add(1)
		cut(w)
	})
	c := f.client()
	if d, err := c.District(context.Background()); err != nil || d.Name != "D" || gets.Load() != 2 {
		t.Errorf("District = %+v, %v after %d GETs; want D after 2", d, err, gets.Load())
	}
	err := c.Do(context.Background(), http.MethodPut, "/ws/v1/thing", nil, map[string]any{}, nil)
	if err == nil || puts.Load() != 1 {
		t.Errorf("PUT: err = %v after %d attempts; want an error after 1", err, puts.Load())
	}
}

// Writes are never retried blindly, PUT and DELETE included: a 503 may
// come after the server applied the change.
func TestWritesNotRetriedOn5xx(t *testing.T) {
	f := newFakePS(t)
	var n atomic.Int32
	f.handle("DELETE /ws/schema/table/u_x/{id}", func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	err := f.client().Tables.Delete(context.Background(), "u_x", 3)
	if statusOf(err) != http.StatusServiceUnavailable || n.Load() != 1 {
		t.Errorf("DELETE: err = %v after %d attempts; want a 503 after 1", err, n.Load())
	}
}

// Every response body has a size limit.
func TestResponseSizeLimit(t *testing.T) {
	f := newFakePS(t)
	f.handle("GET /ws/v1/district", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, map[string]any{"district": map[string]any{"name": strings.Repeat("x", 5000)}})
	})
	_, err := f.client(WithMaxResponseSize(1000)).District(context.Background())
	var tl *ResponseTooLargeError
	if !errors.As(err, &tl) || tl.Limit != 1000 || !strings.Contains(err.Error(), "larger than 1000 bytes") || !strings.Contains(err.Error(), "WithMaxResponseSize") {
		t.Errorf("err = %v, want the size limit naming WithMaxResponseSize", err)
	}
	if _, err := f.client().District(context.Background()); err != nil {
		t.Errorf("default limit: %v", err)
	}
}

// A read-only client cleans the path before deciding: .. and %2e%2e cannot
// turn a PowerQuery POST into a write.
func TestReadOnlyCleansPath(t *testing.T) {
	f := newFakePS(t)
	var reached atomic.Int32
	f.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { reached.Add(1) })
	c := f.client(WithReadOnly())
	for _, p := range []string{
		"/ws/schema/query/../../v1/student",
		"/ws/schema/query/%2e%2e/%2E%2E/v1/student",
		"/ws/schema/query/./../../v1/student",
		"/ws/schema/query/x/../../../../../v1/student",
	} {
		err := c.Do(context.Background(), http.MethodPost, p, nil, map[string]any{}, nil)
		if !errors.Is(err, ErrReadOnly) && !strings.Contains(fmt.Sprint(err), "climbs above") {
			t.Errorf("POST %s: err = %v, want it refused before sending", p, err)
		}
	}
	if n := reached.Load() + f.api.Load(); n != 0 {
		t.Errorf("%d request(s) reached the server", n)
	}
}

// pqServer serves a PowerQuery of rows 1..n, capping the page size at
// maxPage, counting at /count; remove deletes a row.
type pqServer struct {
	mu      sync.Mutex
	rows    []int
	maxPage int
	pages   atomic.Int32
}

func (s *pqServer) mount(f *fakePS, name string) {
	f.handle("POST /ws/schema/query/"+name+"/count", func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		fmt.Fprintf(w, `{"count":%d}`, len(s.rows))
	})
	f.handle("POST /ws/schema/query/"+name, func(w http.ResponseWriter, r *http.Request) {
		n := s.pages.Add(1)
		size, _ := strconv.Atoi(r.URL.Query().Get("pagesize"))
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		size = min(size, s.maxPage)
		s.mu.Lock()
		lo, hi := min((page-1)*size, len(s.rows)), min(page*size, len(s.rows))
		rows := append([]int(nil), s.rows[lo:hi]...)
		if n == 2 && len(s.rows) > 1 {
			s.rows = s.rows[1:] // a row is deleted while the pull runs
		}
		s.mu.Unlock()
		var b strings.Builder
		for i, id := range rows {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"_id":%d,"n":"%d"}`, id, id)
		}
		fmt.Fprintf(w, `{"name":"q","record":[%s]}`, b.String())
	})
}

// A paged PowerQuery counts before and after: a row deleted mid-pull is an
// InconsistentPullError, not a silently missing student.
func TestPagedPowerQueryDetectsDeletion(t *testing.T) {
	f := newFakePS(t)
	s := &pqServer{maxPage: 1000}
	for i := 1; i <= 30; i++ {
		s.rows = append(s.rows, i)
	}
	s.mount(f, "com.x.del")
	// Without the deletion hook firing on a later page the pull would pass;
	// with it, one student moves from page 2 to page 1 and vanishes.
	var got int
	var err error
	for _, e := range f.client(WithPageConcurrency(1)).PowerQueryRecords(context.Background(), "com.x.del", &PowerQuery{PageSize: 10}) {
		if e != nil {
			err = e
			break
		}
		got++
	}
	var ipe *InconsistentPullError
	if !errors.As(err, &ipe) || ipe.CountAtStart != 30 || ipe.CountAtEnd != 29 {
		t.Errorf("after %d rows: err = %v, want InconsistentPullError 30 -> 29", got, err)
	}
}

// A server that caps the page size below the request does not end the pull
// after page 1; the page size asked for is capped at the metadata maximum.
func TestPagedPowerQueryServerCapsPageSize(t *testing.T) {
	f := newFakePS(t)
	s := &pqServer{maxPage: 40}
	for i := 1; i <= 250; i++ {
		s.rows = append(s.rows, i)
	}
	s.pages.Store(-1000) // no deletion
	s.mount(f, "com.x.cap")
	for _, workers := range []int{1, 4} {
		var ids []int
		for r, err := range f.client(WithPageConcurrency(workers)).PowerQueryRecords(context.Background(), "com.x.cap", &PowerQuery{PageSize: 500}) {
			if err != nil {
				t.Fatalf("workers %d: %v", workers, err)
			}
			ids = append(ids, int(r.ID))
		}
		if len(ids) != 250 {
			t.Fatalf("workers %d: %d rows, want 250", workers, len(ids))
		}
		for i, id := range ids {
			if id != i+1 {
				t.Fatalf("workers %d: row %d is %d", workers, i+1, id)
			}
		}
	}
}

// The table API's list counts at the end too.
func TestTableListCountsAtTheEnd(t *testing.T) {
	f := newFakePS(t)
	var counts atomic.Int32
	f.handle("GET /ws/schema/table/u_x/count", func(w http.ResponseWriter, r *http.Request) {
		n := 10
		if counts.Add(1) > 1 {
			n = 11 // a row was added during the pull
		}
		fmt.Fprintf(w, `{"count":%d}`, n)
	})
	f.handle("GET /ws/schema/table/u_x", func(w http.ResponseWriter, r *http.Request) {
		var b strings.Builder
		for i := 1; i <= 10; i++ {
			if i > 1 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"id":%d,"tables":{"u_x":{"id":"%d"}}}`, i, i)
		}
		fmt.Fprintf(w, `{"name":"u_x","record":[%s]}`, b.String())
	})
	var err error
	for _, e := range f.client().Tables.List(context.Background(), "u_x", nil) {
		if e != nil {
			err = e
		}
	}
	var ipe *InconsistentPullError
	if !errors.As(err, &ipe) || ipe.CountAtEnd != 11 {
		t.Errorf("err = %v, want InconsistentPullError ending at 11", err)
	}
}

// Services are fields of the client, built once.
func TestServicesAreFields(t *testing.T) {
	c := newFakePS(t).client()
	if c.XTE == nil || c.XTE.c != c || c.Tables.c != c {
		t.Error("XTE is not one service bound to its client")
	}
}
