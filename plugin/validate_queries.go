package plugin

import (
	"path"
	"regexp"
	"strings"
	"unicode/utf8"
)

var (
	snakePart      = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	javaIdentifier = regexp.MustCompile(`^[A-Za-z_$][A-Za-z0-9_$]*$`)
	aliasPart      = regexp.MustCompile(`^[A-Za-z0-9_]+$`)
	sqlBindVar     = regexp.MustCompile(`:([A-Za-z_][A-Za-z0-9_]*)`)
	sqlStringLit   = regexp.MustCompile(`'(?:[^']|'')*'`)
	orderBy        = regexp.MustCompile(`(?i)\border\s+by\b`)
)

// ValidateQueries checks named queries against the documented rules
// (reference §6.4). Each Problem carries the query's File.
func ValidateQueries(queries []NamedQuery) []Problem {
	c := &checker{}
	for _, q := range queries {
		c.file = q.File
		c.query(q)
	}
	return c.problems
}

func (c *checker) query(q NamedQuery) {
	switch {
	case q.Name == "":
		c.errorf(q.Pos, "<query> needs a name such as com.yourorg.product.area.query_name")
	case utf8.RuneCountInString(q.Name) > 200:
		c.errorf(q.Pos, "query name is %d characters; PowerSchool allows at most 200", utf8.RuneCountInString(q.Name))
	case strings.HasPrefix(strings.ToLower(q.Name), "com.powerschool"):
		c.errorf(q.Pos, "query name %q starts with com.powerschool, which is reserved; use your organisation's prefix", q.Name)
	}
	if q.Name != "" {
		parts := strings.Split(q.Name, ".")
		if len(parts) < 5 {
			c.errorf(q.Pos, "query name %q has %d dot-separated parts; use 5, e.g. com.yourorg.product.area.query_name", q.Name, len(parts))
		} else if len(parts) > 5 {
			c.warnf(q.Pos, "query name %q has %d dot-separated parts; the documented form has 5", q.Name, len(parts))
		}
		for _, part := range parts {
			if !snakePart.MatchString(part) {
				c.errorf(q.Pos, "query name part %q of %q is not snake_case (lower-case letters, digits, underscores, starting with a letter)", part, q.Name)
				break
			}
		}
	}
	if q.File != "" && q.Name != "" {
		if base := path.Base(q.File); !strings.HasSuffix(base, ".named_queries.xml") {
			c.warnf(q.Pos, "file %s should be named <name>.named_queries.xml", base)
		}
	}
	c.length(q.Pos, "query summary", q.Summary, 0, 50)
	if q.DAT && !q.Flattened {
		c.errorf(q.Pos, "query %q has dat=\"true\", which requires flattened=\"true\"", q.Name)
	}

	sql := strings.TrimSpace(q.SQL)
	if sql == "" {
		c.errorf(q.Pos, "query %q has no <sql>", q.Name)
	}
	if strings.Contains(sql, "~[") || strings.Contains(sql, "~(") {
		c.errorf(q.Pos, "query %q uses PS-HTML tags (~[...] or ~(...)) in its SQL; they are allowed only in an arg default", q.Name)
	}
	if sql != "" && !orderBy.MatchString(sql) {
		c.warnf(q.Pos, "query %q has no ORDER BY; paging through its results can skip or repeat rows", q.Name)
	}

	argNames := map[string]bool{}
	for _, a := range q.Args {
		if !javaIdentifier.MatchString(a.Name) {
			c.errorf(a.Pos, "arg name %q must be a Java identifier (letters, digits, _ or $, not starting with a digit)", a.Name)
		}
		if argNames[strings.ToLower(a.Name)] {
			c.errorf(a.Pos, "arg %q is declared twice", a.Name)
		}
		argNames[strings.ToLower(a.Name)] = true
		if a.Type != "primitive" && a.Type != "array" {
			c.errorf(a.Pos, "arg %q has type %q; use primitive or array", a.Name, a.Type)
		}
		if a.Casing != "" && a.Casing != "upper" && a.Casing != "lower" && a.Casing != "none" {
			c.errorf(a.Pos, "arg %q has casing %q; use upper, lower or none", a.Name, a.Casing)
		}
		if a.Name != "" && sql != "" && !strings.Contains(strings.ToLower(sql), ":"+strings.ToLower(a.Name)) {
			c.warnf(a.Pos, "arg %q is never used in the SQL (expected :%s)", a.Name, a.Name)
		}
	}
	// Bind variables outside string literals must be declared args.
	code := sqlStringLit.ReplaceAllString(sql, "''")
	for _, m := range sqlBindVar.FindAllStringSubmatchIndex(code, -1) {
		name := code[m[2]:m[3]]
		if m[0] > 0 && code[m[0]-1] == ':' {
			continue // a :: cast, not a bind variable
		}
		if !argNames[strings.ToLower(name)] {
			c.errorf(q.Pos, "query %q uses :%s in its SQL but declares no <arg name=%q>", q.Name, name, name)
			argNames[strings.ToLower(name)] = true // report once
		}
	}

	if len(q.Columns) == 0 {
		c.errorf(q.Pos, "query %q has no <columns>", q.Name)
	}
	aliases := map[string]bool{}
	for _, col := range q.Columns {
		if col.Alias == "" {
			c.errorf(col.Pos, "column %q has no alias text; write <column column=%q>%s</column>", col.Column, col.Column, col.Column)
			continue
		}
		parts := strings.Split(col.Alias, ".")
		switch {
		case len(parts) > 2:
			c.errorf(col.Pos, "column alias %q has %d parts; use table.column or a single name", col.Alias, len(parts))
		case len(parts) == 1 && q.CoreTable == "":
			c.errorf(col.Pos, "column alias %q has one part, which requires coreTable on the query", col.Alias)
		}
		for _, p := range parts {
			if !aliasPart.MatchString(p) {
				c.errorf(col.Pos, "column alias %q may contain only letters, digits and underscores in each part", col.Alias)
				break
			}
		}
		key := strings.ToLower(col.Alias)
		if aliases[key] {
			c.errorf(col.Pos, "column alias %q appears twice; result column names must be unique", col.Alias)
		}
		aliases[key] = true
	}
	if n, ok := selectListLen(sql); ok && len(q.Columns) > 0 && n != len(q.Columns) {
		c.errorf(q.Pos, "query %q selects %d columns but declares %d <column> elements; they must match one to one, in order", q.Name, n, len(q.Columns))
	}
}

