package conformance_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/pskit/pskit/oneroster"
	"github.com/pskit/pskit/oneroster/conformance"
	"github.com/pskit/pskit/oneroster/internal/fakeprovider"
)

func start(t *testing.T, opts fakeprovider.Options) (*fakeprovider.Provider, *oneroster.Client) {
	t.Helper()
	p := fakeprovider.Start(t, opts)
	p.Add("classes", fakeprovider.Record{"sourcedId": "class-1", "status": "active", "title": "Algebra"})
	p.Add("users", fakeprovider.Record{"sourcedId": "student-1", "status": "active", "role": "student"})
	c, err := oneroster.NewClient(p.URL, oneroster.WithBasePath(opts.BasePath),
		oneroster.WithOAuth2(oneroster.OAuth2{ClientID: "client-id", ClientSecret: "client-secret"}))
	if err != nil {
		t.Fatal(err)
	}
	return p, c
}

// The flow passes against a provider that behaves, under both base paths the
// PowerSchool emulator serves, and leaves nothing behind.
func TestRunPasses(t *testing.T) {
	for _, base := range []string{"/ims/oneroster/v1p1", "/api/ims/oneroster/v1p1"} {
		t.Run(base, func(t *testing.T) {
			p, c := start(t, fakeprovider.Options{BasePath: base, Link: true})
			var steps []string
			err := conformance.Run(context.Background(), c, conformance.Fixture{
				ClassID: "class-1", StudentID: "student-1", LineItemID: "li-x", ResultID: "res-x",
				Logf: func(format string, args ...any) { steps = append(steps, format) },
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(steps) != 11 {
				t.Errorf("%d steps logged, want 11", len(steps))
			}
			if _, ok := p.Gradebook("lineItems", "li-x"); ok {
				t.Error("line item left behind")
			}
			if _, ok := p.Gradebook("results", "res-x"); ok {
				t.Error("result left behind")
			}
		})
	}
}

// Each check can fail: a provider that clamps extra credit fails step 6, one
// that answers 201 to updates fails step 3; both are cleaned up.
func TestRunCatchesMisbehaviour(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts fakeprovider.Options
		step int
		text string
	}{
		{"clamps extra credit", fakeprovider.Options{ClampScores: true}, 6, "reads back 100, want 300"},
		{"201 on update", fakeprovider.Options{CreatedOnUpdate: true}, 3, "want 200/204"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, c := start(t, tc.opts)
			err := conformance.Run(context.Background(), c, conformance.Fixture{ClassID: "class-1", StudentID: "student-1", LineItemID: "li-y", ResultID: "res-y"})
			var se *conformance.StepError
			if !errors.As(err, &se) || se.Step != tc.step || !strings.Contains(err.Error(), tc.text) {
				t.Fatalf("err = %v, want step %d mentioning %q", err, tc.step, tc.text)
			}
			if _, ok := p.Gradebook("lineItems", "li-y"); ok {
				t.Error("line item not cleaned up after the failure")
			}
			if _, ok := p.Gradebook("results", "res-y"); ok {
				t.Error("result not cleaned up after the failure")
			}
		})
	}
}

func TestRunNeedsFixture(t *testing.T) {
	_, c := start(t, fakeprovider.Options{})
	if err := conformance.Run(context.Background(), c, conformance.Fixture{ClassID: "class-1"}); err == nil {
		t.Error("missing StudentID accepted")
	}
}
