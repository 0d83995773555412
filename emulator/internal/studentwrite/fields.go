package studentwrite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
)

type kind int

const (
	kText kind = iota
	kInt
	kDate
	kEnrollStatus
)

// fieldSpec maps a /ws/v1 student field (path below "student") to its
// STUDENTS column, as the emulator's GET /ws/v1/student renders them.
type fieldSpec struct {
	path  string
	col   string
	kind  kind
	label string // for REQUIRED_* descriptions
}

var fieldSpecs = []fieldSpec{
	{"local_id", "STUDENT_NUMBER", kInt, "Local id"},
	{"student_username", "STUDENT_WEB_ID", kText, "Student username"},
	{"state_province_id", "STATE_STUDENTNUMBER", kText, "State id"},
	{"name/first_name", "FIRST_NAME", kText, "First name"},
	{"name/middle_name", "MIDDLE_NAME", kText, "Middle name"},
	{"name/last_name", "LAST_NAME", kText, "Last name"},
	{"demographics/gender", "GENDER", kText, "Gender"},
	{"demographics/birth_date", "DOB", kDate, "Birth date"},
	{"demographics/projected_graduation_year", "CLASSOF", kInt, "Projected graduation year"},
	{"school_enrollment/grade_level", "GRADE_LEVEL", kInt, "Grade level"},
	{"school_enrollment/entry_date", "ENTRYDATE", kDate, "Entry date"},
	{"school_enrollment/exit_date", "EXITDATE", kDate, "Exit date"},
	{"school_enrollment/school_number", "SCHOOLID", kInt, "School number"},
	{"school_enrollment/enroll_status", "ENROLL_STATUS", kEnrollStatus, "Enroll status"},
	{"school_enrollment/enroll_status_code", "ENROLL_STATUS", kInt, "Enroll status code"},
	{"school_enrollment/entry_code", "ENTRYCODE", kText, "Entry code"},
	{"school_enrollment/entry_comment", "ENTRYCOMMENT", kText, "Entry comment"},
	{"school_enrollment/fteid", "FTEID", kInt, "FTE id"},
	{"phones/main/number", "HOME_PHONE", kText, "Phone number"},
	{"contact/guardian_email", "GUARDIANEMAIL", kText, "Guardian email"},
	{"contact/guardian_fax", "GUARDIANFAX", kText, "Guardian fax"},
	{"contact/mother", "MOTHER", kText, "Mother"},
	{"contact/father", "FATHER", kText, "Father"},
	{"contact/emergency_contact_name1", "EMERG_CONTACT_1", kText, "Emergency contact"},
	{"contact/emergency_phone1", "EMERG_PHONE_1", kText, "Emergency phone"},
	{"contact/emergency_contact_name2", "EMERG_CONTACT_2", kText, "Emergency contact"},
	{"contact/emergency_phone2", "EMERG_PHONE_2", kText, "Emergency phone"},
	{"contact/doctor_name", "DOCTOR_NAME", kText, "Doctor name"},
	{"contact/doctor_phone", "DOCTOR_PHONE", kText, "Doctor phone"},
	{"initial_enrollment/district_entry_date", "DISTRICTENTRYDATE", kDate, "District entry date"},
	{"initial_enrollment/district_entry_grade_level", "DISTRICTENTRYGRADELEVEL", kInt, "District entry grade level"},
	{"initial_enrollment/school_entry_date", "SCHOOLENTRYDATE", kDate, "School entry date"},
	{"initial_enrollment/school_entry_grade_level", "SCHOOLENTRYGRADELEVEL", kInt, "School entry grade level"},
	{"schedule_setup/home_room", "HOME_ROOM", kText, "Home room"},
	{"schedule_setup/next_school", "NEXT_SCHOOL", kInt, "Next school"},
	{"schedule_setup/sched_next_year_grade", "SCHED_NEXTYEARGRADE", kInt, "Next year grade"},
}

// requiredOnInsert are the fields an INSERT must carry (reference §3.7).
var requiredOnInsert = []string{"name/last_name", "name/first_name", "school_enrollment/grade_level",
	"school_enrollment/entry_date", "school_enrollment/exit_date", "school_enrollment/school_number"}

// addressBlocks must be sent whole: every part is required once the block
// is present (FSE: REQUIRED_PHYSICAL_STREET).
var addressBlocks = map[string][][2]string{
	"physical": {{"street", "STREET"}, {"city", "CITY"}, {"state_province", "STATE"}, {"postal_code", "ZIP"}},
	"mailing":  {{"street", "MAILING_STREET"}, {"city", "MAILING_CITY"}, {"state_province", "MAILING_STATE"}, {"postal_code", "MAILING_ZIP"}},
}

var addressLabels = map[string]string{"street": "Name of the street", "city": "City", "state_province": "State or province", "postal_code": "Postal code"}

