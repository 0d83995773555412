package store

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// GraduatedSchoolNumber is the school number PowerSchool reserves for the
// "Graduated Students" school; graduates carry grade level 99.
const GraduatedSchoolNumber = 999999

// Config shapes a generated district. The same Config always yields the same
// district, row for row.
type Config struct {
	Seed     int64
	Students int // number of STUDENTS rows; must be at least 1
	// Year is the first calendar year of the school year (2025 for 2025-26).
	// Zero means 2025, so output does not depend on the wall clock.
	Year int
}

// studentDCIDOffset is STUDENTS.DCID - STUDENTS.ID for generated students;
// deriving tables joins on it to reach a student by rowid.
const studentDCIDOffset = 4000

// District facts shared by the generator and the HTTP layer.
const (
	DistrictName     = "Lakeshore Unified School District"
	DistrictNumber   = "4820"
	DistrictState    = "MN"
	DistrictTimezone = "America/Chicago"
)

// school is a generated school before insertion.
type school struct {
	dcid, number, low, high int
	level                   int // 0 elementary, 1 middle, 2 high
	name                    string
	students                []int // indexes into the generated students
	teachers                []int // SCHOOLSTAFF.ID of active teachers
	courses                 []genCourse
	terms                   []genTerm // [year, S1, S2]
}

type genCourse struct {
	number string
	name   string
	credit float64
	term   int // index into school.terms
	filled int // students placed so far
	// sections holds SECTIONS.ID of the course's sections in fill order.
	sections []int
}

type genTerm struct {
	id                  int
	firstDay, lastDay   string
	dcid, portion, year int
}

type sectionRow struct {
	dcid, id, school, term, teacher int
	enrolled                        int // current (not dropped) enrolments
	course, number, expr            string
}

// Generate fills an empty store with a synthetic district, in one
// transaction, indexes included. The generator builds rows on the calling
// goroutine while a writer goroutine inserts the previous batch, so Go's
// work and SQLite's overlap on two cores.
func (s *Store) Generate(ctx context.Context, cfg Config) error {
	if cfg.Students < 1 {
		return fmt.Errorf("generating a district: need at least 1 student, got %d", cfg.Students)
	}
	if cfg.Year == 0 {
		cfg.Year = 2025
	}
	s.wmu.Lock() // seeding is a write like any other
	defer s.wmu.Unlock()
	conn, err := openRaw(s.uri)
	if err != nil {
		return fmt.Errorf("generating a district: opening the database: %w", err)
	}
	defer conn.close()
	stop := context.AfterFunc(ctx, conn.interrupt) // a cancelled seed stops mid-statement
	defer stop()
	failed := func(err error) error {
		if ctx.Err() != nil && !errors.Is(err, ctx.Err()) {
			err = fmt.Errorf("%w (%v)", ctx.Err(), err) // interrupted: the cause is the cancel
		}
		return fmt.Errorf("generating a district: %w", err)
	}
	bulk := bulkable(conn, bulkTables...) == nil
	if !bulk {
		// The generator makes garbage by the million (strings that SQLite
		// copies at once) while the live heap stays small: collecting less
		// often saves CPU at the cost of some tens of megabytes. (A bulk
		// load holds index keys by the hundred megabytes: there the same
		// setting would touch gigabytes of fresh memory.)
		defer debug.SetGCPercent(debug.SetGCPercent(400))
	}
	if bulk && !s.Persistent() {
		// Only a saving: without it the buffer grows as before.
		limit := memdbMaxSize
		if memdbLimitErr != nil {
			limit = 1 << 30 // SQLite's own cap stayed
		}
		_ = growMemdb(conn, min(cfg.Students*memdbBytesPerStudent, limit))
	}
	// The same settings as the store's own connections (see Open).
	setup := "PRAGMA synchronous = NORMAL; "
	if !s.Persistent() {
		setup = "PRAGMA synchronous = OFF; "
	}
	setup += "PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON; BEGIN IMMEDIATE; PRAGMA defer_foreign_keys = ON"
	if err := conn.exec(setup); err != nil {
		return failed(err)
	}
	// The big tables are written as pages (bulk.go) unless something must
	// see their rows go in one by one; the small ones always with SQL.
	var loader *bulkLoader
	if bulk {
		if err := conn.exec(inOrderIndexes + indexes); err != nil {
			conn.exec("ROLLBACK")
			return failed(fmt.Errorf("indexing: %w", err))
		}
		if loader, err = newBulkLoader(conn, bulkTables, generatedInOrder); err != nil {
			conn.exec("ROLLBACK")
			return failed(err)
		}
	}
	w := startWriter(ctx, conn, loader)
	if loader == nil {
		w.exec("creating the indexes filled in key order", inOrderIndexes)
	}
	g := &generator{cfg: cfg, rng: rand.New(rand.NewPCG(uint64(cfg.Seed), 0x9e3779b97f4a7c15)), w: w}
	runErr := g.run()
	if runErr == nil && loader != nil {
		runErr = w.do("writing the district's pages", loader.finish)
	} else if runErr == nil {
		// Worker threads let SQLite sort index keys on the second core.
		w.exec("indexing the district", "PRAGMA threads = 2")
		for _, ix := range strings.Split(indexes, ";") {
			if f := strings.Fields(ix); len(f) > 5 { // CREATE INDEX IF NOT EXISTS name ...
				w.exec("indexing "+f[5], ix)
			}
		}
		w.exec("indexing the district", "PRAGMA threads = 0")
	}
	werr := w.wait()
	if loader != nil {
		loader.stop()
		if loader.failed.Load() {
			werr = errors.Join(werr, loader.err)
		}
	}
	if errors.Is(runErr, errWriterStopped) {
		runErr = nil // the writer's own error says what failed
	}
	if err := errors.Join(runErr, werr); err != nil {
		conn.exec("ROLLBACK")
		if memdbLimitErr != nil && !s.Persistent() {
			err = fmt.Errorf("%w (in-memory databases stay capped at 1 GiB: %v)", err, memdbLimitErr)
		}
		return failed(err)
	}
	if err := conn.exec("COMMIT"); err != nil {
		return failed(err)
	}
	return nil
}

