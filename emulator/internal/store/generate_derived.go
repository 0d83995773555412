package store

import (
	"strconv"
	"strings"
	"time"
)

// derived builds the tables that follow from the schedule (final and stored
// grades, attendance, programmes, buses) as the generator makes each
// student and enrolment, so SQLite only inserts them: reading the base
// tables back to derive them cost as much again. Values that look random
// come from a multiplicative hash of the row's id and the seed (not from
// the generator's random stream), so the same Config gives the same rows.
type derived struct {
	seed   int64
	yearID int
	// Fixed values, formatted once.
	gradeUpdate, storedOn, busFrom string
	days                           string // see schoolDays

	final, stored, absences, programmes, buses *batch
}

func (g *generator) newDerived(yearID int) *derived {
	y := g.cfg.Year
	seed := g.cfg.Seed % 1_000_000
	if seed < 0 {
		seed = -seed
	}
	return &derived{
		seed: seed, yearID: yearID,
		gradeUpdate: strconv.Itoa(y) + "-11-01",
		storedOn:    strconv.Itoa(y) + "-06-10",
		busFrom:     strconv.Itoa(y) + "-08-20",
		days:        schoolDays(y),
		final:       newBatch(g.w, "PGFINALGRADES", "DCID,ID,STUDENTID,SECTIONID,FINALGRADENAME,GRADE,PERCENT,STARTDATE,ENDDATE,LASTGRADEUPDATE"),
		stored: newBatch(g.w, "STOREDGRADES", "DCID,STUDENTID,SCHOOLID,SCHOOLNAME,TERMID,STORECODE,COURSE_NUMBER,COURSE_NAME,"+
			"GRADE,PERCENT,GRADE_LEVEL,EARNEDCRHRS,POTENTIALCRHRS,GPA_POINTS,DATESTORED"),
		absences:   newBatch(g.w, "ATTENDANCE", "DCID,ID,STUDENTID,SCHOOLID,ATT_DATE,ATTENDANCE_CODEID,ATT_MODE_CODE,YEARID"),
		programmes: newBatch(g.w, "SPENROLLMENTS", "DCID,ID,STUDENTID,SCHOOLID,PROGRAMID,ENTER_DATE,EXIT_DATE,GRADELEVEL"),
		buses:      newBatch(g.w, "TRANSPORTATION", "DCID,ID,STUDENTID,SCHOOLID,EFFECTIVEDATE,BUSNUMBER,DIRECTION,STOPDESCRIPTION,STOPTIME"),
	}
}

// hash spreads an id over 0..1000002, the same for the same seed.
func (d *derived) hash(id int) int { return int((int64(id)*2654435761 + d.seed) % 1000003) }

// letter is the letter grade of a percentage.
func letter(p int) string {
	switch {
	case p >= 90:
		return "A"
	case p >= 80:
		return "B"
	case p >= 70:
		return "C"
	case p >= 60:
		return "D"
	}
	return "F"
}

// gpaPoints is the grade point of a percentage on a 4-point scale.
func gpaPoints(p int) float64 { return float64(max(0, min(4, p/10-5))) }

// stopTimes are the bus stop times, "07:00" to "07:49".
var stopTimes = func() (t []string) {
	for m := range 50 {
		t = append(t, "07:"+strconv.Itoa(m/10)+strconv.Itoa(m%10))
	}
	return t
}()

// student adds the rows of an active student: up to two recorded
// absences, a programme for one student in ten, and a bus for those with
// a route.
func (d *derived) student(id, school, grade int, entry, exit, street, busRoute string) error {
	h := d.hash(id)
	for k := range 2 {
		if h%3 <= k {
			break
		}
		day := (h%60 + k*61) * 10
		if err := d.absences.add(vi(id*2+k), vi(id*2+k), vi(id), vi(school), vs(d.days[day:day+10]), vi(1+h%3), vs("ATT_ModeDaily"), vi(d.yearID)); err != nil {
			return err
		}
	}
	if id%10 == 3 {
		if err := d.programmes.add(vi(id), vi(id), vi(id), vi(school), vi(1+h%4), vs(entry), vs(exit), vi(grade)); err != nil {
			return err
		}
	}
	if busRoute != "" {
		if err := d.buses.add(vi(id), vi(id), vi(id), vi(school), vs(d.busFrom), vs(busRoute), vs("To School"), vs(street), vs(stopTimes[h%50])); err != nil {
			return err
		}
	}
	return nil
}

// enrolment adds the grades of an enrolment (a CC row): a current final
// grade for a high-school student still in the section, and last year's
// stored grade for one enrolment in three of students in grades 7 to 12.
func (d *derived) enrolment(ccDCID, studentID, sectionID int, sc *school, grade int, t genTerm, c *genCourse, left string) error {
	h := d.hash(ccDCID)
	if sectionID > 0 && sc.level == 2 {
		name := [...]string{"Y1", "S1", "S2"}[min(t.id%100, 2)]
		p := 55 + h%45
		if err := d.final.add(vi(ccDCID), vi(ccDCID+900), vi(studentID), vi(sectionID), vs(name), vs(letter(p)), vf(float64(p)), vs(t.firstDay), vs(left), vs(d.gradeUpdate)); err != nil {
			return err
		}
	}
	if ccDCID%3 == 0 && grade >= 7 && grade <= 12 {
		p := 50 + h%50
		earned := 0.0
		if p >= 60 {
			earned = c.credit
		}
		if err := d.stored.add(vi(ccDCID), vi(studentID), vi(sc.number), vs(sc.name), vi((d.yearID-1)*100), vs("Y1"), vs(c.number), vs(c.name),
			vs(letter(p)), vf(float64(p)), vi(grade-1), vf(earned), vf(c.credit), vf(gpaPoints(p)), vs(d.storedOn)); err != nil {
			return err
		}
	}
	return nil
}

func (d *derived) flush() error {
	for _, b := range []*batch{d.final, d.stored, d.absences, d.programmes, d.buses} {
		if err := b.flush(); err != nil {
			return err
		}
	}
	return nil
}

// schoolDays is 122 dates from 1 September of year on, 10 characters
// each, to cut a date out of.
func schoolDays(year int) string {
	var b strings.Builder
	first := time.Date(year, time.September, 1, 0, 0, 0, 0, time.UTC)
	for d := range 122 {
		b.WriteString(first.AddDate(0, 0, d).Format(time.DateOnly))
	}
	return b.String()
}