// enrollStatusCodes maps the letters an insert may send to ENROLL_STATUS
// (A active, I inactive, P pre-registered, H historical).
var enrollStatusCodes = map[string]int64{"A": 0, "I": 1, "P": -1, "H": 4}

// change is the STUDENTS columns a record sets, in a stable order.
type change struct {
	cols   map[string]any
	order  []string
	school *int64
}

func (c *change) set(col string, v any) {
	if _, ok := c.cols[col]; !ok {
		c.order = append(c.order, col)
	}
	c.cols[col] = v
}

// lookup walks a slash path through nested objects.
func lookup(s map[string]any, path string) (any, bool) {
	var cur any = s
	for _, p := range strings.Split(path, "/") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[p]; !ok {
			return nil, false
		}
	}
	return cur, true
}

func present(v any, ok bool) bool {
	if !ok || v == nil {
		return false
	}
	if s, isStr := v.(string); isStr && strings.TrimSpace(s) == "" {
		return false
	}
	return true
}

// changes validates a record's fields and collects its column values.
// Unknown fields are ignored.
func changes(s map[string]any, insert bool) (*change, []fieldError) {
	ch := &change{cols: map[string]any{}}
	var errs []fieldError
	if insert {
		for _, p := range requiredOnInsert {
			if v, ok := lookup(s, p); !present(v, ok) {
				label := p
				for _, f := range fieldSpecs {
					if f.path == p {
						label = f.label
					}
				}
				name := p[strings.LastIndex(p, "/")+1:]
				errs = append(errs, fieldError{"student/" + p, "REQUIRED_" + strings.ToUpper(name), label + " is required."})
			}
		}
		_, hasStatus := lookup(s, "school_enrollment/enroll_status")
		_, hasCode := lookup(s, "school_enrollment/enroll_status_code")
		if hasStatus && hasCode {
			errs = append(errs, fieldError{"student/school_enrollment/enroll_status", "INVALID_ENROLL_STATUS", "Send enroll_status or enroll_status_code, not both."})
		}
	}
	for _, f := range fieldSpecs {
		v, ok := lookup(s, f.path)
		if !ok {
			continue
		}
		if v == nil || str(v) == "" && f.kind != kText {
			ch.set(f.col, nil)
			continue
		}
		switch f.kind {
		case kText:
			if _, isObj := v.(map[string]any); isObj {
				errs = append(errs, fieldError{"student/" + f.path, "INVALID_VALUE", f.label + " must be a value, not an object."})
				continue
			}
			ch.set(f.col, str(v))
		case kInt:
			n, ok := intOf(v)
			if !ok {
				errs = append(errs, fieldError{"students/" + f.path, "INVALID_NUMBER_VALUE", f.label + " must be a whole number."})
				continue
			}
			if f.path == "school_enrollment/enroll_status_code" && insert && (n == 2 || n == 3) {
				errs = append(errs, fieldError{"student/" + f.path, "INVALID_ENROLL_STATUS", "A new student cannot be transferred out (2) or graduated (3)."})
				continue
			}
			if f.col == "SCHOOLID" {
				ch.school = &n
			}
			ch.set(f.col, n)
		case kDate:
			d, ok := parseDate(str(v))
			if !ok {
				errs = append(errs, fieldError{"students/" + f.path, "INVALID_DATE_VALUE", "Date value or date format is invalid."})
				continue
			}
			ch.set(f.col, d)
		case kEnrollStatus:
			code, ok := enrollStatusCodes[strings.ToUpper(strings.TrimSpace(str(v)))]
			if !ok {
				errs = append(errs, fieldError{"student/" + f.path, "INVALID_ENROLL_STATUS", "Enroll status must be A, I, P or H."})
				continue
			}
			ch.set(f.col, code)
		}
	}
	for block, parts := range addressBlocks {
		v, ok := lookup(s, "addresses/"+block)
		if !ok || v == nil || v == "" {
			continue
		}
		m, isObj := v.(map[string]any)
		if !isObj {
			errs = append(errs, fieldError{"student/addresses/" + block, "INVALID_VALUE", "The " + block + " address must be an object."})
			continue
		}
		for _, p := range parts {
			val, ok := m[p[0]]
			if !present(val, ok) {
				errs = append(errs, fieldError{"student/addresses/" + block + "/" + p[0],
					"REQUIRED_" + strings.ToUpper(block+"_"+p[0]), addressLabels[p[0]] + " is required."})
				continue
			}
			ch.set(p[1], str(val))
		}
	}
	entry, hasEntry := ch.cols["ENTRYDATE"].(string)
	exit, hasExit := ch.cols["EXITDATE"].(string)
	if hasEntry && hasExit && exit <= entry {
		errs = append(errs, fieldError{"student/school_enrollment/exit_date", "INVALID_EXIT_DATE", "Exit date must be after the entry date."})
	}
	for _, col := range []string{"FIRST_NAME", "LAST_NAME"} {
		if v, set := ch.cols[col]; set && (v == nil || v == "") && !insert {
			errs = append(errs, fieldError{"student/name/" + strings.ToLower(col), "REQUIRED_" + col, "First and last name cannot be removed."})
		}
	}
	return ch, errs
}

