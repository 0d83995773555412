// Package conformance runs a black-box grade passback flow against a
// OneRoster 1.1 provider, after Google's OneRoster 1.1 conformance notebook:
// create, read, edit and delete a line item and a result, checking the status
// codes and what reads back (extra credit is not clamped, "exempt" sticks,
// deleted records are gone).
//
// It writes to the provider: run it against a test class, or an emulator.
package conformance

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/pskit/pskit/oneroster"
)

// Fixture names the existing records the flow writes against.
type Fixture struct {
	// ClassID and StudentID are sourcedIds of an existing class and of a
	// student enrolled in it. Required.
	ClassID   string
	StudentID string
	// CategoryID and GradingPeriodID are sent on the line item when set
	// (some providers, PowerSchool among them, may need them).
	CategoryID      string
	GradingPeriodID string
	// LineItemID and ResultID are the sourcedIds to create; random UUIDs
	// when empty.
	LineItemID string
	ResultID   string
	// Now is the clock for assign, due and score dates; time.Now if nil.
	Now func() time.Time
	// Logf, when set, receives one line per step passed.
	Logf func(format string, args ...any)
}

// StepError tells which step of the flow failed.
type StepError struct {
	Step int
	Name string
	Err  error
}

func (e *StepError) Error() string {
	return fmt.Sprintf("conformance step %d (%s): %v", e.Step, e.Name, e.Err)
}

func (e *StepError) Unwrap() error { return e.Err }

// Run performs the flow and returns the first failure as a *StepError. If a
// step fails after the line item was created, Run deletes what it created
// (best effort) and reports cleanup failures alongside.
func Run(ctx context.Context, c *oneroster.Client, f Fixture) error {
	if c == nil || f.ClassID == "" || f.StudentID == "" {
		return errors.New("conformance: need a client, Fixture.ClassID and Fixture.StudentID (an existing class and a student enrolled in it)")
	}
	r := &run{c: c, f: f}
	if r.f.LineItemID == "" {
		r.f.LineItemID = uuid.NewString()
	}
	if r.f.ResultID == "" {
		r.f.ResultID = uuid.NewString()
	}
	if r.f.Now == nil {
		r.f.Now = time.Now
	}
	err := r.steps(ctx)
	if err != nil && r.created {
		if cerr := r.cleanup(ctx); cerr != nil {
			err = errors.Join(err, fmt.Errorf("conformance cleanup: %w", cerr))
		}
	}
	return err
}

type run struct {
	c        *oneroster.Client
	f        Fixture
	step     int
	created  bool // line item exists on the provider
	resultUp bool // result exists on the provider
}

func (r *run) check(ctx context.Context, name string, fn func(context.Context) error) error {
	r.step++
	if err := fn(ctx); err != nil {
		return &StepError{Step: r.step, Name: name, Err: err}
	}
	if r.f.Logf != nil {
		r.f.Logf("ok %2d %s", r.step, name)
	}
	return nil
}

func (r *run) lineItem(title string) oneroster.LineItem {
	now := r.f.Now().UTC().Truncate(time.Second)
	li := oneroster.LineItem{
		Base:           oneroster.Base{SourcedID: r.f.LineItemID, Status: oneroster.StatusActive},
		Title:          title,
		Description:    "pskit OneRoster conformance line item",
		AssignDate:     oneroster.NewDateTime(now),
		DueDate:        oneroster.NewDateTime(now.Add(7 * 24 * time.Hour)),
		Class:          oneroster.Ref(r.f.ClassID),
		ResultValueMin: 0,
		ResultValueMax: 100,
	}
	if r.f.CategoryID != "" {
		li.Category = oneroster.Ref(r.f.CategoryID)
	}
	if r.f.GradingPeriodID != "" {
		li.GradingPeriod = oneroster.Ref(r.f.GradingPeriodID)
	}
	return li
}

func (r *run) result(score float64, scoreStatus string) oneroster.Result {
	now := r.f.Now().UTC()
	return oneroster.Result{
		Base:        oneroster.Base{SourcedID: r.f.ResultID, Status: oneroster.StatusActive},
		LineItem:    oneroster.Ref(r.f.LineItemID),
		Student:     oneroster.Ref(r.f.StudentID),
		ScoreStatus: scoreStatus,
		Score:       oneroster.Number(score),
		ScoreDate:   oneroster.NewDate(now.Year(), now.Month(), now.Day()),
	}
}

const (
	title       = "pskit conformance item"
	editedTitle = "pskit conformance item (edited)"
)

