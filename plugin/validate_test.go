package plugin

import (
	"strings"
	"testing"
)

func TestValidateFullFile(t *testing.T) {
	p, err := Parse(readTestdata(t, "full.plugin.xml"))
	if err != nil {
		t.Fatal(err)
	}
	probs := p.Validate()
	if len(probs) != 1 || probs[0].Severity != SeverityWarning || probs[0].Line != 50 || probs[0].Column != 3 ||
		!strings.Contains(probs[0].Message, "vendor_extension") {
		t.Errorf("problems = %v, want one warning about <vendor_extension> at 50:3", probs)
	}
	if HasErrors(probs) {
		t.Error("HasErrors = true for warnings only")
	}
}

// validDoc is a minimal plugin.xml with no problems; tests edit it.
const validDoc = `<plugin xmlns="http://plugin.powerschool.pearson.com" name="Sync" version="1.0" description="d">
  <publisher name="Acme"><contact email="dev@acme-learning.io"/></publisher>
  <oauth accessLevelV1Api="READ"/>
  <access_request>
    <field table="STUDENTS" field="DCID" access="ViewOnly"/>
  </access_request>
</plugin>`

func problemsOf(t *testing.T, doc string) []Problem {
	t.Helper()
	p, err := Parse([]byte(doc))
	if err != nil {
		t.Fatalf("Parse: %v\n%s", err, doc)
	}
	return p.Validate()
}

func TestValidateValidDocHasNoProblems(t *testing.T) {
	if probs := problemsOf(t, validDoc); len(probs) != 0 {
		t.Errorf("problems = %v", probs)
	}
}

