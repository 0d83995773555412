package mirror

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Plan says what to sync and how.
type Plan struct {
	// Tables to sync, in order.
	Tables []TableSpec `yaml:"tables"`
	// Full ignores the saved watermarks and reloads every table.
	Full bool `yaml:"full"`
	// VerifyDeletes reads every table's primary keys (one cheap pass) to
	// find deleted rows even when the counts agree.
	VerifyDeletes bool `yaml:"verify_deletes"`
	// LookBack is how far before the last watermark an incremental read
	// starts, because PowerSchool's clocks and commits are not atomic
	// (default DefaultLookBack).
	LookBack time.Duration `yaml:"look_back"`
	// Progress, if set, is told how far each table has got.
	Progress func(table string, done, total int) `yaml:"-"`
}

// TableSpec names one table and, optionally, overrides what its metadata
// would choose.
type TableSpec struct {
	// Name is the table as PowerSchool names it (STUDENTS, cc,
	// u_studentsuserfields); the target table is its lower-case form.
	Name string `yaml:"name"`
	// Strategy is "" (auto: incremental when the table has a cursor
	// column, window when it has none but a yearid or termid column, full
	// otherwise), "incremental", "window" or "full".
	Strategy string `yaml:"strategy,omitempty"`
	// WindowFrom is the first YEARID a windowed reload reads (35 for
	// 2025-26; termid from 3500); 0 takes the current school year from
	// TERMS.
	WindowFrom int `yaml:"window_from,omitempty"`
	// Cursor overrides the cursor column (transaction_date, whenmodified).
	Cursor string `yaml:"cursor,omitempty"`
	// Key overrides the primary key column.
	Key string `yaml:"key,omitempty"`
	// Columns, if set, are the only columns read (the key and cursor
	// always are): a roster that needs a dozen of STUDENTS' columns moves
	// a fraction of the bytes.
	Columns []string `yaml:"columns,omitempty"`
	// PowerQuery, if set, names a PowerQuery (com.pearson.core.student.
	// search.get_student_basic_info, or a plugin's own) whose rows land in
	// the table Name. A PowerQuery has no cursor and no metadata: it is
	// reloaded whole every run, its columns are text, named as the query
	// names them; Key (optional) lets unchanged rows stay unwritten.
	PowerQuery string `yaml:"powerquery,omitempty"`
	// Resource, if set, names a /ws/v1 resource (students, schools,
	// staff, sections, courses, terms, section_enrollments, district; see
	// V1Resources) read instead of the table API. Its rows land under
	// PowerSchool's column names (a v1 student's id is dcid, local_id is
	// student_number), in the table that stores it (staff in users,
	// section_enrollments in cc); Name defaults to that table. /ws/v1 has
	// no change filter: the table is reloaded whole when a probe of the
	// stored table through the table API shows a change, or every run when
	// the plugin may not read that table's cursor.
	Resource string `yaml:"resource,omitempty"`
	// Expansions replace the /ws/v1 expansions a roster needs
	// (students: demographics, school_enrollment, contact_info).
	Expansions []string `yaml:"expansions,omitempty"`
}

// Strategies a table may be synced with.
const (
	StrategyAuto        = ""
	StrategyIncremental = "incremental"
	StrategyFull        = "full"
	// StrategyWindow reloads only the rows of the current school year on
	// (yearid, or termid) and deletes only within them.
	StrategyWindow = "window"
	// StrategyUnchanged is reported when the probe showed nothing to do.
	StrategyUnchanged = "unchanged"
)

// DefaultLookBack is the default overlap before the last watermark.
const DefaultLookBack = 5 * time.Minute

// presets are the table lists psctl sync --preset names.
var presets = map[string][]string{
	// What a rostering product needs: schools, people, classes and who is in them.
	"roster": {"schools", "students", "users", "schoolstaff", "terms", "courses", "sections", "cc"},
	// What a grades warehouse needs on top of the roster.
	"gradebook": {"schools", "students", "terms", "courses", "sections", "cc", "storedgrades", "pgfinalgrades", "attendance"},
}

