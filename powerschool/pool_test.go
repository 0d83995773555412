package powerschool

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// A default client fetches DefaultPageConcurrency pages at once and keeps
// one connection per worker: http.DefaultTransport's 2 idle connections per
// host would make most pages dial anew (a TLS handshake on a real server).
func TestDefaultPullConcurrencyAndConnectionReuse(t *testing.T) {
	f := newFakePS(t)
	s := &studentsServer{n: 4000} // 40 pages
	s.install(f)
	var inFlight, peak atomic.Int32
	full := make(chan struct{})
	var fullOnce sync.Once
	var mu sync.Mutex
	conns := map[string]bool{} // client address: one per connection
	inner := f.mux
	f.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		conns[r.RemoteAddr] = true
		mu.Unlock()
		if r.URL.Path == basePath+"/ws/v1/district/student" {
			n := inFlight.Add(1)
			for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
			}
			if n == DefaultPageConcurrency {
				fullOnce.Do(func() { close(full) })
			}
			// Hold the first pages until every worker has one out (or, if the
			// pool is smaller than it should be, until the wait gives up).
			select {
			case <-full:
			case <-time.After(2 * time.Second):
			}
			defer inFlight.Add(-1)
		}
		inner.ServeHTTP(w, r)
	})
	n := 0
	for _, err := range f.client().Students.List(context.Background(), nil) {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != 4000 {
		t.Fatalf("got %d students, want 4000", n)
	}
	if p := peak.Load(); p != DefaultPageConcurrency {
		t.Errorf("peak pages in flight = %d, want DefaultPageConcurrency (%d)", p, DefaultPageConcurrency)
	}
	// One connection per worker, plus at most one for the serial requests
	// before the pages start; 40 pages must not mean ~40 connections.
	mu.Lock()
	d := len(conns)
	mu.Unlock()
	if d > DefaultPageConcurrency+1 {
		t.Errorf("%d connections opened for 40 pages with %d workers; want at most %d (idle connections are not kept)", d, DefaultPageConcurrency, DefaultPageConcurrency+1)
	}
}

// A list asks for the count while the first page is still out, instead of
// one after the other, and reads no metadata.
func TestListCountsWhileFetchingFirstPage(t *testing.T) {
	f := newFakePS(t)
	s := &studentsServer{n: 250}
	s.install(f)
	countSeen := make(chan struct{})
	var once sync.Once
	var overlapped atomic.Bool
	inner := f.mux
	f.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case basePath + "/ws/v1/district/student/count":
			once.Do(func() { close(countSeen) })
		case basePath + "/ws/v1/district/student":
			if r.URL.Query().Get("page") != "1" {
				break
			}
			select { // hold the first page until the count arrives
			case <-countSeen:
				overlapped.Store(true)
			case <-time.After(2 * time.Second):
			}
		}
		inner.ServeHTTP(w, r)
	})
	n := 0
	for _, err := range f.client().Students.List(context.Background(), nil) {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != 250 {
		t.Fatalf("got %d students, want 250", n)
	}
	if !overlapped.Load() {
		t.Error("the count was requested only after the first page; want both in flight at once")
	}
	if got := f.metaReads.Load(); got != 0 {
		t.Errorf("%d metadata reads, want none", got)
	}
	if got := s.counts.Load(); got != 2 {
		t.Errorf("%d counts, want 2 (start and end)", got)
	}
}
