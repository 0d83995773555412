package oneroster_test

// The wire guarantees (shared with the powerschool SDK through
// internal/wire) seen from this SDK, over real HTTP.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pskit/pskit/oneroster"
)

const tokenJSON = `{"access_token":"tok-5f2e9a","token_type":"Bearer","expires_in":"3600"}`

// provider is a OneRoster server with a working token endpoint and the
// given handler for everything else.
func provider(t *testing.T, tls bool, h http.HandlerFunc) *httptest.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /oauth/access_token", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, tokenJSON)
	})
	mux.HandleFunc("/", h)
	var srv *httptest.Server
	if tls {
		srv = httptest.NewTLSServer(mux)
	} else {
		srv = httptest.NewServer(mux)
	}
	t.Cleanup(srv.Close)
	return srv
}

func orClient(t *testing.T, srv *httptest.Server, opts ...oneroster.Option) *oneroster.Client {
	t.Helper()
	all := []oneroster.Option{creds, oneroster.WithRetryPolicy(oneroster.RetryPolicy{MaxRetries: 3, MaxWait: time.Millisecond})}
	if srv.TLS != nil {
		all = append(all, oneroster.WithHTTPClient(srv.Client()))
	}
	c, err := oneroster.NewClient(srv.URL, append(all, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// countAuth counts requests and the Authorization headers among them.
func countAuth(t *testing.T) (*httptest.Server, *atomic.Int32, *atomic.Int32) {
	var hits, auths atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if r.Header.Get("Authorization") != "" {
			auths.Add(1)
		}
		fmt.Fprint(w, tokenJSON)
	}))
	t.Cleanup(srv.Close)
	return srv, &hits, &auths
}

// An https provider redirecting to plain http is not followed.
func TestRedirectToHTTPRefused(t *testing.T) {
	other, hits, auths := countAuth(t)
	srv := provider(t, true, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+r.URL.Path, http.StatusTemporaryRedirect)
	})
	_, err := orClient(t, srv).GetUser(context.Background(), "u1")
	if err == nil || !strings.Contains(err.Error(), "redirect") || hits.Load() != 0 || auths.Load() != 0 {
		t.Errorf("err = %v; the http server got %d request(s), %d with credentials", err, hits.Load(), auths.Load())
	}
}

// The token request follows no redirect.
func TestTokenRedirectNotFollowed(t *testing.T) {
	other, hits, auths := countAuth(t)
	mux := http.NewServeMux()
	mux.HandleFunc("POST /oauth/access_token", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/oauth/access_token", http.StatusTemporaryRedirect)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	_, err := orClient(t, srv).GetUser(context.Background(), "u1")
	var te *oneroster.TokenError
	if !errors.As(err, &te) || !strings.Contains(err.Error(), "redirect") || hits.Load() != 0 || auths.Load() != 0 {
		t.Errorf("err = %v; the other server got %d request(s), %d with credentials", err, hits.Load(), auths.Load())
	}
}

// A provider that never answers fails after the per-attempt timeout, with
// an error that names WithTimeout.
func TestProviderThatNeverAnswersTimesOut(t *testing.T) {
	done := make(chan struct{})
	srv := provider(t, false, func(w http.ResponseWriter, r *http.Request) { <-done })
	t.Cleanup(func() { close(done) }) // before srv.Close, which waits for handlers
	c := orClient(t, srv, oneroster.WithRetryPolicy(oneroster.RetryPolicy{}), oneroster.WithTimeout(500*time.Millisecond))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := c.GetUser(ctx, "u1")
	if !errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil || !strings.Contains(err.Error(), "WithTimeout") {
		t.Errorf("err = %v, want the per-attempt timeout naming WithTimeout", err)
	}
}

// A GET whose body is cut after the headers is retried.
func TestCutBodyRetried(t *testing.T) {
	var n atomic.Int32
	srv := provider(t, false, func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			w.Header().Set("Content-Length", "400")
			io.WriteString(w, `{"user":{"sourc`)
			w.(http.Flusher).Flush()
			conn, _, _ := w.(http.Hijacker).Hijack()
			conn.Close()
			return
		}
		fmt.Fprint(w, `{"user":{"sourcedId":"u1","givenName":"Ada"}}`)
	})
	u, err := orClient(t, srv).GetUser(context.Background(), "u1")
	if err != nil || u.GivenName != "Ada" || n.Load() != 2 {
		t.Errorf("GetUser = %+v, %v after %d attempts; want Ada after 2", u, err, n.Load())
	}
}

// A transport error does not carry the query (a filter holds names).
func TestTransportErrorWithoutFilter(t *testing.T) {
	srv := provider(t, false, func(w http.ResponseWriter, r *http.Request) {
		conn, _, _ := w.(http.Hijacker).Hijack()
		conn.Close()
	})
	c := orClient(t, srv, oneroster.WithRetryPolicy(oneroster.RetryPolicy{}))
	for _, err := range c.ListUsers(context.Background(), &oneroster.ListOptions{Filter: oneroster.Eq("familyName", "Kowalczyk")}) {
		if err == nil {
			t.Fatal("a record from a dropped connection")
		}
		if strings.Contains(err.Error(), "Kowalczyk") || strings.Contains(err.Error(), "filter=") {
			t.Errorf("error holds the filter: %v", err)
		}
		break
	}
}