// v1Presets are presets read through /ws/v1 resources.
var v1Presets = map[string][]string{
	// The roster for a plugin that may read /ws/v1 but not the tables
	// (each lands in PowerSchool's table: staff in users, section
	// enrollments in cc). Changed tables are reloaded whole.
	"roster-v1": {"district", "schools", "students", "staff", "terms", "courses", "sections", "section_enrollments"},
}

// Presets lists the preset names.
func Presets() []string {
	names := make([]string, 0, len(presets)+len(v1Presets))
	for n := range presets {
		names = append(names, n)
	}
	for n := range v1Presets {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Preset returns the plan of a named preset.
func Preset(name string) (Plan, error) {
	if resources, ok := v1Presets[strings.ToLower(name)]; ok {
		p := Plan{}
		for _, r := range resources {
			p.Tables = append(p.Tables, TableSpec{Resource: r})
		}
		return p, p.Validate()
	}
	tables, ok := presets[strings.ToLower(name)]
	if !ok {
		return Plan{}, fmt.Errorf("no preset %q: use one of %s, or list tables", name, strings.Join(Presets(), ", "))
	}
	return TablesPlan(tables)
}

// TablesPlan is a plan for the named tables with every choice left to
// their metadata.
func TablesPlan(names []string) (Plan, error) {
	p := Plan{}
	for _, n := range names {
		n = strings.TrimSpace(n)
		if n == "" {
			continue
		}
		p.Tables = append(p.Tables, TableSpec{Name: n})
	}
	return p, p.Validate()
}

var (
	identRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,62}$`)
	queryRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_.]{0,200}$`)
)

// Validate checks names and strategies.
func (p *Plan) Validate() error {
	if len(p.Tables) == 0 {
		return fmt.Errorf("the plan names no table: list tables (students,cc) or use a preset (%s)", strings.Join(Presets(), ", "))
	}
	seen := map[string]bool{}
	for i := range p.Tables {
		if err := p.Tables[i].resolveResource(); err != nil {
			return err
		}
	}
	for i, t := range p.Tables {
		if !identRE.MatchString(t.Name) {
			return fmt.Errorf("table %d: %q is not a PowerSchool table name (letters, digits and _, e.g. students or u_studentsuserfields)", i+1, t.Name)
		}
		low := strings.ToLower(t.Name) // a leading letter keeps out the sync's own _pskit tables
		if seen[low] {
			return fmt.Errorf("table %q is listed twice", t.Name)
		}
		seen[low] = true
		if !slices.Contains([]string{StrategyAuto, StrategyIncremental, StrategyFull, StrategyWindow}, t.Strategy) {
			return fmt.Errorf("table %q: strategy %q is not one of incremental, window, full (or leave it out to let the metadata choose)", t.Name, t.Strategy)
		}
		if t.WindowFrom < 0 || (t.WindowFrom > 0 && t.Strategy != StrategyWindow && t.Strategy != StrategyAuto) {
			return fmt.Errorf("table %q: window_from is the first YEARID of a windowed reload (e.g. 35 for 2025-26); it goes with strategy window", t.Name)
		}
		if t.Strategy == StrategyWindow && (t.PowerQuery != "" || t.Resource != "") {
			return fmt.Errorf("table %q: a PowerQuery or /ws/v1 resource has no window filter; leave out strategy: window", t.Name)
		}
		for what, col := range map[string]string{"cursor": t.Cursor, "key": t.Key} {
			if col != "" && !identRE.MatchString(col) {
				return fmt.Errorf("table %q: %s %q is not a column name", t.Name, what, col)
			}
		}
		if t.PowerQuery != "" {
			if !queryRE.MatchString(t.PowerQuery) {
				return fmt.Errorf("table %q: %q is not a PowerQuery name (letters, digits, dots and _, e.g. com.pearson.core.student.search.get_student_basic_info)", t.Name, t.PowerQuery)
			}
			if t.Strategy == StrategyIncremental || t.Cursor != "" || len(t.Columns) > 0 {
				return fmt.Errorf("table %q: a PowerQuery is reloaded whole each run; leave out strategy: incremental, cursor and columns (the query chooses its columns)", t.Name)
			}
		}
		if t.Resource != "" && (t.PowerQuery != "" || t.Strategy == StrategyIncremental || t.Cursor != "" || t.Key != "" || len(t.Columns) > 0) {
			return fmt.Errorf("table %q: a /ws/v1 resource is reloaded whole when it changed, under its own key; leave out powerquery, strategy: incremental, cursor, key and columns", t.Name)
		}
		if len(t.Expansions) > 0 && t.Resource == "" {
			return fmt.Errorf("table %q: expansions apply to a /ws/v1 resource; add resource: (one of %s) or leave them out", t.Name, strings.Join(V1Resources(), ", "))
		}
		for _, e := range t.Expansions {
			if !identRE.MatchString(strings.ReplaceAll(e, "-", "_")) {
				return fmt.Errorf("table %q: expansion %q is not an expansion name (such as demographics)", t.Name, e)
			}
		}
		for _, col := range t.Columns {
			if !identRE.MatchString(col) {
				return fmt.Errorf("table %q: column %q is not a column name", t.Name, col)
			}
		}
	}
	if p.LookBack < 0 {
		return fmt.Errorf("look_back must not be negative, got %s", p.LookBack)
	}
	return nil
}