// bulkTables are the tables the generator fills after the small ones, in
// rowid order: big enough to be worth writing as pages.
var bulkTables = []string{"STUDENTS", "U_STUDENTSUSERFIELDS", "STUDENTCOREFIELDS", "FEE", "CC", "SECTIONS",
	"PGFINALGRADES", "STOREDGRADES", "ATTENDANCE", "SPENROLLMENTS", "TRANSPORTATION"}

type generator struct {
	cfg Config
	rng *rand.Rand
	w   *writer // runs the inserts while the generator builds the next rows

	schools []*school
	byLevel [3][]*school
	grad    *school

	dates map[int]string // formatted dates by yyyymmdd, see date
}

func (g *generator) pick(list []string) string { return list[g.rng.IntN(len(list))] }

// date formats a calendar date, remembering each: a district uses a few
// hundred dates, formatted millions of times.
func (g *generator) date(year int, month time.Month, day int) string {
	key := year*10000 + int(month)*100 + day
	if d, ok := g.dates[key]; ok {
		return d
	}
	if g.dates == nil {
		g.dates = map[int]string{}
	}
	d := time.Date(year, month, day, 0, 0, 0, 0, time.UTC).Format(time.DateOnly)
	g.dates[key] = d
	return d
}

// street makes a street address ("1234 Maple Ave").
func (g *generator) street() string {
	number := strconv.Itoa(100 + g.rng.IntN(9800))
	name := g.pick(streetNames)
	return number + " " + name + " " + g.pick(streetKinds)
}

// zip makes a postcode in the 55000-55999 block.
func (g *generator) zip() string { return zips[g.rng.IntN(len(zips))] }

