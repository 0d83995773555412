// Package testproxy puts a reverse proxy in front of a test server (the
// emulator) to count the requests that write, whichever API they go to,
// and to lose a write's answer after the server acted on it: the one
// misbehaviour a faithful server cannot be asked for.
package testproxy

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync"
	"testing"
)

// Proxy forwards everything to its target and counts every request that
// is not a GET (token requests aside) by method and route.
type Proxy struct {
	URL   string
	route func(path string) string
	srv   *httptest.Server

	mu     sync.Mutex
	writes map[string]int
	lose   func(r *http.Request) int
}

// New starts a proxy to target until the test ends. route names a path in
// the counts (nil keeps the path as it is).
func New(t testing.TB, target string, route func(path string) string) *Proxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatalf("testproxy: target %q: %v", target, err)
	}
	if route == nil {
		route = func(p string) string { return p }
	}
	p := &Proxy{route: route, writes: map[string]int{}}
	rp := httputil.NewSingleHostReverseProxy(u)
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet || r.URL.Path == "/oauth/access_token" {
			rp.ServeHTTP(w, r)
			return
		}
		p.mu.Lock()
		p.writes[r.Method+" "+p.route(r.URL.Path)]++
		lose := p.lose
		p.mu.Unlock()
		if lose == nil {
			rp.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		rp.ServeHTTP(rec, r)
		if status := lose(r); status != 0 {
			w.WriteHeader(status)
			return
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		w.Write(rec.Body.Bytes())
	}))
	t.Cleanup(p.srv.Close)
	p.URL = p.srv.URL
	return p
}

// Take returns the writes counted so far and starts again from zero.
func (p *Proxy) Take() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	w := p.writes
	p.writes = map[string]int{}
	return w
}

// LoseAnswers asks lose about each write once the target has answered it:
// a status other than 0 replaces the answer, and the write stays applied.
func (p *Proxy) LoseAnswers(lose func(r *http.Request) int) {
	p.mu.Lock()
	p.lose = lose
	p.mu.Unlock()
}

// Close stops the proxy: its clients then fail to connect.
func (p *Proxy) Close() { p.srv.Close() }