// resolveResource checks a /ws/v1 resource name and names the table
// after the resource's when the plan gives none.
func (t *TableSpec) resolveResource() error {
	if t.Resource == "" {
		return nil
	}
	table, ok := V1Table(t.Resource)
	if !ok {
		return fmt.Errorf("table %q: %q is not a /ws/v1 resource the sync reads; use one of %s", t.Name, t.Resource, strings.Join(V1Resources(), ", "))
	}
	t.Resource = strings.ToLower(t.Resource)
	if t.Name == "" {
		t.Name = table
	}
	return nil
}

// planFile is the YAML form: look_back is a duration string ("5m").
type planFile struct {
	Preset        string      `yaml:"preset"`
	Tables        []yaml.Node `yaml:"tables"`
	Full          bool        `yaml:"full"`
	VerifyDeletes bool        `yaml:"verify_deletes"`
	LookBack      string      `yaml:"look_back"`
}

// ParsePlan reads a YAML plan:
//
//	preset: roster          # optional, its tables come first
//	look_back: 10m
//	verify_deletes: true
//	tables:
//	  - storedgrades
//	  - name: u_studentsuserfields
//	    strategy: full
//	  - name: students
//	    columns: [dcid, student_number, first_name, last_name]
//	  - name: student_basic_info
//	    powerquery: com.pearson.core.student.search.get_student_basic_info
//	    key: dcid
//	  - resource: staff       # /ws/v1; lands in users
//	  - resource: students    # /ws/v1 students, in students
//	    expansions: [demographics, school_enrollment, contact_info, addresses]
func ParsePlan(data []byte) (Plan, error) {
	var f planFile
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		return Plan{}, fmt.Errorf("reading the plan: %w (see docs/sync.md for the format)", err)
	}
	var p Plan
	if f.Preset != "" {
		pre, err := Preset(f.Preset)
		if err != nil {
			return Plan{}, err
		}
		p.Tables = pre.Tables
	}
	for _, n := range f.Tables {
		var t TableSpec
		switch n.Kind {
		case yaml.ScalarNode:
			t.Name = n.Value
		case yaml.MappingNode:
			if err := n.Decode(&t); err != nil {
				return Plan{}, fmt.Errorf("reading the plan: line %d: %w", n.Line, err)
			}
		default:
			return Plan{}, fmt.Errorf("reading the plan: line %d: a table is a name or a mapping with name, strategy, cursor, key, columns, powerquery, resource, expansions", n.Line)
		}
		p.Tables = append(p.Tables, t)
	}
	p.Full, p.VerifyDeletes = f.Full, f.VerifyDeletes
	if f.LookBack != "" {
		d, err := time.ParseDuration(f.LookBack)
		if err != nil {
			return Plan{}, fmt.Errorf("reading the plan: look_back %q is not a duration such as 5m", f.LookBack)
		}
		p.LookBack = d
	}
	if err := p.Validate(); err != nil {
		return Plan{}, fmt.Errorf("reading the plan: %w", err)
	}
	return p, nil
}