func (g *generator) run() error {
	n := g.cfg.Students
	y := g.cfg.Year
	yearID := y - 1990
	firstDay, lastDay := g.date(y, time.August, 20), g.date(y+1, time.June, 10)
	midDay := g.date(y+1, time.January, 16)

	// Schools: three levels, roughly one school per 400 students.
	nSchools := min(max(n/400, 3), 250)
	levelOf := []int{0, 1, 2, 0}
	for i := range nSchools {
		lv := levelOf[i%4]
		if i < 3 {
			lv = i
		}
		sc := &school{dcid: i + 1, number: (i + 1) * 100, level: lv}
		switch lv {
		case 0:
			sc.low, sc.high, sc.name = 0, 5, g.pick(streetNames)+" Elementary School"
		case 1:
			sc.low, sc.high, sc.name = 6, 8, g.pick(streetNames)+" Middle School"
		default:
			sc.low, sc.high, sc.name = 9, 12, g.pick(cities)+" High School"
		}
		sc.name = fmt.Sprintf("%s %d", sc.name, i+1)
		g.schools = append(g.schools, sc)
		g.byLevel[lv] = append(g.byLevel[lv], sc)
	}
	g.grad = &school{dcid: nSchools + 1, number: GraduatedSchoolNumber, low: 99, high: 99, level: -1, name: "Graduated Students"}

	if err := g.insertPrefs(); err != nil {
		return err
	}
	if err := g.insertSchools(); err != nil {
		return err
	}

	// Place students first: staff and section counts follow enrolment.
	type placement struct {
		sc     *school
		grade  int
		status int
	}
	places := make([]placement, n)
	for i := range n {
		grade := g.rng.IntN(13)
		lv := 0
		if grade >= 9 {
			lv = 2
		} else if grade >= 6 {
			lv = 1
		}
		status := 0
		switch r := g.rng.IntN(100); {
		case r < 3:
			status = 3 // graduated
		case r < 5:
			status = -1 // pre-registered
		case r < 7:
			status = 2 // transferred out
		case r < 8:
			status = 1 // inactive
		}
		if status == 3 {
			places[i] = placement{g.grad, 99, 3}
			continue
		}
		sc := g.byLevel[lv][g.rng.IntN(len(g.byLevel[lv]))]
		sc.students = append(sc.students, i)
		places[i] = placement{sc, grade, status}
	}

	// Terms, staff, courses per school.
	termDCID, userDCID, courseDCID := 0, 0, 0
	terms := newBatch(g.w, "TERMS", "DCID,ID,SCHOOLID,YEARID,PORTION,FIRSTDAY,LASTDAY,ABBREVIATION,NAME,ISYEARREC")
	users := newBatch(g.w, "USERS", "DCID,HOMESCHOOLID,TEACHERNUMBER,FIRST_NAME,MIDDLE_NAME,LAST_NAME,LASTFIRST,TITLE,EMAIL_ADDR,LOGINID,TEACHERLOGINID,PSACCESS,PTACCESS,STREET,CITY,STATE,ZIP,HOME_PHONE,SCHOOL_PHONE")
	staff := newBatch(g.w, "SCHOOLSTAFF", "DCID,ID,USERS_DCID,SCHOOLID,STATUS,STAFFSTATUS,SCHED_CLASSROOM")
	courses := newBatch(g.w, "COURSES", "DCID,ID,COURSE_NUMBER,COURSE_NAME,SCHOOLID,CREDIT_HOURS,CREDITTYPE,GRADESCALEID")
	for _, sc := range append(append([]*school(nil), g.schools...), g.grad) {
		termSpecs := []struct {
			id, portion int
			first, last string
			abbr, name  string
		}{
			{yearID * 100, 1, firstDay, lastDay, fmt.Sprintf("%02d-%02d", y%100, (y+1)%100), fmt.Sprintf("%d-%d", y, y+1)},
			{yearID*100 + 1, 2, firstDay, g.date(y+1, time.January, 15), "S1", "Semester 1"},
			{yearID*100 + 2, 2, midDay, lastDay, "S2", "Semester 2"},
		}
		for _, t := range termSpecs {
			termDCID++
			sc.terms = append(sc.terms, genTerm{id: t.id, dcid: termDCID, portion: t.portion, firstDay: t.first, lastDay: t.last, year: yearID})
			isYear := 0
			if t.portion == 1 {
				isYear = 1
			}
			if err := terms.add(vi(termDCID), vi(t.id), vi(sc.number), vi(yearID), vi(t.portion), vs(t.first), vs(t.last), vs(t.abbr), vs(t.name), vi(isYear)); err != nil {
				return err
			}
		}
		nStaff := max(3, len(sc.students)/20) + 1 // +1: the principal
		if sc == g.grad {
			nStaff = 1
		}
		for k := range nStaff {
			userDCID++
			first, middle, last := g.pick(firstNames), g.pick(middleNames), g.pick(lastNames)
			login := strings.ToLower(first[:1]+last) + strconv.Itoa(userDCID)
			title, ptaccess, teacherLogin := "Teacher", 1, login
			if k == 0 {
				title, ptaccess, teacherLogin = "Principal", 0, ""
			}
			if err := users.add(vi(userDCID), vi(sc.number), vs(strconv.Itoa(7000+userDCID)), vs(first), nullable(middle), vs(last),
				vs(last+", "+first), vs(title), vs(login+"@staff.example.org"), vs(login), nullable(teacherLogin), vi(1), vi(ptaccess),
				vs(g.street()), vs(g.pick(cities)),
				vs(DistrictState), vs(g.zip()), vs(phone(g.rng)), vs(phone(g.rng))); err != nil {
				return err
			}
			status := 1
			if k > 0 && g.rng.IntN(100) < 5 {
				status = 2 // inactive staff are hidden from school staff lists
			}
			ssID := userDCID + 300
			if status == 1 && k > 0 {
				sc.teachers = append(sc.teachers, ssID)
			}
			if err := staff.add(vi(userDCID+200), vi(ssID), vi(userDCID), vi(sc.number), vi(status), vi(1), vs(strconv.Itoa(100+g.rng.IntN(200)))); err != nil {
				return err
			}
			if k == 0 {
				if err := g.w.exec("naming the principal", "UPDATE SCHOOLS SET PRINCIPAL=?, PRINCIPALEMAIL=? WHERE DCID=?",
					vs(first+" "+last), vs(login+"@staff.example.org"), vi(sc.dcid)); err != nil {
					return err
				}
			}
		}
		if sc == g.grad {
			continue
		}
		catalogue := [][]course{elementaryCourses, middleCourses, highCourses}[sc.level]
		for ci, c := range catalogue {
			courseDCID++
			number := fmt.Sprintf("%s%d", c.code, sc.number)
			term := 0
			if sc.level > 0 && ci%3 != 0 {
				term = 1 + ci%2
			}
			sc.courses = append(sc.courses, genCourse{number: number, name: c.name, credit: c.credit, term: term})
			if err := courses.add(vi(courseDCID), vi(courseDCID+50), vs(number), vs(c.name), vi(sc.number), vf(c.credit), vs("CORE"), vi(1)); err != nil {
				return err
			}
		}
	}
	for _, b := range []*batch{terms, users, staff, courses} {
		if err := b.flush(); err != nil {
			return err
		}
	}

	// Students, their extensions and fees, and section enrolments.
	stu := newBatch(g.w, "STUDENTS", "DCID,ID,STUDENT_NUMBER,STUDENT_WEB_ID,STATE_STUDENTNUMBER,FIRST_NAME,MIDDLE_NAME,LAST_NAME,LASTFIRST,"+
		"GRADE_LEVEL,SCHOOLID,ENROLL_STATUS,ENTRYDATE,EXITDATE,ENTRYCODE,ENTRYCOMMENT,EXITCODE,FTEID,DOB,GENDER,CLASSOF,"+
		"STREET,CITY,STATE,ZIP,MAILING_STREET,MAILING_CITY,MAILING_STATE,MAILING_ZIP,HOME_PHONE,"+
		"ALERT_GUARDIAN,ALERT_GUARDIANEXPIRES,ALERT_DISCIPLINE,ALERT_DISCIPLINEEXPIRES,ALERT_MEDICAL,ALERT_MEDICALEXPIRES,ALERT_OTHER,ALERT_OTHEREXPIRES,"+
		"FEDETHNICITY,ETHNICITY,FEDRACEDECLINE,MOTHER,FATHER,GUARDIANEMAIL,GUARDIANFAX,EMERG_CONTACT_1,EMERG_PHONE_1,EMERG_CONTACT_2,EMERG_PHONE_2,"+
		"DOCTOR_NAME,DOCTOR_PHONE,DISTRICTENTRYDATE,DISTRICTENTRYGRADELEVEL,SCHOOLENTRYDATE,SCHOOLENTRYGRADELEVEL,"+
		"HOME_ROOM,NEXT_SCHOOL,SCHED_NEXTYEARGRADE,LUNCH_ID,BALANCE1,BALANCE2,BALANCE3,BALANCE4,LASTMEAL")
	ufields := newBatch(g.w, "U_STUDENTSUSERFIELDS", "STUDENTSDCID,EMAIL,TRANSCRIPTADDRCITY,LOCKER_NUMBER,BUS_ROUTE")
	core := newBatch(g.w, "STUDENTCOREFIELDS", "STUDENTSDCID,PSCORE_LEGAL_FIRST_NAME,PSCORE_LEGAL_MIDDLE_NAME,PSCORE_LEGAL_LAST_NAME,PSCORE_LEGAL_GENDER,PRIMARYLANGUAGE,HOMEROOM")
	fees := newBatch(g.w, "FEE", "DCID,ID,STUDENTID,SCHOOLID,YEARID,FEE_TYPE_ID,FEE_TYPE_NAME,FEE_CATEGORY_NAME,DESCRIPTION,FEE_AMOUNT,FEE_BALANCE,DATE_CREATED,PRIORITY")
	cc := newBatch(g.w, "CC", "DCID,ID,STUDENTID,SECTIONID,SCHOOLID,TERMID,COURSE_NUMBER,SECTION_NUMBER,EXPRESSION,TEACHERID,DATEENROLLED,DATELEFT")
	d := g.newDerived(yearID)
	var sections []sectionRow
	sectionID, ccDCID, feeDCID := 0, 0, 0
	for i, p := range places {
		id := i + 1
		dcid := id + studentDCIDOffset
		first, middle, last := g.pick(firstNames), g.pick(middleNames), g.pick(lastNames)
		number := 100000 + id
		webID := strings.ToLower(last[:min(4, len(last))]+first[:1]) + strconv.Itoa(id)
		gender := "F"
		if g.rng.IntN(2) == 0 {
			gender = "M"
		}
		sc := p.sc
		grade := p.grade
		entry, exit := firstDay, g.date(y+1, time.June, 11)
		exitCode := vnull
		switch p.status {
		case 3:
			grade = 99
			entry, exit = g.date(y-1, time.August, 21), g.date(y, time.June, 6)
			exitCode = vs("GR")
		case 2:
			exit = g.date(y, time.October, 1+g.rng.IntN(28))
			exitCode = vs("TR")
		case 1:
			exit = g.date(y, time.November, 1+g.rng.IntN(28))
			exitCode = vs("WD")
		}
		age := grade
		if grade == 99 {
			age = 13
		}
		dob := g.date(y-6-age, time.Month(1+g.rng.IntN(12)), 1+g.rng.IntN(28))
		classOf := y + 13 - age
		street := g.street()
		city, zip := g.pick(cities), g.zip()
		mStreet := street
		if g.rng.IntN(5) == 0 {
			mStreet = fmt.Sprintf("PO Box %d", 100+g.rng.IntN(900))
		}
		alert := func(pct int, text string) (val, val) {
			if g.rng.IntN(100) >= pct {
				return vnull, vnull
			}
			return vs(text), vs(g.date(y+1, time.June, 30))
		}
		legal, legalExp := alert(2, "Custody order on file; see office")
		disc, discExp := alert(3, "Behaviour plan in place")
		med, medExp := alert(10, []string{"Peanut allergy", "Asthma inhaler", "Bee sting allergy", "Type 1 diabetes"}[g.rng.IntN(4)])
		other, otherExp := alert(2, "Transportation: walker")
		mother, father := g.pick(firstNames), g.pick(firstNames)
		doctor, doctorPhone := vnull, vnull
		if g.rng.IntN(2) == 0 {
			doctor, doctorPhone = vs("Dr. "+g.pick(lastNames)), vs(phone(g.rng))
		}
		entryGrade := max(0, min(grade, g.rng.IntN(13)))
		if grade == 99 {
			entryGrade = g.rng.IntN(13)
		}
		distEntry := g.date(y-max(0, min(age, 12)-entryGrade), time.August, 20)
		nextSchool, nextGrade := sc.number, grade+1
		if grade == 99 || grade == 12 {
			nextSchool, nextGrade = GraduatedSchoolNumber, 99
		} else if grade == sc.high && len(g.byLevel[sc.level+1]) > 0 {
			nextSchool = g.byLevel[sc.level+1][id%len(g.byLevel[sc.level+1])].number
		}
		entryComment := nullable([]string{"", "", "New to district", "Promote Same School"}[g.rng.IntN(4)])
		upperLast := strings.ToUpper(last)
		if err := stu.add(vi(dcid), vi(id), vi(number), vs(webID), vs("MN"+strconv.Itoa(30000000+id)), vs(first), nullable(middle), vs(upperLast), vs(upperLast+", "+first),
			vi(grade), vi(sc.number), vi(p.status), vs(entry), vs(exit), vs("E1"), entryComment, exitCode, vi(1000+sc.dcid), vs(dob), vs(gender), vi(classOf),
			vs(street), vs(city), vs(DistrictState), vs(zip), vs(mStreet), vs(city), vs(DistrictState), vs(zip), vs(phone(g.rng)),
			legal, legalExp, disc, discExp, med, medExp, other, otherExp,
			vi(g.rng.IntN(4)/3), vs(g.pick(ethnicities)), vi(0), vs(upperLast+", "+mother), vs(upperLast+", "+father),
			vs(strings.ToLower(mother+"."+last)+"@family.example.org"), vnull, vs(mother+" "+last), vs(phone(g.rng)), vs(father+" "+last), vs(phone(g.rng)),
			doctor, doctorPhone, vs(distEntry), vi(entryGrade), vs(distEntry), vi(entryGrade),
			vs(g.pick(homerooms)), vi(nextSchool), vi(nextGrade), vi(number), vf(money(g.rng)), vf(money(g.rng)), vf(0), vf(0), vnull); err != nil {
			return err
		}
		busRoute := ""
		if g.rng.IntN(10) < 7 {
			locker := strconv.Itoa(100 + g.rng.IntN(900))
			busRoute = []string{"", "1", "2", "3", "4"}[g.rng.IntN(5)]
			if err := ufields.add(vi(dcid), vs(webID+"@students.example.org"), vs(city), vs(locker), nullable(busRoute)); err != nil {
				return err
			}
		}
		if p.status == 0 {
			if err := d.student(id, sc.number, grade, entry, exit, street, busRoute); err != nil {
				return err
			}
		}
		if g.rng.IntN(10) < 6 {
			if err := core.add(vi(dcid), vs(first), nullable(middle), vs(upperLast), vs(gender), vs(g.pick(languages)), vs(g.pick(homerooms))); err != nil {
				return err
			}
		}
		if g.rng.IntN(100) < 8 {
			feeDCID++
			amount := float64(5+g.rng.IntN(20)) * 5
			ft := g.rng.IntN(len(feeTypes))
			if err := fees.add(vi(feeDCID), vi(feeDCID+10), vi(id), vi(sc.number), vi(yearID), vi(ft+1), vs(feeTypes[ft]), vs("General"), vs(feeTypes[ft]+" "+strconv.Itoa(y)), vf(amount), vf(amount-float64(g.rng.IntN(2))*amount), vs(firstDay), vi(1)); err != nil {
				return err
			}
		}
		// Schedules: active students take six courses, transferred and
		// inactive ones keep their dropped enrolments.
		if sc == g.grad || p.status == -1 || len(sc.courses) == 0 {
			continue
		}
		take := min(6, len(sc.courses))
		start := g.rng.IntN(len(sc.courses))
		for k := range take {
			c := &sc.courses[(start+k)%len(sc.courses)]
			if c.filled%28 == 0 {
				sectionID++
				t := sc.terms[c.term]
				period := (start+k)%7 + 1
				teacher := 0
				if len(sc.teachers) > 0 {
					teacher = sc.teachers[sectionID%len(sc.teachers)]
				}
				sections = append(sections, sectionRow{dcid: sectionID + 700, id: sectionID, school: sc.number, term: t.id, teacher: teacher,
					course: c.number, number: strconv.Itoa(len(c.sections) + 1), expr: fmt.Sprintf("%d(A)", period)})
				c.sections = append(c.sections, len(sections)-1)
			}
			sec := &sections[c.sections[len(c.sections)-1]]
			c.filled++
			t := sc.terms[c.term]
			secID, left := sec.id, t.lastDay
			if p.status != 0 {
				secID, left = -sec.id, exit
			} else if g.rng.IntN(100) < 3 {
				secID, left = -sec.id, g.date(y, time.September, 1+g.rng.IntN(28))
			} else {
				sec.enrolled++
			}
			ccDCID++
			if err := cc.add(vi(ccDCID), vi(ccDCID+900), vi(id), vi(secID), vi(sc.number), vi(t.id), vs(sec.course), vs(sec.number), vs(sec.expr), vi(sec.teacher), vs(t.firstDay), vs(left)); err != nil {
				return err
			}
			if err := d.enrolment(ccDCID, id, secID, sc, grade, t, c, left); err != nil {
				return err
			}
		}
	}
	secs := newBatch(g.w, "SECTIONS", "DCID,ID,SCHOOLID,COURSE_NUMBER,SECTION_NUMBER,TERMID,TEACHER,EXPRESSION,EXTERNAL_EXPRESSION,GRADEBOOKTYPE,ROOM,MAXENROLLMENT,NO_OF_STUDENTS")
	for _, s := range sections {
		if err := secs.add(vi(s.dcid), vi(s.id), vi(s.school), vs(s.course), vs(s.number), vi(s.term), nullableInt(s.teacher), vs(s.expr), vs(s.expr), vi(2), vs(strconv.Itoa(100+s.id%300)), vi(30), vi(s.enrolled)); err != nil {
			return err
		}
	}
	for _, b := range []*batch{stu, ufields, core, fees, cc, secs} {
		if err := b.flush(); err != nil {
			return err
		}
	}
	return d.flush()
}

