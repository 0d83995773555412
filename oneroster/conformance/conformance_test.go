package conformance_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pskit/pskit/emulator"
	"github.com/pskit/pskit/oneroster"
	"github.com/pskit/pskit/oneroster/conformance"
	"github.com/pskit/pskit/oneroster/internal/ortest"
)

// fixture is the flow's fixture for a class of the emulator, dated inside
// its term.
func fixture(t *testing.T, c *oneroster.Client, li, res string) conformance.Fixture {
	t.Helper()
	f := ortest.FindClass(t, c)
	now := f.Due
	return conformance.Fixture{ClassID: f.SourcedID, StudentID: f.Students[0], LineItemID: li, ResultID: res,
		Now: func() time.Time { return now }}
}

func gone(t *testing.T, c *oneroster.Client, li, res string) {
	t.Helper()
	if _, err := c.GetLineItem(context.Background(), li); !errors.Is(err, oneroster.ErrNotFound) {
		t.Errorf("line item %s left behind (%v)", li, err)
	}
	if _, err := c.GetResult(context.Background(), res); !errors.Is(err, oneroster.ErrNotFound) {
		t.Errorf("result %s left behind (%v)", res, err)
	}
}

// The flow passes against the emulator under both base paths it serves,
// and leaves nothing behind.
func TestRunPasses(t *testing.T) {
	srv := ortest.Start(t)
	for _, base := range []string{"/ims/oneroster/v1p1", "/api/ims/oneroster/v1p1"} {
		t.Run(base, func(t *testing.T) {
			c := ortest.Client(t, srv, oneroster.WithBasePath(base))
			fx := fixture(t, c, "li-x", "res-x")
			var steps []string
			fx.Logf = func(format string, args ...any) { steps = append(steps, format) }
			if err := conformance.Run(context.Background(), c, fx); err != nil {
				t.Fatal(err)
			}
			if len(steps) != 11 {
				t.Errorf("%d steps logged, want 11", len(steps))
			}
			gone(t, c, "li-x", "res-x")
		})
	}
}

// misbehaving puts a proxy in front of the emulator that spoils its
// answers in one way the emulator, being faithful, will not.
func misbehaving(t *testing.T, srv *emulator.Server, spoil func(*http.Response) error) *oneroster.Client {
	t.Helper()
	target, _ := url.Parse(srv.URL())
	rp := httputil.NewSingleHostReverseProxy(target)
	rp.ModifyResponse = spoil
	proxy := httptest.NewServer(rp)
	t.Cleanup(proxy.Close)
	cr := srv.Credentials()
	c, err := oneroster.NewClient(proxy.URL, oneroster.WithOAuth2(oneroster.OAuth2{ClientID: cr.ClientID, ClientSecret: cr.ClientSecret}),
		oneroster.WithRetryPolicy(oneroster.RetryPolicy{}))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// clampScores rewrites a read-back score above 100 to 100.
func clampScores(r *http.Response) error {
	if r.Request.Method != http.MethodGet || !strings.Contains(r.Request.URL.Path, "/results") {
		return nil
	}
	b, err := io.ReadAll(r.Body)
	if err != nil {
		return err
	}
	b = bytes.ReplaceAll(b, []byte(`"score":300`), []byte(`"score":100`))
	r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(b)), int64(len(b))
	r.Header.Set("Content-Length", strconv.Itoa(len(b)))
	return nil
}

// createdOnUpdate answers 201 where the emulator answers 200.
func createdOnUpdate(r *http.Response) error {
	if r.Request.Method == http.MethodPut && r.StatusCode == http.StatusOK {
		r.StatusCode, r.Status = http.StatusCreated, "201 Created"
	}
	return nil
}

// Each check can fail: a provider that clamps extra credit fails step 6,
// one that answers 201 to updates fails step 3; both are cleaned up.
func TestRunCatchesMisbehaviour(t *testing.T) {
	srv := ortest.Start(t)
	for i, tc := range []struct {
		name  string
		spoil func(*http.Response) error
		step  int
		text  string
	}{
		{"clamps extra credit", clampScores, 6, "reads back 100, want 300"},
		{"201 on update", createdOnUpdate, 3, "want 200/204"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := misbehaving(t, srv, tc.spoil)
			li, res := "li-y"+strconv.Itoa(i), "res-y"+strconv.Itoa(i)
			err := conformance.Run(context.Background(), c, fixture(t, c, li, res))
			var se *conformance.StepError
			if !errors.As(err, &se) || se.Step != tc.step || !strings.Contains(err.Error(), tc.text) {
				t.Fatalf("err = %v, want step %d mentioning %q", err, tc.step, tc.text)
			}
			gone(t, ortest.Client(t, srv), li, res)
		})
	}
}

func TestRunNeedsFixture(t *testing.T) {
	c := ortest.Client(t, ortest.Start(t))
	if err := conformance.Run(context.Background(), c, conformance.Fixture{ClassID: "class-1"}); err == nil {
		t.Error("missing StudentID accepted")
	}
}
