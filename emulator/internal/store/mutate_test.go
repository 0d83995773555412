package store

import (
	"strings"
	"testing"
)

// Every row Mutate picks is found by index lookups and seeks, never by
// scanning or sorting a table: a mutate of a large district must cost what
// one of a small district does. The plans are SQLite's own, for the
// queries pick runs.
func TestMutatePicksSeek(t *testing.T) {
	s := openSeeded(t, "", 300, 1)
	type pickCase struct{ table, key, cond string }
	cases := []pickCase{
		{"STUDENTS", "DCID", "ENROLL_STATUS = 0 AND GRADE_LEVEL < 99"}, // pickStudent, enrol
		{"STUDENTS", "DCID", "ENROLL_STATUS = 0"},                      // pickStudent, absence
		{"CC", "DCID", "SECTIONID > 0"},                                // finalGrade
		{"STOREDGRADES", "DCID", "1=1"},                                // storeGrade
	}
	for _, m := range mutables {
		cases = append(cases, pickCase{m.table, m.key, m.pickable})
		if m.deletable != "" {
			cases = append(cases, pickCase{m.table, m.key, m.deletable})
		}
	}
	for _, c := range cases {
		keyRange, seek := pickQueries(c.table, c.key, c.cond)
		for q, args := range map[string][]any{keyRange: nil, seek: {1}} {
			rows, err := s.DB.Query("EXPLAIN QUERY PLAN "+q, args...)
			if err != nil {
				t.Fatal(err)
			}
			var plan []string
			for rows.Next() {
				var id, parent, unused int
				var detail string
				if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
					t.Fatal(err)
				}
				plan = append(plan, detail)
			}
			rows.Close()
			for _, step := range plan {
				if strings.HasPrefix(step, "SCAN ") && step != "SCAN CONSTANT ROW" || strings.Contains(step, "TEMP B-TREE") {
					t.Errorf("%s\n  plans %q", q, plan)
					break
				}
			}
		}
	}
}
