// Package ortest runs the oneroster package's tests against the pskit
// emulator, which serves OneRoster 1.1 on both base paths behind a
// plugin's credentials: it starts one and finds a class to work in.
package ortest

import (
	"context"
	"testing"
	"time"

	"github.com/pskit/pskit/emulator"
	"github.com/pskit/pskit/oneroster"
)

// Start runs an emulator with the default plugin until the test ends.
func Start(t testing.TB) *emulator.Server {
	t.Helper()
	srv, err := emulator.Start(context.Background(), emulator.Options{Students: 60, Seed: 3, Plugin: emulator.DefaultPlugin})
	if err != nil {
		t.Fatalf("starting the emulator: %v", err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

// Client is a OneRoster client of the emulator with the plugin's
// credentials and no retries.
func Client(t testing.TB, srv *emulator.Server, opts ...oneroster.Option) *oneroster.Client {
	t.Helper()
	cr := srv.Credentials()
	opts = append([]oneroster.Option{oneroster.WithOAuth2(oneroster.OAuth2{ClientID: cr.ClientID, ClientSecret: cr.ClientSecret}),
		oneroster.WithRetryPolicy(oneroster.RetryPolicy{})}, opts...)
	c, err := oneroster.NewClient(srv.URL(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Class is a class of the emulator with at least two students and a
// teacher, and a day a month into its term.
type Class struct {
	oneroster.Class
	Students []string
	Teacher  string
	Due      time.Time
}

// FindClass returns the first class with two students and a teacher.
func FindClass(t testing.TB, c *oneroster.Client) Class {
	t.Helper()
	ctx := context.Background()
	for cl, err := range c.ListClasses(ctx, nil) {
		if err != nil {
			t.Fatal(err)
		}
		f := Class{Class: cl}
		for u, err := range c.ListClassStudents(ctx, cl.SourcedID, nil) {
			if err != nil {
				t.Fatal(err)
			}
			f.Students = append(f.Students, u.SourcedID)
		}
		for u, err := range c.ListClassTeachers(ctx, cl.SourcedID, nil) {
			if err != nil {
				t.Fatal(err)
			}
			f.Teacher = u.SourcedID
		}
		if len(f.Students) < 2 || f.Teacher == "" || len(cl.Terms) == 0 {
			continue
		}
		term, err := c.GetTerm(ctx, cl.Terms[0].SourcedID)
		if err != nil {
			t.Fatal(err)
		}
		f.Due = term.StartDate.Time.AddDate(0, 0, 30)
		return f
	}
	t.Fatal("no class with two students and a teacher")
	return Class{}
}
