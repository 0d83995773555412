package gradepush

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Column names accepted in a gradebook CSV header (case and spaces ignored).
var columnNames = map[string]string{
	"title": "title", "assignment": "title", "name": "title",
	"duedate": "due", "due": "due",
	"category":       "category",
	"pointspossible": "points", "points": "points", "totalpoints": "points",
	"student": "student", "studentnumber": "student",
	"score":       "score",
	"description": "description",
}

func columnKey(h string) string {
	k := strings.ToLower(strings.TrimSpace(h))
	k = strings.NewReplacer(" ", "", "_", "", "-", "").Replace(k)
	return columnNames[k]
}

// ParseCSV reads a gradebook in one of two layouts:
//
//   - wide: title, due_date, category, points_possible, then one column per
//     student number; each row is an assignment with its scores (an empty
//     cell means no score);
//   - long: assignment, student, score, optionally with due_date, category
//     and points_possible (needed when the assignment does not exist yet).
//
// Rows are numbered as lines of the file (the header is line 1). Problems
// with single rows are returned in Gradebook.Rejected; an error is a file
// that cannot be read as a gradebook at all, and names the line or column.
func ParseCSV(r io.Reader) (*Gradebook, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, errors.New("the file is empty; give a header row (title,due_date,category,points_possible,<student numbers...> or assignment,student,score)")
	}
	if err != nil {
		return nil, fmt.Errorf("reading the header: %w", err)
	}
	if len(header) > 0 {
		header[0] = strings.TrimPrefix(header[0], "\ufeff") // Excel's byte-order mark
	}
	cols := map[string]int{}
	var students []struct {
		idx    int
		number string
	}
	for i, h := range header {
		k := columnKey(h)
		if k == "" {
			if strings.TrimSpace(h) == "" {
				return nil, fmt.Errorf("header column %d is empty; name every column", i+1)
			}
			students = append(students, struct {
				idx    int
				number string
			}{i, strings.TrimSpace(h)})
			continue
		}
		if _, dup := cols[k]; dup {
			return nil, fmt.Errorf("header names the %s column twice (column %d: %q)", k, i+1, h)
		}
		cols[k] = i
	}
	_, hasStudent := cols["student"]
	_, hasScore := cols["score"]
	long := hasStudent || hasScore
	if _, ok := cols["title"]; !ok {
		return nil, errors.New("the header has no title (or assignment) column")
	}
	if long {
		if !hasStudent || !hasScore {
			return nil, errors.New("a long-format file needs both student and score columns (assignment,student,score)")
		}
		if len(students) > 0 {
			return nil, fmt.Errorf("unknown column %q in a long-format file; use assignment,student,score[,due_date,category,points_possible]", students[0].number)
		}
	} else {
		for _, k := range []string{"due", "category", "points"} {
			if _, ok := cols[k]; !ok {
				return nil, fmt.Errorf("the header has no %s column; a wide file is title,due_date,category,points_possible,<student numbers...>", map[string]string{"due": "due_date", "category": "category", "points": "points_possible"}[k])
			}
		}
		if len(students) == 0 {
			return nil, errors.New("the header has no student-number columns after title,due_date,category,points_possible")
		}
	}

	cell := func(rec []string, k string) string {
		i, ok := cols[k]
		if !ok || i >= len(rec) {
			return ""
		}
		return strings.TrimSpace(rec[i])
	}
	g := &Gradebook{}
	defined := map[string]bool{}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, fmt.Errorf("line %d: %v; fix the quoting and run again", pe.Line, pe.Err)
			}
			return nil, err
		}
		line, _ := cr.FieldPos(0)
		if blank(rec) {
			continue
		}
		title := cell(rec, "title")
		hasMeta := cell(rec, "due") != "" || cell(rec, "category") != "" || cell(rec, "points") != ""
		if !long || (hasMeta && !defined[title]) {
			a := Assignment{Row: line, Title: title, DueDate: cell(rec, "due"), Category: cell(rec, "category"), Description: cell(rec, "description")}
			p, perr := strconv.ParseFloat(cell(rec, "points"), 64)
			if perr != nil {
				g.Rejected = append(g.Rejected, Rejection{Row: line, Assignment: title, Reason: fmt.Sprintf("points possible %q is not a number", cell(rec, "points"))})
				for _, s := range students {
					if s.idx < len(rec) && strings.TrimSpace(rec[s.idx]) != "" {
						g.Rejected = append(g.Rejected, Rejection{Row: line, Assignment: title, Student: s.number, Reason: "not sent because its assignment was rejected"})
					}
				}
				if long {
					g.Rejected = append(g.Rejected, Rejection{Row: line, Assignment: title, Student: cell(rec, "student"), Reason: "not sent because its assignment was rejected"})
				}
				continue
			}
			a.Points = p
			defined[title] = true
			g.Assignments = append(g.Assignments, a)
		}
		if long {
			g.Scores = append(g.Scores, Score{Row: line, Assignment: title, Student: cell(rec, "student"), Score: cell(rec, "score")})
			continue
		}
		for _, s := range students {
			if s.idx >= len(rec) || strings.TrimSpace(rec[s.idx]) == "" {
				continue
			}
			g.Scores = append(g.Scores, Score{Row: line, Assignment: title, Student: s.number, Score: strings.TrimSpace(rec[s.idx])})
		}
	}
	return g, nil
}

func blank(rec []string) bool {
	for _, v := range rec {
		if strings.TrimSpace(v) != "" {
			return false
		}
	}
	return true
}
