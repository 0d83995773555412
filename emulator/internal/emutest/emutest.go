// Package emutest is the one test harness of the emulator's packages: a
// generated district in a store of its own, a plugin caller chosen by
// bearer token, and a loopback server for what an API mounts.
package emutest

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/pskit/pskit/emulator/internal/pluginaccess"
	"github.com/pskit/pskit/emulator/internal/store"
)

// District returns an in-memory store holding a district generated from
// seed with the given number of students, closed when the test ends.
func District(tb testing.TB, seed int64, students int) *store.Store {
	tb.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, "")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	if err := st.Generate(ctx, store.Config{Seed: seed, Students: students}); err != nil {
		tb.Fatal(err)
	}
	return st
}

// Callers finds the calling plugin by bearer token: a request with
// "Authorization: Bearer <key>" is callers[key]; any other has no caller
// (the handlers answer 401).
func Callers(callers map[string]*pluginaccess.Caller) pluginaccess.Lookup {
	return func(r *http.Request) (*pluginaccess.Caller, error) {
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if c := callers[tok]; ok && c != nil {
			return c, nil
		}
		return nil, errors.New("no caller for this request's token")
	}
}

// Anyone is a lookup that finds c for every request.
func Anyone(c *pluginaccess.Caller) pluginaccess.Lookup {
	return func(*http.Request) (*pluginaccess.Caller, error) { return c, nil }
}

// Mounter is what an API's Mount method is: it registers its routes on a
// mux, each wrapped by wrap (nil for none).
type Mounter func(mux *http.ServeMux, wrap func(http.HandlerFunc) http.HandlerFunc)

// Serve starts a loopback server with the routes mount registers, closed
// when the test ends, and returns its base URL.
func Serve(tb testing.TB, mount Mounter) string {
	tb.Helper()
	mux := http.NewServeMux()
	mount(mux, nil)
	srv := httptest.NewServer(mux)
	tb.Cleanup(srv.Close)
	return srv.URL
}