func (g *generator) insertPrefs() error {
	b := newBatch(g.w, "PREFS", "NAME,VALUE,SCHOOLID")
	uuid := fmt.Sprintf("%08x-%04x-4%03x-a%03x-%012x", g.rng.Uint32(), g.rng.IntN(1<<16), g.rng.IntN(1<<12), g.rng.IntN(1<<12), g.rng.Uint64()&(1<<48-1))
	for _, kv := range [][2]string{
		{"districtname", DistrictName}, {"districtnumber", DistrictNumber}, {"districtuuid", uuid},
		{"districtaddress", "1200 Lakeshore Dr"}, {"districtcity", "Fairhaven"}, {"districtstate", DistrictState},
		{"districtzip", "55401"}, {"districtphone", "612-555-0100"}, {"districtfax", "612-555-0101"},
		{"districttimezone", DistrictTimezone},
	} {
		if err := b.add(vs(kv[0]), vs(kv[1]), vi(0)); err != nil {
			return err
		}
	}
	return b.flush()
}

func (g *generator) insertSchools() error {
	b := newBatch(g.w, "SCHOOLS", "DCID,ID,SCHOOL_NUMBER,NAME,ABBREVIATION,LOW_GRADE,HIGH_GRADE,ALTERNATE_SCHOOL_NUMBER,STATE_EXCLUDEFROMREPORTING,"+
		"SCHOOLADDRESS,SCHOOLCITY,SCHOOLSTATE,SCHOOLZIP,SCHOOLPHONE,SCHOOLFAX")
	for _, sc := range append(append([]*school(nil), g.schools...), g.grad) {
		abbr := fmt.Sprintf("S%d", sc.dcid)
		addr, city, zip, ph, fax := vnull, vnull, vnull, vnull, vnull
		excluded := 1
		if sc != g.grad {
			addr = vs(g.street())
			city, zip, ph, fax, excluded = vs(g.pick(cities)), vs(g.zip()), vs(phone(g.rng)), vs(phone(g.rng)), 0
		} else {
			abbr = "Grad"
		}
		if err := b.add(vi(sc.dcid), vi(sc.dcid+10), vi(sc.number), vs(sc.name), vs(abbr), vi(sc.low), vi(sc.high), vi(0), vi(excluded), addr, city, vs(DistrictState), zip, ph, fax); err != nil {
			return err
		}
	}
	return b.flush()
}

