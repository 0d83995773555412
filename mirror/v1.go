package mirror

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	ps "github.com/pskit/pskit/powerschool"
)

// A /ws/v1 resource lands in the PowerSchool table that stores it, its
// fields renamed to that table's columns. /ws/v1 has no change filter, so
// such a table is reloaded whole when it may have changed: when the
// plugin may read the stored table's cursor through the table API, a
// probe (count and newest cursor, as for any table) tells; otherwise it is
// reloaded every run. See docs/sync.md for the mapping.

// v1Field maps a /ws/v1 field, by its dotted path, to a column.
type v1Field struct {
	path, column, typ string
}

// v1Resource is how one /ws/v1 resource is read and where it lands.
type v1Resource struct {
	// table is the PowerSchool table the rows land in; key is the column
	// its v1 id (a DCID) lands in ("": the table is reloaded keyless).
	table, key string
	// probe lists the tables whose counts and cursors show a change in
	// what the resource serves.
	probe []string
	// fill are columns /ws/v1 does not carry (STUDENTS.ID is not
	// STUDENTS.DCID), read by key through the table API when the plugin
	// may.
	fill []string
	// expansions are what a roster needs (a plan may name others).
	expansions []string
	fields     []v1Field
	// whole are blocks kept as one JSON text column (lists).
	whole []string
	// extra are the columns beyond fields: known fields with no
	// PowerSchool column (under their path), whole blocks, and columns
	// derived or added by the read. Any other field stays in _raw only,
	// so a table's columns are known before its first row (a Parquet
	// snapshot cannot grow while it is written).
	extra []Column
	// derive computes columns from others (PowerSchool's encodings).
	derive func(cols map[string]json.RawMessage)
	// shared says a record may be listed by several schools (a course two
	// schools offer, a teacher of two schools): it is written once.
	shared bool
	// list reads the resource's records.
	list func(ctx context.Context, s *source, opts *ps.ListOptions, yield func(v1Item, error) bool)
}

// v1Item is one /ws/v1 record and the columns its place adds (the school
// number of the school whose list held it).
type v1Item struct {
	raw   json.RawMessage
	extra map[string]json.RawMessage
}