// selectListLen counts the items of the outermost SELECT list by splitting
// on top-level commas. ok is false when the SQL is not a plain SELECT the
// count can be trusted for (e.g. it starts with WITH, or uses SELECT *).
func selectListLen(sql string) (n int, ok bool) {
	s := sqlStringLit.ReplaceAllString(sql, "''")
	lower := strings.ToLower(s)
	trimmed := strings.TrimLeft(lower, " \t\r\n(")
	if !strings.HasPrefix(trimmed, "select") {
		return 0, false
	}
	start := strings.Index(lower, "select") + len("select")
	depth, items := 0, 1
	for i := start; i < len(lower); i++ {
		switch lower[i] {
		case '(':
			depth++
		case ')':
			depth--
		case ',':
			if depth == 0 {
				items++
			}
		case 'f':
			if depth == 0 && strings.HasPrefix(lower[i:], "from") && isBoundary(lower, i-1) && isBoundary(lower, i+4) {
				list := strings.TrimSpace(lower[start:i])
				list = strings.TrimPrefix(strings.TrimPrefix(list, "distinct "), "all ")
				if list == "" || strings.Contains(list, "*") {
					return 0, false
				}
				return items, true
			}
		}
	}
	return 0, false
}

func isBoundary(s string, i int) bool {
	if i < 0 || i >= len(s) {
		return true
	}
	b := s[i]
	return !(b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || b == '_' || b == '.')
}

// Validate checks the plugin, its named queries, and how they fit
// together: each table.column a query reads should be in access_request,
// or PowerSchool answers calls with 403.
func (b *Bundle) Validate() []Problem {
	probs := b.Plugin.Validate()
	for i := range probs {
		probs[i].File = "plugin.xml"
	}
	probs = append(probs, ValidateQueries(b.Queries)...)
	if len(b.Queries) > 0 && b.Plugin.OAuth == nil {
		c := &checker{file: "plugin.xml"}
		c.warnf(b.Plugin.Pos, "the plugin has named queries but no <oauth>; external systems cannot call them without credentials")
		probs = append(probs, c.problems...)
	}
	granted := map[string]bool{}
	if b.Plugin.AccessRequest != nil {
		for _, f := range b.Plugin.AccessRequest.Fields {
			granted[strings.ToLower(f.Table+"."+f.Field)] = true
		}
	}
	c := &checker{}
	for _, q := range b.Queries {
		c.file = q.File
		for _, col := range q.Columns {
			parts := strings.Split(strings.ToLower(col.Column), ".")
			if len(parts) != 2 || parts[1] == "*" {
				continue
			}
			if !granted[parts[0]+"."+parts[1]] {
				c.warnf(col.Pos, "column %s is not in plugin.xml <access_request>; calls to %s will get 403 (add <field table=%q field=%q access=\"ViewOnly\"/>)",
					col.Column, q.Name, strings.ToUpper(parts[0]), strings.ToUpper(parts[1]))
			}
		}
	}
	return append(probs, c.problems...)
}