// phone returns a number from the 555-01xx block reserved for fiction.
func phone(r *rand.Rand) string { return phones[r.IntN(len(phones))] }

// phones and zips are formatted once: the generator picks millions.
var phones, zips = func() (p, z []string) {
	for i := range 100 {
		p = append(p, fmt.Sprintf("612-555-01%02d", i))
	}
	for i := range 1000 {
		z = append(z, fmt.Sprintf("55%03d", i))
	}
	return p, z
}()

func money(r *rand.Rand) float64 { return float64(r.IntN(5000)) / 100 }

// val is one value of a row, typed so that building millions of rows boxes
// nothing.
type val struct {
	kind byte // as param.kind
	n    int64
	s    string
}

var vnull = val{kind: 'n'}

func vi(n int) val     { return val{kind: 'i', n: int64(n)} }
func vf(f float64) val { return val{kind: 'f', n: int64(math.Float64bits(f))} }
func vs(s string) val  { return val{kind: 't', n: int64(len(s)), s: s} }
func nullable(s string) val {
	if s == "" {
		return vnull
	}
	return vs(s)
}

func nullableInt(n int) val {
	if n == 0 {
		return vnull
	}
	return vi(n)
}

// batch inserts rows many at a time with a prepared multi-row INSERT,
// which is much faster in SQLite than one statement per row.
type batch struct {
	w       *writer
	bulk    *bulkTable // set when the table is written as pages
	pos     []int      // the bulk table's column of each value
	err     error      // why the batch cannot be written
	table   string
	cols    int
	perStmt int
	head    string
	full    string // the statement for perStmt rows
	args    params
	rows    int
}

