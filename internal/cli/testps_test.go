package cli

import (
	"encoding/pem"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pskit/pskit/emulator"
	"github.com/pskit/pskit/powerschool"
)

// fastRetries keeps the SDKs' retries but not their real waits: runs that
// meet server errors finish at once (Factory.Retry, set only by tests).
var fastRetries = &powerschool.RetryPolicy{MaxRetries: 2, MinWait: time.Millisecond, MaxWait: 2 * time.Millisecond, MaxRetryAfter: 2 * time.Millisecond}

// testPS is the emulator (pages of 10 students) as psctl's command tests
// see it, behind a thin handler that can act when a given district
// student page is asked for: run a hook, or turn on the emulator's faults.
type testPS struct {
	srv      *emulator.Server
	URL      string
	pluginID int

	pages atomic.Int32
	// FailFromPage, when > 0, makes that student page and every request
	// after it fail (the emulator's FailRate 1).
	FailFromPage atomic.Int32
	// OnPage, when set, runs before a student page is served.
	OnPage func(page int)
}

// newTestPS starts an emulated district with n students over http, or
// over https with a certificate from a CA of its own (returned as PEM).
func newTestPS(t testing.TB, n int, useTLS bool) (*testPS, []byte) {
	t.Helper()
	srv, err := emulator.New(emulator.Options{Students: n, Seed: 7, MaxPageSize: 10})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	creds, err := srv.InstallPlugin(narrowPlugin())
	if err != nil {
		t.Fatal(err)
	}
	p := &testPS{srv: srv, pluginID: creds.PluginID}
	inner := srv.Handler()
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/ws/v1/district/student" {
			page := int(p.pages.Add(1))
			if q, err := strconv.Atoi(r.URL.Query().Get("page")); err == nil {
				page = q
			}
			if p.OnPage != nil {
				p.OnPage(page)
			}
			if f := int(p.FailFromPage.Load()); f > 0 && page >= f {
				if err := srv.SetFaults(emulator.Faults{FailRate: 1}); err != nil {
					t.Error(err)
				}
			}
		}
		inner.ServeHTTP(w, r)
	})
	var hs *httptest.Server
	var caPEM []byte
	if useTLS {
		hs = httptest.NewUnstartedServer(h)
		hs.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes are the point of some tests
		hs.StartTLS()
		caPEM = certPEM(hs)
	} else {
		hs = httptest.NewServer(h)
	}
	t.Cleanup(hs.Close)
	p.URL = hs.URL
	return p, caPEM
}

// Credentials are the plugin's current client ID and secret.
func (p *testPS) Credentials() (id, secret string) {
	return emuServer{srv: p.srv, pluginID: p.pluginID}.Credentials()
}

// Regenerate issues new credentials; the old ones and their tokens stop working.
func (p *testPS) Regenerate(t testing.TB) {
	if _, err := p.srv.Regenerate(p.pluginID); err != nil {
		t.Fatal(err)
	}
}

// TokenRequests counts calls to the token endpoint.
func (p *testPS) TokenRequests() int { return int(p.srv.Stats().TokenRequests) }

func certPEM(hs *httptest.Server) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: hs.Certificate().Raw})
}