// v1Resources are the /ws/v1 resources a plan may name.
var v1Resources = map[string]*v1Resource{
	"district": {
		table: "district",
		extra: textColumns("uuid", "name", "district_number", "addresses_physical_street", "addresses_physical_city",
			"addresses_physical_state_province", "addresses_physical_postal_code", "phones_main_number", "phones_fax_number"),
		list: func(ctx context.Context, s *source, opts *ps.ListOptions, yield func(v1Item, error) bool) {
			s.requests.Add(1)
			d, err := s.c.District(ctx, opts.Expansions...)
			if err != nil {
				yield(v1Item{}, err)
				return
			}
			yield(v1Item{raw: json.RawMessage(d.Raw)}, nil)
		},
	},
	"schools": {
		table: "schools", key: "dcid", probe: []string{"schools"}, fill: []string{"id"},
		fields: []v1Field{
			{"id", "dcid", TypeInt}, {"name", "name", TypeText}, {"school_number", "school_number", TypeInt},
			{"low_grade", "low_grade", TypeInt}, {"high_grade", "high_grade", TypeInt},
			{"alternate_school_number", "alternate_school_number", TypeInt},
			{"addresses.physical.street", "schooladdress", TypeText}, {"addresses.physical.city", "schoolcity", TypeText},
			{"addresses.physical.state_province", "schoolstate", TypeText}, {"addresses.physical.postal_code", "schoolzip", TypeText},
			{"phones.main.number", "schoolphone", TypeText}, {"principal.email", "principalemail", TypeText},
		},
		extra: textColumns("state_province_id", "principal_name_first_name", "principal_name_last_name"),
		list: func(ctx context.Context, s *source, opts *ps.ListOptions, yield func(v1Item, error) bool) {
			listRaw(s, s.c.Schools.List(ctx, s.v1Opts(opts)), func(x ps.School) json.RawMessage { return x.Raw }, nil, yield)
		},
	},
	"students": {
		table: "students", key: "dcid", probe: []string{"students"}, fill: []string{"id"},
		expansions: []string{"demographics", "school_enrollment", "contact_info"},
		fields: []v1Field{
			{"id", "dcid", TypeInt}, {"local_id", "student_number", TypeInt}, {"student_username", "student_web_id", TypeText},
			{"state_province_id", "state_studentnumber", TypeText},
			{"name.first_name", "first_name", TypeText}, {"name.middle_name", "middle_name", TypeText}, {"name.last_name", "last_name", TypeText},
			{"demographics.gender", "gender", TypeText}, {"demographics.birth_date", "dob", TypeText},
			{"demographics.projected_graduation_year", "classof", TypeInt}, {"demographics.district_entry_date", "districtentrydate", TypeText},
			{"addresses.physical.street", "street", TypeText}, {"addresses.physical.city", "city", TypeText},
			{"addresses.physical.state_province", "state", TypeText}, {"addresses.physical.postal_code", "zip", TypeText},
			{"addresses.mailing.street", "mailing_street", TypeText}, {"addresses.mailing.city", "mailing_city", TypeText},
			{"addresses.mailing.state_province", "mailing_state", TypeText}, {"addresses.mailing.postal_code", "mailing_zip", TypeText},
			{"phones.main.number", "home_phone", TypeText},
			// STUDENTS.ENROLL_STATUS is the code (0 active, -1 pre-registered,
			// 2 transferred, 3 graduated, 4 historical); the letter keeps its
			// v1 path.
			{"school_enrollment.enroll_status_code", "enroll_status", TypeInt},
			{"school_enrollment.grade_level", "grade_level", TypeInt},
			{"school_enrollment.entry_date", "entrydate", TypeText}, {"school_enrollment.exit_date", "exitdate", TypeText},
			// STUDENTS.SCHOOLID is the school's number; school_id is its DCID.
			{"school_enrollment.school_number", "schoolid", TypeInt}, {"school_enrollment.school_id", "school_dcid", TypeInt},
			{"school_enrollment.entry_code", "entrycode", TypeText}, {"school_enrollment.entry_comment", "entrycomment", TypeText},
			{"school_enrollment.exit_code", "exitcode", TypeText}, {"school_enrollment.exit_comment", "exitcomment", TypeText},
			{"school_enrollment.full_time_equivalency.fteid", "fteid", TypeInt},
			{"ethnicity_race.scheduling_reporting_ethnicity", "ethnicity", TypeText},
			{"initial_enrollment.district_entry_grade_level", "districtentrygradelevel", TypeInt},
			{"initial_enrollment.district_entry_date", "districtentrydate", TypeText},
			{"initial_enrollment.school_entry_date", "schoolentrydate", TypeText},
			{"initial_enrollment.school_entry_grade_level", "schoolentrygradelevel", TypeInt},
			{"schedule_setup.home_room", "home_room", TypeText}, {"schedule_setup.next_school", "next_school", TypeInt},
			{"schedule_setup.sched_next_year_grade", "sched_nextyeargrade", TypeInt},
			{"contact.emergency_contact_name1", "emerg_contact_1", TypeText}, {"contact.emergency_phone1", "emerg_phone_1", TypeText},
			{"contact.emergency_contact_name2", "emerg_contact_2", TypeText}, {"contact.emergency_phone2", "emerg_phone_2", TypeText},
			{"contact.guardian_email", "guardianemail", TypeText}, {"contact.guardian_fax", "guardianfax", TypeText},
			{"contact.mother", "mother", TypeText}, {"contact.father", "father", TypeText},
			{"contact.doctor_name", "doctor_name", TypeText}, {"contact.doctor_phone", "doctor_phone", TypeText},
			{"lunch.balance_1", "balance1", TypeFloat}, {"lunch.balance_2", "balance2", TypeFloat},
			{"lunch.balance_3", "balance3", TypeFloat}, {"lunch.balance_4", "balance4", TypeFloat},
			{"lunch.lunch_id", "lunch_id", TypeInt}, {"lunch.last_meal", "lastmeal", TypeText},
		},
		whole: []string{"fees", "_extension_data"},
		extra: append(textColumns("school_enrollment_enroll_status", "school_enrollment_enroll_status_description",
			"school_enrollment_full_time_equivalency_name", "contact_info_email", "ethnicity_race_federal_ethnicity", "fees", "_extension_data"),
			Column{Name: "fedethnicity", Type: TypeInt}),
		derive: func(cols map[string]json.RawMessage) {
			// STUDENTS.FEDETHNICITY is 1 or 0; /ws/v1 says YES or NO.
			if v, ok := text(cols["ethnicity_race_federal_ethnicity"]); ok {
				switch strings.ToUpper(v) {
				case "YES":
					cols["fedethnicity"] = json.RawMessage("1")
				case "NO":
					cols["fedethnicity"] = json.RawMessage("0")
				}
			}
		},
		list: func(ctx context.Context, s *source, opts *ps.ListOptions, yield func(v1Item, error) bool) {
			listRaw(s, s.c.Students.List(ctx, s.v1Opts(opts)), func(x ps.Student) json.RawMessage { return x.Raw }, nil, yield)
		},
	},
	// A staff member is listed by each school they belong to; the row is
	// theirs in USERS (one per person), keyed by users_dcid.
	"staff": {
		table: "users", key: "dcid", probe: []string{"users", "schoolstaff"}, shared: true,
		expansions: []string{"emails", "school_affiliations"},
		fields: []v1Field{
			{"users_dcid", "dcid", TypeInt}, {"id", "staff_dcid", TypeInt}, {"local_id", "teachernumber", TypeText},
			{"admin_username", "loginid", TypeText}, {"teacher_username", "teacherloginid", TypeText},
			{"name.first_name", "first_name", TypeText}, {"name.middle_name", "middle_name", TypeText}, {"name.last_name", "last_name", TypeText},
			{"emails.work_email", "email_addr", TypeText}, {"phones.home_phone", "home_phone", TypeText},
			{"addresses.home.street", "street", TypeText}, {"addresses.home.city", "city", TypeText},
			{"addresses.home.state_province", "state", TypeText}, {"addresses.home.postal_code", "zip", TypeText},
		},
		whole: []string{"school_affiliations"},
		extra: textColumns("school_affiliations"),
		list: func(ctx context.Context, s *source, opts *ps.ListOptions, yield func(v1Item, error) bool) {
			perSchool(ctx, s, yield, func(sc ps.School) bool {
				return listRaw(s, s.c.Staff.List(ctx, int64(sc.ID), s.v1Opts(opts)), func(x ps.Staff) json.RawMessage { return x.Raw }, nil, yield)
			})
		},
	},
	"sections": {
		table: "sections", key: "dcid", probe: []string{"sections"}, fill: []string{"id"},
		fields: []v1Field{
			{"id", "dcid", TypeInt}, {"section_number", "section_number", TypeText}, {"expression", "expression", TypeText},
			{"external_expression", "external_expression", TypeText}, {"gradebooktype", "gradebooktype", TypeText},
			{"school_id", "school_dcid", TypeInt}, {"course_id", "course_dcid", TypeInt},
			{"term_id", "term_dcid", TypeInt}, {"staff_id", "staff_dcid", TypeInt},
		},
		extra: []Column{{Name: "schoolid", Type: TypeInt}},
		list: func(ctx context.Context, s *source, opts *ps.ListOptions, yield func(v1Item, error) bool) {
			perSchool(ctx, s, yield, func(sc ps.School) bool {
				return listRaw(s, s.c.Sections.List(ctx, int64(sc.ID), s.v1Opts(opts)), func(x ps.Section) json.RawMessage { return x.Raw }, schoolOf(sc), yield)
			})
		},
	},
	// Courses are the district's; each school lists those it offers.
	"courses": {
		table: "courses", key: "dcid", probe: []string{"courses"}, fill: []string{"id"}, shared: true,
		fields: []v1Field{{"id", "dcid", TypeInt}, {"course_number", "course_number", TypeText}, {"course_name", "course_name", TypeText}},
		list: func(ctx context.Context, s *source, opts *ps.ListOptions, yield func(v1Item, error) bool) {
			perSchool(ctx, s, yield, func(sc ps.School) bool {
				return listRaw(s, s.c.Courses.List(ctx, int64(sc.ID), s.v1Opts(opts)), func(x ps.Course) json.RawMessage { return x.Raw }, nil, yield)
			})
		},
	},
	"terms": {
		table: "terms", key: "dcid", probe: []string{"terms"}, fill: []string{"id"},
		fields: []v1Field{
			{"id", "dcid", TypeInt}, {"school_id", "school_dcid", TypeInt}, {"start_year", "start_year", TypeInt},
			{"portion", "portion", TypeInt}, {"start_date", "firstday", TypeText}, {"end_date", "lastday", TypeText},
			{"abbreviation", "abbreviation", TypeText}, {"name", "name", TypeText},
		},
		extra: []Column{{Name: "yearid", Type: TypeInt}, {Name: "schoolid", Type: TypeInt}},
		derive: func(cols map[string]json.RawMessage) {
			// TERMS.YEARID is the school year's start less 1990 (35 is 2025-26).
			if v, ok := text(cols["start_year"]); ok {
				if y, err := strconv.Atoi(v); err == nil {
					cols["yearid"] = json.RawMessage(strconv.Itoa(y - 1990))
				}
			}
		},
		list: func(ctx context.Context, s *source, opts *ps.ListOptions, yield func(v1Item, error) bool) {
			perSchool(ctx, s, yield, func(sc ps.School) bool {
				return listRaw(s, s.c.Terms.List(ctx, int64(sc.ID), s.v1Opts(opts)), func(x ps.Term) json.RawMessage { return x.Raw }, schoolOf(sc), yield)
			})
		},
	},
	// Section enrollments are CC rows, listed section by section.
	"section_enrollments": {
		table: "cc", key: "dcid", probe: []string{"cc"}, fill: []string{"id", "studentid", "sectionid"},
		fields: []v1Field{
			{"id", "dcid", TypeInt}, {"section_id", "section_dcid", TypeInt}, {"student_id", "student_dcid", TypeInt},
			{"entry_date", "dateenrolled", TypeText}, {"exit_date", "dateleft", TypeText}, {"dropped", "dropped", TypeText},
		},
		extra: []Column{{Name: "schoolid", Type: TypeInt}},
		list: func(ctx context.Context, s *source, opts *ps.ListOptions, yield func(v1Item, error) bool) {
			perSchool(ctx, s, yield, func(sc ps.School) bool {
				var ids []int64
				for sec, err := range s.c.Sections.List(ctx, int64(sc.ID), s.v1Opts(&ps.ListOptions{})) {
					if err != nil {
						yield(v1Item{}, fmt.Errorf("listing the sections of school %d: %w", int64(sc.ID), err))
						return false
					}
					ids = append(ids, int64(sec.ID))
				}
				return s.sectionEnrollments(ctx, ids, opts, schoolOf(sc), yield)
			})
		},
	},
}