// checkSchool verifies school_number names a school.
func (c *change) checkSchool(ctx context.Context, tx *sql.Tx) []fieldError {
	if c.school == nil {
		return nil
	}
	var one int
	if err := tx.QueryRowContext(ctx, `SELECT 1 FROM SCHOOLS WHERE SCHOOL_NUMBER = ?`, *c.school).Scan(&one); err != nil {
		return []fieldError{{"student/school_enrollment/school_number", "INVALID_SCHOOL_NUMBER", fmt.Sprintf("No school has number %d.", *c.school)}}
	}
	return nil
}

// extRow is one _table_extension of a record.
type extRow struct {
	table  string
	fields []string
	values []any
}

// asList reads a JSON value that is an object or a list of objects, the
// XML-to-JSON form PowerSchool uses for _table_extension and _field.
func asList(v any) []map[string]any {
	switch t := v.(type) {
	case map[string]any:
		return []map[string]any{t}
	case []any:
		var out []map[string]any
		for _, e := range t {
			if m, ok := e.(map[string]any); ok {
				out = append(out, m)
			}
		}
		return out
	}
	return nil
}

// extensionChanges reads _extension_data. Tables not named in the request's
// extensions= are skipped silently, as on PowerSchool (FSE).
func extensionChanges(s map[string]any, exts map[string]bool) ([]extRow, []fieldError) {
	data, ok := s["_extension_data"].(map[string]any)
	if !ok {
		return nil, nil
	}
	var rows []extRow
	var errs []fieldError
	for _, te := range asList(data["_table_extension"]) {
		name := strings.ToLower(strings.TrimSpace(str(te["name"])))
		if !exts[name] {
			continue
		}
		row := extRow{table: name}
		for _, f := range asList(te["_field"]) {
			fn := strings.ToLower(strings.TrimSpace(str(f["name"])))
			if fn == "" {
				errs = append(errs, fieldError{"student/_extension_data/" + name, "INVALID_EXTENSION_FIELD", "Every _field needs a name."})
				continue
			}
			var val any
			switch v := f["value"].(type) {
			case nil:
			case json.Number:
				val = v.String()
			default:
				val = str(v)
			}
			row.fields, row.values = append(row.fields, fn), append(row.values, val)
		}
		if len(row.fields) > 0 {
			rows = append(rows, row)
		}
	}
	return rows, errs
}

// writeExtensions upserts extension rows keyed by STUDENTSDCID, checking
// table and column names against the store so they can be quoted safely.
func writeExtensions(ctx context.Context, tx *sql.Tx, dcid int64, rows []extRow) []fieldError {
	for _, r := range rows {
		cols := map[string]bool{}
		q, err := tx.QueryContext(ctx, `SELECT upper(p.name) FROM sqlite_master m, pragma_table_info(m.name) p
			WHERE m.type = 'table' AND lower(m.name) = ? AND (upper(m.name) LIKE 'U\_%' ESCAPE '\' OR upper(m.name) LIKE '%COREFIELDS')`, r.table)
		if err != nil {
			return []fieldError{{"student/_extension_data", "SERVER_ERROR", err.Error()}}
		}
		for q.Next() {
			var c string
			if q.Scan(&c) == nil {
				cols[c] = true
			}
		}
		q.Close()
		if !cols["STUDENTSDCID"] {
			return []fieldError{{"student/_extension_data/" + r.table, "INVALID_EXTENSION_TABLE", fmt.Sprintf("%s is not an extension table of students.", r.table)}}
		}
		names := []string{"STUDENTSDCID"}
		sets := []string{}
		for _, f := range r.fields {
			up := strings.ToUpper(f)
			if !cols[up] || up == "STUDENTSDCID" {
				return []fieldError{{"student/_extension_data/" + r.table + "/" + f, "INVALID_EXTENSION_FIELD", fmt.Sprintf("%s has no field %s.", r.table, f)}}
			}
			names = append(names, `"`+up+`"`)
			sets = append(sets, `"`+up+`" = excluded."`+up+`"`)
		}
		stmt := fmt.Sprintf(`INSERT INTO "%s" (%s) VALUES (%s) ON CONFLICT(STUDENTSDCID) DO UPDATE SET %s`,
			strings.ToUpper(r.table), strings.Join(names, ", "), strings.TrimSuffix(strings.Repeat("?, ", len(names)), ", "), strings.Join(sets, ", "))
		if _, err := tx.ExecContext(ctx, stmt, append([]any{dcid}, r.values...)...); err != nil {
			return []fieldError{{"student/_extension_data/" + r.table, "SERVER_ERROR", "The extension fields could not be saved: " + err.Error()}}
		}
	}
	return nil
}
