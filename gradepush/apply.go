package gradepush

import "context"

// An Applier writes a plan's records through one API. Apply calls it for
// each planned assignment, then for that assignment's changed scores.
type Applier interface {
	// Assignment writes pa as pa.Action says (and, on Create, fills in its
	// IDs); it may skip a record the API already holds as planned.
	// refused, when not empty, is why the server declined the record's
	// content: the assignment and its scores are reported as rejected and
	// the push goes on. err stops the push.
	Assignment(ctx context.Context, f *Facts, pa *PlannedAssignment) (refused string, err error)
	// Scores writes scores (of pa, none of them Unchanged) and calls done
	// once for each that the server stored (refused "") or declined
	// (refused says why). err stops the push.
	Scores(ctx context.Context, f *Facts, pa *PlannedAssignment, scores []*PlannedScore, done func(s *PlannedScore, refused string)) error
}

// Apply sends a plan through a: it writes the assignments to create or
// update, then the scores that differ from the stored ones. A row the
// server refuses is added to the rejections and the rest go on; any other
// failure stops the push and is returned with the summary so far, which
// counts what was written.
func Apply(ctx context.Context, a Applier, p *Plan) (Summary, error) {
	var sum Summary
	for _, r := range p.Rejected {
		sum.reject(r)
	}
	for _, pa := range p.Assignments {
		refused, err := a.Assignment(ctx, p.Facts, pa)
		if err != nil {
			return sum, err
		}
		if refused != "" {
			sum.reject(Rejection{Row: pa.Row, Assignment: pa.Title, Reason: refused})
			for _, s := range pa.Scores {
				sum.reject(Rejection{Row: s.Row, Assignment: pa.Title, Student: s.Student, Reason: "not sent because its assignment was refused"})
			}
			continue
		}
		sum.Assignments.add(pa.Action)
		var changed []*PlannedScore
		for _, s := range pa.Scores {
			if s.Action == Unchanged {
				sum.Scores.Unchanged++
			} else {
				changed = append(changed, s)
			}
		}
		if len(changed) == 0 {
			continue
		}
		err = a.Scores(ctx, p.Facts, pa, changed, func(s *PlannedScore, refused string) {
			if refused != "" {
				sum.reject(Rejection{Row: s.Row, Assignment: pa.Title, Student: s.Student, Reason: refused})
				return
			}
			sum.Scores.add(s.Action)
		})
		if err != nil {
			return sum, err
		}
	}
	return sum, nil
}