// maxBatchValues bounds the values of one batch (SQLite allows 32,766
// parameters to a statement).
const maxBatchValues = 30000

func newBatch(w *writer, table, cols string) *batch {
	n := strings.Count(cols, ",") + 1
	b := &batch{w: w, table: table, cols: n, perStmt: max(1, min(256, maxBatchValues/n)),
		head: "INSERT INTO " + table + " (" + cols + ") VALUES "}
	b.full = b.sql(b.perStmt)
	if t := w.loader.table(table); t != nil {
		b.bulk = t
		b.pos, b.err = t.columns(cols)
	}
	return b
}

func (b *batch) sql(rows int) string {
	row := "(" + strings.TrimSuffix(strings.Repeat("?,", b.cols), ",") + ")"
	return b.head + strings.TrimSuffix(strings.Repeat(row+",", rows), ",")
}

func (b *batch) add(vals ...val) error {
	if b.err != nil {
		return fmt.Errorf("inserting into %s: %w", b.table, b.err)
	}
	if len(vals) != b.cols {
		return fmt.Errorf("inserting into %s: %d values for %d columns", b.table, len(vals), b.cols)
	}
	if b.args.vals == nil {
		b.args = b.w.buffer(b.perStmt * b.cols)
	}
	for _, v := range vals {
		b.args.add(v)
	}
	b.rows++
	if b.rows < b.perStmt {
		return nil
	}
	return b.flush()
}