func TestValidateFindsEachProblemAtItsElement(t *testing.T) {
	r := strings.NewReplacer
	tests := []struct {
		name      string
		edit      *strings.Replacer
		severity  string
		line, col int
		contains  string
	}{
		{"empty name", r(`name="Sync"`, `name=""`), SeverityError, 1, 1, "plugin name is required"},
		{"long name", r(`name="Sync"`, `name="`+strings.Repeat("n", 41)+`"`), SeverityError, 1, 1, "at most 40"},
		{"version charset", r(`version="1.0"`, `version="1.0-beta"`), SeverityError, 1, 1, "only digits and dots"},
		{"long version", r(`version="1.0"`, `version="`+strings.Repeat("1", 21)+`"`), SeverityError, 1, 1, "at most 20"},
		{"long description", r(`description="d"`, `description="`+strings.Repeat("d", 257)+`"`), SeverityError, 1, 1, "at most 256"},
		{"no namespace", r(`xmlns="http://plugin.powerschool.pearson.com" `, ``), SeverityError, 1, 1, "no xmlns"},
		{"wrong namespace", r(`pearson.com"`, `pearson.org"`), SeverityError, 1, 1, "namespace is"},
		{"no publisher", r(`<publisher name="Acme"><contact email="dev@acme-learning.io"/></publisher>`, ``), SeverityError, 1, 1, "<publisher> is required"},
		{"no contact", r(`<contact email="dev@acme-learning.io"/>`, ``), SeverityError, 2, 3, "needs a <contact"},
		{"long publisher", r(`name="Acme"`, `name="`+strings.Repeat("a", 101)+`"`), SeverityError, 2, 3, "at most 100"},
		{"bad email", r(`dev@acme-learning.io`, `not-an-email`), SeverityError, 2, 26, "does not look like an email"},
		{"long email", r(`dev@acme-learning.io`, strings.Repeat("d", 30)+`@acme-learning.io`), SeverityError, 2, 26, "at most 40"},
		{"access level", r(`"READ"`, `"WRITE"`), SeverityError, 3, 3, "NONE, READ, FULL"},
		{"access value", r(`"ViewOnly"`, `"ReadOnly"`), SeverityError, 5, 5, "ViewOnly, FullAccess"},
		{"long table", r(`table="STUDENTS"`, `table="`+strings.Repeat("T", 31)+`"`), SeverityError, 5, 5, "field table must be at most 30"},
		{"duplicate field", r(`<field table="STUDENTS" field="DCID" access="ViewOnly"/>`,
			`<field table="STUDENTS" field="DCID" access="ViewOnly"/><field table="students" field="dcid" access="FullAccess"/>`), SeverityError, 5, 61, "already requested at line 5"},
		{"http registration", r(`</plugin>`, `<registration url="http://acme-learning.io/reg"/></plugin>`), SeverityError, 7, 1, "must be an absolute https:// URL"},
		{"long registration", r(`</plugin>`, `<registration url="https://acme-learning.io/`+strings.Repeat("r", 1000)+`"/></plugin>`), SeverityError, 7, 1, "at most 1000"},
		{"bad ui_context", r(`</plugin>`, "<links><link display-text=\"A\" path=\"/a\"><ui_contexts>\n<ui_context id=\"admin.footer\"/></ui_contexts></link></links></plugin>"), SeverityError, 8, 1, "ui_context id is \"admin.footer\""},
		{"link without contexts", r(`</plugin>`, `<links><link display-text="A" path="/a"/></links></plugin>`), SeverityError, 7, 8, "needs <ui_contexts>"},
		{"link path required", r(`</plugin>`, `<links><link display-text="A"><ui_contexts><ui_context id="admin.header"/></ui_contexts></link></links></plugin>`), SeverityError, 7, 8, "link path is required"},
		{"long display-text", r(`</plugin>`, `<links><link display-text="`+strings.Repeat("x", 101)+`" path="/a"><ui_contexts><ui_context id="admin.header"/></ui_contexts></link></links></plugin>`), SeverityError, 7, 8, "at most 100"},
		{"openid host with scheme", r(`</plugin>`, `<openid host="https://sso.acme.io"><links><link display-text="A"><ui_contexts><ui_context id="admin.header"/></ui_contexts></link></links></openid></plugin>`), SeverityError, 7, 1, "without scheme"},
		{"unknown element", r(`</plugin>`, `<vendor/></plugin>`), SeverityWarning, 7, 1, "unknown element <vendor>"},
		{"bracket placeholder", r(`name="Sync"`, `name="[PLUGIN_NAME]"`), SeverityWarning, 1, 1, "placeholder [PLUGIN_NAME]"},
		{"x placeholder", r(`dev@acme-learning.io`, `xxxxxxxxxxxxxxxxxx@acme.io`), SeverityWarning, 2, 26, "run of x's"},
		{"example.com contact", r(`dev@acme-learning.io`, `dev@example.com`), SeverityWarning, 2, 26, "example domain"},
		{"example.org registration", r(`</plugin>`, `<registration url="https://reg.example.org/ps"/></plugin>`), SeverityWarning, 7, 1, "example domain"},
		{"access without oauth", r(`<oauth accessLevelV1Api="READ"/>`, ``), SeverityWarning, 4, 3, "without <oauth>"},
		{"identityAttribute", r(`</plugin>`, `<identityAttribute/></plugin>`), SeverityWarning, 7, 1, "does not support <identityAttribute>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			probs := problemsOf(t, tt.edit.Replace(validDoc))
			for _, p := range probs {
				if strings.Contains(p.Message, tt.contains) {
					if p.Severity != tt.severity || p.Line != tt.line || p.Column != tt.col {
						t.Errorf("got %v, want %s at %d:%d", p, tt.severity, tt.line, tt.col)
					}
					return
				}
			}
			t.Errorf("no problem containing %q; got %v", tt.contains, probs)
		})
	}
}

