// Package gradepush pushes a gradebook (assignments and scores, usually
// read from a CSV with ParseCSV) into one PowerTeacher Pro section.
//
// A push has three steps: Load reads what the server would check the rows
// against (the section, its term, teacher, enrolled students, categories
// and stored assignments); Facts.Plan checks every row and compares it with
// what is stored; Apply sends only what changed through an Applier, either
// PowerTeacher Pro's /ws/xte (NewXTE) or OneRoster 1.1 (NewOneRoster). A
// rejected row is reported with its line and reason and holds no other row
// back, and a push repeated with the same data sends no write.
package gradepush

import (
	"strconv"
	"strings"
)

// Assignment is one assignment to push.
type Assignment struct {
	Row         int // the CSV line it came from, for messages
	Title       string
	DueDate     string // YYYY-MM-DD
	Category    string // the name of one of the teacher's categories
	Points      float64
	ScoreType   string // "" means POINTS, the only type accepted
	Description string
}

// Score is one student's score on an assignment.
type Score struct {
	Row        int
	Assignment string // the assignment's title
	Student    string // student number (/ws/v1 local_id)
	Score      string // points, e.g. "8" or "9.5"
}

// Gradebook is what to push into one section. Scores may name an
// assignment that is not in Assignments but already exists in the section.
type Gradebook struct {
	Assignments []Assignment
	Scores      []Score
	// Rejected holds rows refused before planning (by ParseCSV); a plan
	// reports them first.
	Rejected []Rejection
}

// titles returns every assignment title the gradebook names.
func (g *Gradebook) titles() []string {
	var out []string
	for _, a := range g.Assignments {
		out = append(out, strings.TrimSpace(a.Title))
	}
	for _, s := range g.Scores {
		out = append(out, strings.TrimSpace(s.Assignment))
	}
	return out
}

// students returns every student number the gradebook's scores name.
func (g *Gradebook) students() []string {
	var out []string
	for _, s := range g.Scores {
		out = append(out, strings.TrimSpace(s.Student))
	}
	return out
}

// Action says what a push does with an assignment or a score.
type Action string

// The actions of a plan.
const (
	Create    Action = "create"
	Update    Action = "update"
	Unchanged Action = "unchanged"
)

// Rejection is a row that will not be (or was not) sent, and why. A
// rejection without Student is an assignment's.
type Rejection struct {
	Row        int    `json:"row"`
	Assignment string `json:"assignment,omitempty"`
	Student    string `json:"student,omitempty"`
	Reason     string `json:"reason"`
}

func (r Rejection) String() string {
	var parts []string
	if r.Row > 0 {
		parts = append(parts, "row "+strconv.Itoa(r.Row))
	}
	if r.Assignment != "" {
		parts = append(parts, strconv.Quote(r.Assignment))
	}
	if r.Student != "" {
		parts = append(parts, "student "+r.Student)
	}
	return strings.Join(parts, ", ") + ": " + r.Reason
}

// Counts counts assignments or scores by outcome.
type Counts struct {
	Created   int `json:"created"`
	Updated   int `json:"updated"`
	Unchanged int `json:"unchanged"`
	Rejected  int `json:"rejected"`
}

func (c *Counts) add(a Action) {
	switch a {
	case Create:
		c.Created++
	case Update:
		c.Updated++
	case Unchanged:
		c.Unchanged++
	}
}

// Summary is what a push did (or, for a plan, would do).
type Summary struct {
	Assignments Counts
	Scores      Counts
	Rejected    []Rejection
}

// reject records a rejected row and counts it as an assignment's or a
// score's.
func (s *Summary) reject(r Rejection) {
	if r.Student == "" {
		s.Assignments.Rejected++
	} else {
		s.Scores.Rejected++
	}
	s.Rejected = append(s.Rejected, r)
}