func (b *batch) flush() error {
	if b.rows == 0 {
		return nil
	}
	var err error
	if b.bulk != nil {
		err = b.w.sendRows("inserting into "+b.table, b.bulk, b.pos, b.args)
	} else {
		q := b.full
		if b.rows < b.perStmt {
			q = b.sql(b.rows)
		}
		err = b.w.send("inserting into "+b.table, q, b.args)
	}
	b.args, b.rows = params{}, 0 // the writer owns the sent values
	return err
}

// writer runs statements on one connection, in the order given, on its own
// goroutine. wait must be called once, after the last send.
type writer struct {
	ctx    context.Context
	conn   *rawConn
	loader *bulkLoader // nil: every table is written with SQL
	jobs   chan writeJob
	free   chan params // buffers the writer is done with, for the next batches
	done   chan struct{}
	err    error // the first failure; read only after done is closed
	failed atomic.Bool
}

type writeJob struct {
	what, query string
	args        params
	bulk        *bulkTable // rows for a bulk table instead of a query
	pos         []int
	fn          func() error // or a step to run on the writer's goroutine
}

// errWriterStopped stops the generator early; wait reports the cause.
var errWriterStopped = errors.New("a database write failed")

func startWriter(ctx context.Context, conn *rawConn, loader *bulkLoader) *writer {
	// Two statements queued keep SQLite busy while the generator builds the
	// next, and bound memory to a few megabytes.
	w := &writer{ctx: ctx, conn: conn, loader: loader, jobs: make(chan writeJob, 2), free: make(chan params, 8), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		w.loop()
		for range w.jobs {
			// drain after a failure, so send never blocks
		}
	}()
	return w
}