// V1Resources lists the /ws/v1 resources a plan may name.
func V1Resources() []string {
	names := make([]string, 0, len(v1Resources))
	for n := range v1Resources {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// V1Table is the PowerSchool table a /ws/v1 resource lands in.
func V1Table(resource string) (string, bool) {
	r, ok := v1Resources[strings.ToLower(resource)]
	if !ok {
		return "", false
	}
	return r.table, true
}

func textColumns(names ...string) []Column {
	out := make([]Column, len(names))
	for i, n := range names {
		out[i] = Column{Name: n, Type: TypeText}
	}
	return out
}

// schoolOf is the SCHOOLID (the school's number) of rows a school's list
// holds.
func schoolOf(sc ps.School) map[string]json.RawMessage {
	return map[string]json.RawMessage{"schoolid": json.RawMessage(strconv.FormatInt(int64(sc.SchoolNumber), 10))}
}

// v1Opts adds the request counting to a list's options: the SDK counts
// before and after the pages, and reports each page.
func (s *source) v1Opts(opts *ps.ListOptions) *ps.ListOptions {
	o := *opts
	s.requests.Add(2)
	o.Progress = func(p ps.Progress) {
		s.requests.Add(1)
		if opts.Progress != nil {
			opts.Progress(p)
		}
	}
	return &o
}

// listRaw hands each record's JSON to yield; false when yield stopped.
func listRaw[T any](s *source, seq iter.Seq2[T, error], raw func(T) json.RawMessage, extra map[string]json.RawMessage, yield func(v1Item, error) bool) bool {
	for x, err := range seq {
		if err != nil {
			yield(v1Item{}, err)
			return false
		}
		if !yield(v1Item{raw: raw(x), extra: extra}, nil) {
			return false
		}
	}
	return true
}

// sectionConcurrency is how many sections' enrollments are read at once:
// a section's list is a count, a page and a count, so one at a time would
// wait on each request in turn. The client's throttle paces them all.
const sectionConcurrency = 4

// sectionEnrollments reads the enrollments of the sections,
// sectionConcurrency sections at a time, and yields them section by
// section; false when yield stopped or a read failed.
func (s *source) sectionEnrollments(ctx context.Context, ids []int64, opts *ps.ListOptions, extra map[string]json.RawMessage, yield func(v1Item, error) bool) bool {
	ctx, cancel := context.WithCancel(ctx)
	type result struct {
		items []v1Item
		err   error
	}
	jobs := make(chan int64)
	results := make(chan result)
	var wg sync.WaitGroup
	for range min(sectionConcurrency, len(ids)) {
		wg.Go(func() {
			for id := range jobs {
				var r result
				for x, err := range s.c.SectionEnrollments.List(ctx, id, s.v1Opts(opts)) {
					if err != nil {
						r.err = fmt.Errorf("section %d: %w", id, err)
						break
					}
					r.items = append(r.items, v1Item{raw: x.Raw, extra: extra})
				}
				select {
				case results <- r:
				case <-ctx.Done():
					return
				}
			}
		})
	}
	go func() {
		defer close(jobs)
		for _, id := range ids {
			select {
			case jobs <- id:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() { wg.Wait(); close(results) }()
	// No reader outlives the call: on an early return, stop them and wait.
	defer func() {
		cancel()
		for range results {
		}
	}()
	for r := range results {
		if r.err != nil {
			yield(v1Item{}, r.err)
			return false
		}
		for _, it := range r.items {
			if !yield(it, nil) {
				return false
			}
		}
	}
	return ctx.Err() == nil
}

// perSchool runs each for every school of the district.
func perSchool(ctx context.Context, s *source, yield func(v1Item, error) bool, each func(ps.School) bool) {
	var schools []ps.School
	for sc, err := range s.c.Schools.List(ctx, s.v1Opts(&ps.ListOptions{})) {
		if err != nil {
			yield(v1Item{}, fmt.Errorf("listing the schools: %w", err))
			return
		}
		schools = append(schools, sc)
	}
	for _, sc := range schools {
		if !each(sc) {
			return
		}
	}
}

// v1Schema is the target schema of a resource: its mapped columns, its
// extra columns and its fill columns.
func v1Schema(spec TableSpec, res *v1Resource) Schema {
	sch := Schema{Table: strLower(spec.Name), Key: res.key}
	seen := map[string]bool{}
	add := func(name, typ string) {
		if !seen[name] {
			seen[name] = true
			sch.Columns = append(sch.Columns, Column{Name: name, Type: typ})
		}
	}
	for _, f := range res.fields {
		add(f.column, f.typ)
	}
	for _, c := range res.extra {
		add(c.Name, c.Type)
	}
	for _, c := range res.fill { // NULL when the plugin may not read them
		add(c, TypeInt)
	}
	return sch
}

// flattenV1 turns a /ws/v1 record into columns: mapped fields under their
// PowerSchool names, every other field under its path with dots as _
// (contact_info_email); v1Records keeps those the schema has. "@" keys and
// empty blocks ("") are left out; a block in res.whole is kept as JSON
// text.
func flattenV1(res *v1Resource, raw json.RawMessage) (map[string]json.RawMessage, error) {
	cols := map[string]json.RawMessage{}
	rename := make(map[string]string, len(res.fields))
	for _, f := range res.fields {
		rename[f.path] = f.column
	}
	var walk func(prefix string, b json.RawMessage) error
	walk = func(prefix string, b json.RawMessage) error {
		var m map[string]json.RawMessage
		d := json.NewDecoder(bytes.NewReader(b))
		d.UseNumber()
		if err := d.Decode(&m); err != nil {
			return err
		}
		for k, v := range m {
			if strings.HasPrefix(k, "@") {
				continue
			}
			path := strings.ToLower(k)
			if prefix != "" {
				path = prefix + "." + path
			}
			v = bytes.TrimSpace(v)
			if len(v) == 0 || string(v) == "null" || string(v) == `""` {
				continue
			}
			if v[0] == '{' && !slices.Contains(res.whole, path) {
				if err := walk(path, v); err != nil {
					return err
				}
				continue
			}
			col, ok := rename[path]
			if !ok {
				col = strings.ReplaceAll(path, ".", "_")
			}
			if _, taken := cols[col]; !taken || ok {
				cols[col] = v
			}
		}
		return nil
	}
	if err := walk("", raw); err != nil {
		return nil, fmt.Errorf("a /ws/v1 %s record is not a JSON object: %w", res.table, err)
	}
	if res.derive != nil {
		res.derive(cols)
	}
	return cols, nil
}

// v1Records reads a resource whole, as records row() can take: the
// flattened fields, the fill columns by key, and the record's JSON as
// PowerSchool sent it.
func (s *source) v1Records(ctx context.Context, spec TableSpec, sch Schema, progress func(table string, done, total int)) iter.Seq2[ps.SchemaRecord, error] {
	res := v1Resources[strings.ToLower(spec.Resource)]
	return func(yield func(ps.SchemaRecord, error) bool) {
		fills, err := s.v1Fill(ctx, res, sch)
		if err != nil {
			yield(ps.SchemaRecord{}, err)
			return
		}
		opts := &ps.ListOptions{Expansions: res.expansions}
		if len(spec.Expansions) > 0 {
			opts.Expansions = spec.Expansions
		}
		done := 0
		seen := map[string]bool{} // keys of a shared resource already written
		res.list(ctx, s, opts, func(it v1Item, err error) bool {
			if err != nil {
				return yield(ps.SchemaRecord{}, fmt.Errorf("reading /ws/v1 %s: %w", spec.Resource, err))
			}
			cols, err := flattenV1(res, it.raw)
			if err != nil {
				return yield(ps.SchemaRecord{}, err)
			}
			for k, v := range it.extra {
				cols[k] = v
			}
			for k := range cols {
				if _, ok := sch.Col(k); !ok {
					delete(cols, k) // kept in _raw
				}
			}
			if res.key != "" {
				k, _ := text(cols[res.key])
				if res.shared {
					if seen[k] {
						return true
					}
					seen[k] = true
				}
				for c, v := range fills[k] {
					cols[c] = v
				}
			}
			done++
			if progress != nil && done%100 == 0 {
				progress(sch.Table, done, 0)
			}
			return yield(ps.SchemaRecord{Fields: cols, Raw: it.raw}, nil)
		})
	}
}

// v1Fill reads the fill columns the schema holds through the table API,
// by key: the columns /ws/v1 does not carry.
func (s *source) v1Fill(ctx context.Context, res *v1Resource, sch Schema) (map[string]map[string]json.RawMessage, error) {
	cols := s.fill
	if len(cols) == 0 || res.key == "" {
		return nil, nil
	}
	out := map[string]map[string]json.RawMessage{}
	opts := &ps.TableListOptions{PageSize: s.pageSize, Concurrency: s.workers(), Projection: append([]string{res.key}, cols...), Sort: res.key,
		Progress: func(ps.Progress) { s.requests.Add(1) }}
	s.requests.Add(2)
	for rec, err := range s.c.Tables.List(ctx, res.table, opts) {
		if err != nil {
			return nil, fmt.Errorf("reading %s of %s through the table API: %w", strings.Join(cols, ", "), res.table, err)
		}
		r, err := row(Schema{Table: res.table, Key: res.key}, rec)
		if err != nil {
			return nil, err
		}
		vals := make(map[string]json.RawMessage, len(cols))
		for _, c := range cols {
			if v, ok := r.Values[c]; ok {
				vals[c] = json.RawMessage(strconv.Quote(v))
			}
		}
		out[r.Key] = vals
	}
	return out, nil
}

// v1Probe is the probe of a table read through /ws/v1. On a first or full
// sync it reads the metadata of the resource's stored tables: the columns
// the plugin may also read through the table API are filled, and when it
// may read each table's cursor, the tables' counts and newest cursors make
// the signature that says whether anything changed. Without it the table
// is reloaded every run.
func (p *probe) runV1(ctx context.Context, plan Plan, spec TableSpec) error {
	res := v1Resources[strings.ToLower(spec.Resource)]
	st := p.st
	p.described = true // no metadata to grow from: new fields land as text
	// The state's cursor is "table:cursor,...|fill,...": what the plugin
	// may read through the table API, found on the first sync.
	if st != nil && !plan.Full && len(st.Schema.Columns) > 0 && v1State(st) {
		p.sch, p.cursor = st.Schema, st.Cursor
	} else {
		fill, cursors, err := p.src.v1Access(ctx, res)
		if err != nil {
			return err
		}
		p.sch, p.cursor = v1Schema(spec, res), cursors+"|"+strings.Join(fill, ",")
	}
	probes, fill, _ := strings.Cut(p.cursor, "|")
	if fill != "" {
		p.src.fill = strings.Split(fill, ",")
	}
	p.probedAt = time.Now().UTC()
	if probes == "" || spec.Strategy == StrategyFull {
		return nil
	}
	var sig []string
	for i, tc := range strings.Split(probes, ",") {
		table, cursor, _ := strings.Cut(tc, ":")
		n, err := p.src.count(ctx, table)
		if err != nil {
			return err
		}
		newest, err := p.src.newest(ctx, Schema{Table: table}, cursor)
		if err != nil {
			return err
		}
		if i == 0 {
			p.remote = n
		}
		sig = append(sig, fmt.Sprintf("%s:%d:%s", table, n, newest))
	}
	p.newest = strings.Join(sig, ";")
	if st != nil && !plan.Full && !plan.VerifyDeletes && st.Cursor == p.cursor && st.Watermark == p.newest {
		p.tr.Strategy, p.tr.Watermark = StrategyUnchanged, p.newest
	}
	return nil
}

// v1State reports whether a table's saved state comes from a /ws/v1 read
// (its cursor is "table:cursor,...|fill,..."): a table moved from one
// source to the other learns its source's state afresh.
func v1State(st *State) bool { return strings.Contains(st.Cursor, "|") }

// v1Access reads the metadata of the resource's stored tables: which fill
// columns the plugin may read, and "table:cursor,..." when it may read the
// cursor of every probe table ("" otherwise). A table the plugin may not
// read at all is not an error: /ws/v1 alone is enough.
func (s *source) v1Access(ctx context.Context, res *v1Resource) (fill []string, cursors string, err error) {
	var probes []string
	for i, table := range res.probe {
		var m tableMeta
		s.requests.Add(1)
		if err := s.c.Do(ctx, "GET", tablePath(table)+"/metadata", nil, nil, &m); err != nil {
			var api *ps.APIError
			if errors.As(err, &api) && (api.StatusCode == 403 || api.StatusCode == 404) {
				return fill, "", nil
			}
			return nil, "", fmt.Errorf("reading the metadata of %s: %w", table, err)
		}
		readable := map[string]bool{}
		for _, c := range m.Columns {
			if !strings.EqualFold(c.Access, "NoAccess") && !strings.EqualFold(c.Access, "BlackListNoAccess") {
				readable[strings.ToLower(c.Name)] = true
			}
		}
		if i == 0 && readable[res.key] {
			for _, c := range res.fill {
				if readable[c] {
					fill = append(fill, c)
				}
			}
		}
		cursor := ""
		for _, c := range cursorColumns {
			if readable[c] {
				cursor = c
				break
			}
		}
		if cursor == "" {
			return fill, "", nil
		}
		probes = append(probes, table+":"+cursor)
	}
	return fill, strings.Join(probes, ","), nil
}