func TestValidateQueries(t *testing.T) {
	good := NamedQuery{
		Name: "io.acme.roster.students.basic", CoreTable: "students",
		Columns: []QueryColumn{{Column: "students.dcid", Alias: "dcid"}, {Column: "students.last_name", Alias: "students.last_name"}},
		Args:    []QueryArg{{Name: "schoolid", Type: "primitive"}},
		SQL:     "select s.dcid, nvl(s.last_name, ',') from students s where s.schoolid = :schoolid and to_char(s.entrydate,'HH24:MI') > '00:00' order by s.dcid",
		File:    "queries_root/io.acme.roster.students.basic.named_queries.xml",
	}
	if probs := ValidateQueries([]NamedQuery{good}); len(probs) != 0 {
		t.Fatalf("good query: %v", probs)
	}
	tests := []struct {
		name     string
		edit     func(q *NamedQuery)
		severity string
		contains string
	}{
		{"four parts", func(q *NamedQuery) { q.Name = "io.acme.roster.students" }, SeverityError, "has 4 dot-separated parts"},
		{"camelCase", func(q *NamedQuery) { q.Name = "io.acme.roster.students.basicInfo" }, SeverityError, "not snake_case"},
		{"reserved", func(q *NamedQuery) { q.Name = "com.powerschool.core.students.basic" }, SeverityError, "reserved"},
		{"too long", func(q *NamedQuery) { q.Name = "io.acme.roster.students." + strings.Repeat("b", 190) }, SeverityError, "at most 200"},
		{"no sql", func(q *NamedQuery) { q.SQL = "" }, SeverityError, "has no <sql>"},
		{"ps-html", func(q *NamedQuery) { q.SQL = strings.Replace(q.SQL, ":schoolid", "~(curschoolid)", 1) }, SeverityError, "PS-HTML"},
		{"no order by", func(q *NamedQuery) { q.SQL = strings.Replace(q.SQL, " order by s.dcid", "", 1) }, SeverityWarning, "no ORDER BY"},
		{"column count", func(q *NamedQuery) { q.Columns = q.Columns[:1] }, SeverityError, "selects 2 columns but declares 1"},
		{"undeclared bind", func(q *NamedQuery) { q.Args = nil }, SeverityError, "uses :schoolid"},
		{"unused arg", func(q *NamedQuery) { q.Args = append(q.Args, QueryArg{Name: "grade", Type: "primitive"}) }, SeverityWarning, `arg "grade" is never used`},
		{"bad arg type", func(q *NamedQuery) { q.Args[0].Type = "list" }, SeverityError, "use primitive or array"},
		{"bad arg name", func(q *NamedQuery) { q.Args[0].Name = "1school" }, SeverityError, "Java identifier"},
		{"one-part alias without coreTable", func(q *NamedQuery) { q.CoreTable = "" }, SeverityError, "requires coreTable"},
		{"three-part alias", func(q *NamedQuery) { q.Columns[1].Alias = "a.b.c" }, SeverityError, "has 3 parts"},
		{"alias charset", func(q *NamedQuery) { q.Columns[1].Alias = "students.last-name" }, SeverityError, "only letters, digits"},
		{"duplicate alias", func(q *NamedQuery) { q.Columns[1].Alias = "DCID" }, SeverityError, "appears twice"},
		{"long summary", func(q *NamedQuery) { q.Summary = strings.Repeat("s", 51) }, SeverityError, "query summary must be at most 50"},
		{"dat not flattened", func(q *NamedQuery) { q.DAT = true }, SeverityError, "requires flattened"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := good
			q.Args = append([]QueryArg(nil), good.Args...)
			q.Columns = append([]QueryColumn(nil), good.Columns...)
			tt.edit(&q)
			probs := ValidateQueries([]NamedQuery{q})
			for _, p := range probs {
				if strings.Contains(p.Message, tt.contains) {
					if p.Severity != tt.severity || p.File != good.File {
						t.Errorf("got %v, want %s in %s", p, tt.severity, good.File)
					}
					return
				}
			}
			t.Errorf("no problem containing %q; got %v", tt.contains, probs)
		})
	}
}

func TestSelectListLen(t *testing.T) {
	tests := []struct {
		sql string
		n   int
		ok  bool
	}{
		{"select a, b, c from t", 3, true},
		{"SELECT DISTINCT a, f(b, c), 'x,y' FROM t", 3, true},
		{"select (select max(x) from u), fromage from t", 2, true},
		{"select * from t", 0, false},
		{"with x as (select 1 from dual) select a from x", 0, false},
		{"select a", 0, false},
	}
	for _, tt := range tests {
		n, ok := selectListLen(tt.sql)
		if n != tt.n || ok != tt.ok {
			t.Errorf("selectListLen(%q) = %d, %v; want %d, %v", tt.sql, n, ok, tt.n, tt.ok)
		}
	}
}

func TestBundleValidateCrossChecksAccessRequest(t *testing.T) {
	p, err := Parse([]byte(validDoc))
	if err != nil {
		t.Fatal(err)
	}
	b := &Bundle{Plugin: p, Queries: []NamedQuery{{
		Name: "io.acme.roster.students.basic", CoreTable: "students", File: "queries_root/x.named_queries.xml",
		Columns: []QueryColumn{{Column: "students.dcid", Alias: "dcid"}, {Column: "students.last_name", Alias: "last_name", Pos: Pos{9, 7}}},
		SQL:     "select dcid, last_name from students order by dcid",
	}}}
	probs := b.Validate()
	if len(probs) != 1 || probs[0].Severity != SeverityWarning || probs[0].Line != 9 ||
		!strings.Contains(probs[0].Message, `field="LAST_NAME"`) || probs[0].File != "queries_root/x.named_queries.xml" {
		t.Errorf("problems = %v, want one 403 warning for students.last_name", probs)
	}
	if !strings.HasPrefix(probs[0].String(), "queries_root/x.named_queries.xml:9:7: warning: ") {
		t.Errorf("String() = %q", probs[0].String())
	}
}