func (w *writer) loop() {
	// Profiles of a seed name the table or step each sample belongs to.
	defer pprof.SetGoroutineLabels(w.ctx)
	for j := range w.jobs {
		pprof.SetGoroutineLabels(pprof.WithLabels(w.ctx, pprof.Labels("seeding", j.what)))
		err := w.ctx.Err()
		switch {
		case err != nil:
		case j.fn != nil:
			err = j.fn()
		case j.bulk != nil:
			if err = w.loader.start(); err == nil {
				j.bulk.feed(w.loader, bulkRows{j.pos, j.args, w.recycle})
				continue // the table's goroutine takes it from here
			}
		case w.loader != nil && w.loader.started:
			// SQLite would allocate pages the loader has numbered.
			err = fmt.Errorf("an SQL write after the bulk pages began")
		default:
			err = w.conn.run(j.query, j.args)
		}
		w.recycle(j.args)
		if err != nil {
			if ctxErr := w.ctx.Err(); ctxErr != nil {
				err = ctxErr
			}
			w.err = fmt.Errorf("%s: %w", j.what, err)
			w.failed.Store(true)
			return
		}
	}
}

// exec queues a statement; it fails once an earlier one has failed.
func (w *writer) exec(what, query string, args ...val) error {
	var p params
	for _, v := range args {
		p.add(v)
	}
	return w.send(what, query, p)
}

func (w *writer) send(what, query string, args params) error {
	if w.failed.Load() {
		return errWriterStopped
	}
	w.jobs <- writeJob{what: what, query: query, args: args}
	return nil
}

// recycle keeps a buffer for the next batches.
func (w *writer) recycle(p params) {
	select {
	case w.free <- params{p.vals[:0], p.text[:0]}:
	default:
	}
}

// buffer returns an empty buffer for n values, reusing one the writer is
// done with: a big district fills millions of them.
func (w *writer) buffer(n int) params {
	select {
	case p := <-w.free:
		if cap(p.vals) >= n {
			return p
		}
	default:
	}
	n = max(n, maxBatchValues) // one size, so any buffer serves any batch
	return params{vals: make([]param, 0, n), text: make([]byte, 0, 16*n)}
}

// sendRows queues rows for a bulk table.
func (w *writer) sendRows(what string, t *bulkTable, pos []int, args params) error {
	if w.failed.Load() || w.loader.failed.Load() {
		return errWriterStopped
	}
	w.jobs <- writeJob{what: what, args: args, bulk: t, pos: pos}
	return nil
}

// do queues a step to run on the writer's goroutine, in turn; like a
// statement, its failure stops the writer and wait reports it.
func (w *writer) do(what string, fn func() error) error {
	if w.failed.Load() {
		return errWriterStopped
	}
	w.jobs <- writeJob{what: what, fn: fn}
	return nil
}

// wait runs the queued statements and returns the first failure.
func (w *writer) wait() error {
	close(w.jobs)
	<-w.done
	return w.err
}