func (r *run) steps(ctx context.Context) error {
	c := r.c
	steps := []struct {
		name string
		fn   func(context.Context) error
	}{
		{"PUT new lineItem answers 201", func(ctx context.Context) error {
			out, err := c.PutLineItem(ctx, r.lineItem(title))
			if err != nil {
				return err
			}
			r.created = true
			return want(out, oneroster.Created)
		}},
		{"GET class lineItems lists it", func(ctx context.Context) error {
			li, err := find(c.ListClassLineItems(ctx, r.f.ClassID, nil), r.f.LineItemID, func(li oneroster.LineItem) string { return li.SourcedID })
			if err != nil {
				return err
			}
			if li.Title != title {
				return fmt.Errorf("title reads back %q, want %q", li.Title, title)
			}
			return nil
		}},
		{"PUT edited lineItem answers 200", func(ctx context.Context) error {
			out, err := c.PutLineItem(ctx, r.lineItem(editedTitle))
			if err != nil {
				return err
			}
			if err := want(out, oneroster.Updated); err != nil {
				return err
			}
			li, err := c.GetLineItem(ctx, r.f.LineItemID)
			if err != nil {
				return err
			}
			if li.Title != editedTitle {
				return fmt.Errorf("title reads back %q after the edit, want %q", li.Title, editedTitle)
			}
			return nil
		}},
		{"PUT new result answers 201", func(ctx context.Context) error {
			out, err := c.PutResult(ctx, r.result(80, oneroster.ScoreFullyGraded))
			if err != nil {
				return err
			}
			r.resultUp = true
			return want(out, oneroster.Created)
		}},
		{"GET results for the lineItem lists it", func(ctx context.Context) error {
			res, err := find(c.ListLineItemResults(ctx, r.f.ClassID, r.f.LineItemID, nil), r.f.ResultID, func(x oneroster.Result) string { return x.SourcedID })
			if err != nil {
				return err
			}
			if res.Score != 80 || res.Student.SourcedID != r.f.StudentID {
				return fmt.Errorf("result reads back score %v for student %q, want 80 for %q", res.Score, res.Student.SourcedID, r.f.StudentID)
			}
			return nil
		}},
		{"extra credit: score 300 on a 0-100 item reads back 300", func(ctx context.Context) error {
			return r.putResultAndRead(ctx, 300, oneroster.ScoreFullyGraded)
		}},
		{"exempt: scoreStatus \"exempt\" reads back", func(ctx context.Context) error {
			return r.putResultAndRead(ctx, 0, oneroster.ScoreExempt)
		}},
		{"DELETE result succeeds", func(ctx context.Context) error {
			if err := c.DeleteResult(ctx, r.f.ResultID); err != nil {
				return err
			}
			r.resultUp = false
			return nil
		}},
		{"GET deleted result answers 404", func(ctx context.Context) error {
			return wantNotFound(c.GetResult(ctx, r.f.ResultID))
		}},
		{"DELETE lineItem succeeds", func(ctx context.Context) error {
			if err := c.DeleteLineItem(ctx, r.f.LineItemID); err != nil {
				return err
			}
			r.created = false
			return nil
		}},
		{"deleted lineItem is gone", func(ctx context.Context) error {
			if err := wantNotFound(c.GetLineItem(ctx, r.f.LineItemID)); err != nil {
				return err
			}
			for li, err := range c.ListClassLineItems(ctx, r.f.ClassID, nil) {
				if err != nil {
					return err
				}
				if li.SourcedID == r.f.LineItemID {
					return errors.New("GET class lineItems still lists the deleted line item")
				}
			}
			return nil
		}},
	}
	for _, s := range steps {
		if err := r.check(ctx, s.name, s.fn); err != nil {
			return err
		}
	}
	return nil
}

func (r *run) putResultAndRead(ctx context.Context, score float64, scoreStatus string) error {
	out, err := r.c.PutResult(ctx, r.result(score, scoreStatus))
	if err != nil {
		return err
	}
	if err := want(out, oneroster.Updated); err != nil {
		return err
	}
	got, err := r.c.GetResult(ctx, r.f.ResultID)
	if err != nil {
		return err
	}
	if got.ScoreStatus != scoreStatus {
		return fmt.Errorf("scoreStatus reads back %q, want %q", got.ScoreStatus, scoreStatus)
	}
	if scoreStatus != oneroster.ScoreExempt && float64(got.Score) != score {
		return fmt.Errorf("score reads back %v, want %v (extra credit must not be clamped)", got.Score, score)
	}
	return nil
}

func (r *run) cleanup(ctx context.Context) error {
	var errs []error
	if r.resultUp {
		if err := r.c.DeleteResult(ctx, r.f.ResultID); err != nil && !errors.Is(err, oneroster.ErrNotFound) {
			errs = append(errs, err)
		}
	}
	if err := r.c.DeleteLineItem(ctx, r.f.LineItemID); err != nil && !errors.Is(err, oneroster.ErrNotFound) {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func want(got, wanted oneroster.PutOutcome) error {
	if got != wanted {
		code := map[oneroster.PutOutcome]string{oneroster.Created: "201", oneroster.Updated: "200/204"}
		return fmt.Errorf("provider answered %s (%s), want %s (%s)", code[got], got, code[wanted], wanted)
	}
	return nil
}

func wantNotFound[T any](_ T, err error) error {
	if err == nil {
		return errors.New("record still readable, want 404")
	}
	if !errors.Is(err, oneroster.ErrNotFound) {
		return fmt.Errorf("want 404, got: %w", err)
	}
	return nil
}

func find[T any](seq func(func(T, error) bool), id string, idOf func(T) string) (T, error) {
	var zero T
	for item, err := range seq {
		if err != nil {
			return zero, err
		}
		if idOf(item) == id {
			return item, nil
		}
	}
	return zero, fmt.Errorf("record %q not in the collection", id)
}
