package gradebook

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// record is one OneRoster entity as it goes on the wire.
type record = map[string]any

// clause is one `<field><op>'<value>'` term of a OneRoster filter.
type clause struct {
	Field string
	Op    string
	Value string
}

// filter is a parsed OneRoster 1.1 filter: clauses joined by one kind of
// logical operator (the 1.1 binding recommends a single ' AND ' or ' OR ').
type filter struct {
	Clauses []clause
	Or      bool
}

// ops in matching order: two-character predicates first.
var ops = []string{"!=", ">=", "<=", "=", ">", "<", "~"}

const maxFilterClauses = 16

// parseFilter parses `field op 'value'` clauses joined by ' AND ' or ' OR '.
// A value ends at the first quote followed by the end of the filter or by a
// logical operator, so values may hold quotes.
func parseFilter(s string) (filter, error) {
	var f filter
	rest := s
	logical := ""
	for {
		i := strings.IndexAny(rest, "=!<>~")
		if i < 0 {
			return f, fmt.Errorf("filter %q: expected <field><predicate>'<value>' with a predicate of = != > >= < <= ~", s)
		}
		field := strings.TrimSpace(rest[:i])
		if !validFieldName(field) {
			return f, fmt.Errorf("filter %q: %q is not a field name", s, field)
		}
		rest = rest[i:]
		op := ""
		for _, o := range ops {
			if strings.HasPrefix(rest, o) {
				op = o
				break
			}
		}
		if op == "" {
			return f, fmt.Errorf("filter %q: %q is not a predicate (use = != > >= < <= ~)", s, rest[:1])
		}
		rest = strings.TrimLeft(rest[len(op):], " ")
		if !strings.HasPrefix(rest, "'") {
			return f, fmt.Errorf("filter %q: the value after %s%s must be in single quotes", s, field, op)
		}
		rest = rest[1:]
		end, next := -1, ""
		for j := 0; j < len(rest); j++ {
			if rest[j] != '\'' {
				continue
			}
			after := rest[j+1:]
			if after == "" {
				end = j
				break
			}
			if strings.HasPrefix(after, " AND ") {
				end, next = j, "AND"
				break
			}
			if strings.HasPrefix(after, " OR ") {
				end, next = j, "OR"
				break
			}
		}
		if end < 0 {
			return f, fmt.Errorf("filter %q: the value of %s has no closing quote", s, field)
		}
		f.Clauses = append(f.Clauses, clause{Field: field, Op: op, Value: rest[:end]})
		if len(f.Clauses) > maxFilterClauses {
			return f, fmt.Errorf("filter %q: more than %d clauses", s, maxFilterClauses)
		}
		if next == "" {
			return f, nil
		}
		if logical != "" && logical != next {
			return f, fmt.Errorf("filter %q: use either ' AND ' or ' OR ', not both", s)
		}
		logical = next
		f.Or = next == "OR"
		rest = rest[end+1+len(next)+2:]
	}
}

func validFieldName(s string) bool {
	if s == "" {
		return false
	}
	for _, part := range strings.Split(s, ".") {
		if part == "" {
			return false
		}
		for _, r := range part {
			if !(r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
				return false
			}
		}
	}
	return true
}

// String writes the filter back in wire form.
func (f filter) String() string {
	parts := make([]string, len(f.Clauses))
	for i, c := range f.Clauses {
		parts[i] = c.Field + c.Op + "'" + c.Value + "'"
	}
	sep := " AND "
	if f.Or {
		sep = " OR "
	}
	return strings.Join(parts, sep)
}

func (f filter) match(rec record) bool {
	for _, c := range f.Clauses {
		ok := c.match(rec)
		if f.Or && ok {
			return true
		}
		if !f.Or && !ok {
			return false
		}
	}
	return !f.Or || len(f.Clauses) == 0
}

func (c clause) match(rec record) bool {
	vals := lookup(rec, c.Field)
	if len(vals) == 0 {
		vals = []string{""}
	}
	if c.Op == "!=" {
		for _, v := range vals {
			if compare(v, c.Value) == 0 {
				return false
			}
		}
		return true
	}
	for _, v := range vals {
		switch r := compare(v, c.Value); c.Op {
		case "=":
			if r == 0 {
				return true
			}
		case ">":
			if r > 0 {
				return true
			}
		case ">=":
			if r >= 0 {
				return true
			}
		case "<":
			if r < 0 {
				return true
			}
		case "<=":
			if r <= 0 {
				return true
			}
		case "~":
			if strings.Contains(strings.ToLower(v), strings.ToLower(c.Value)) {
				return true
			}
		}
	}
	return false
}

// compare orders numbers numerically and anything else as case-insensitive
// text (ISO dates sort correctly as text).
func compare(a, b string) int {
	fa, ea := strconv.ParseFloat(a, 64)
	fb, eb := strconv.ParseFloat(b, 64)
	if ea == nil && eb == nil {
		return cmp.Compare(fa, fb)
	}
	return strings.Compare(strings.ToLower(a), strings.ToLower(b))
}

// lookup returns the text values at a dotted path. A reference compares by
// its sourcedId; a list gives one value per element.
func lookup(rec record, path string) []string {
	var vals []any
	cur := []any{rec}
	for _, part := range strings.Split(path, ".") {
		vals = vals[:0]
		for _, c := range cur {
			if m, ok := c.(record); ok {
				if v, ok := m[part]; ok {
					vals = append(vals, flatten(v)...)
				}
			}
		}
		cur = append([]any(nil), vals...)
	}
	out := make([]string, 0, len(cur))
	for _, v := range cur {
		out = append(out, text(v))
	}
	return out
}

func flatten(v any) []any {
	switch x := v.(type) {
	case []any:
		return x
	case []record:
		out := make([]any, len(x))
		for i, r := range x {
			out[i] = r
		}
		return out
	case []string:
		out := make([]any, len(x))
		for i, s := range x {
			out[i] = s
		}
		return out
	}
	return []any{v}
}

func text(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case bool:
		return strconv.FormatBool(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case int:
		return strconv.Itoa(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case record:
		if id, ok := x["sourcedId"].(string); ok {
			return id
		}
	}
	return fmt.Sprint(v)
}

// query is a collection request's parsed parameters.
type query struct {
	limit, offset int
	filter        *filter
	sortField     string
	desc          bool
	fields        []string
	warnings      []statusInfo
}

// errBadQuery carries the codeMinor of a rejected query parameter.
type errBadQuery struct {
	minor string
	msg   string
}

func (e *errBadQuery) Error() string { return e.msg }

// parseQuery reads limit, offset, filter, sort, orderBy and fields. known
// lists the collection's top-level fields; capLimit, when > 0, caps limit.
func parseQuery(params map[string][]string, known []string, capLimit int, collection bool) (query, error) {
	get := func(k string) (string, bool) {
		v, ok := params[k]
		if !ok || len(v) == 0 {
			return "", false
		}
		return v[0], true
	}
	isKnown := func(f string) bool { return slices.Contains(known, strings.SplitN(f, ".", 2)[0]) }
	q := query{limit: 100}
	if v, ok := get("fields"); ok {
		if strings.TrimSpace(v) == "" {
			return q, &errBadQuery{"invalid_blank_selection_field", "fields is blank: list field names, e.g. fields=sourcedId,title"}
		}
		var unknown []string
		for _, f := range strings.Split(v, ",") {
			f = strings.TrimSpace(f)
			if f == "" {
				continue
			}
			if !slices.Contains(known, f) {
				unknown = append(unknown, f)
			}
			q.fields = append(q.fields, f)
		}
		if len(unknown) > 0 {
			q.fields = nil // the whole record, with a warning
			q.warnings = append(q.warnings, warning("invalid_selection_field", strings.Join(unknown, ",")))
		}
	}
	if !collection {
		return q, nil
	}
	if v, ok := get("limit"); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return q, &errBadQuery{"invalid data", fmt.Sprintf("limit %q is not a whole number of at least 1", v)}
		}
		q.limit = n
	}
	if capLimit > 0 && q.limit > capLimit {
		q.limit = capLimit
	}
	if v, ok := get("offset"); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return q, &errBadQuery{"invalid data", fmt.Sprintf("offset %q is not a whole number of at least 0", v)}
		}
		q.offset = n
	}
	if v, ok := get("filter"); ok {
		f, err := parseFilter(v)
		if err != nil {
			return q, &errBadQuery{"invalid data", err.Error()}
		}
		for _, c := range f.Clauses {
			if !isKnown(c.Field) {
				return q, &errBadQuery{"invalid_filter_field", c.Field}
			}
		}
		q.filter = &f
	}
	if v, ok := get("orderBy"); ok {
		switch strings.ToLower(v) {
		case "asc", "acs": // "acs" is the 1.1 OpenAPI's typo
		case "desc":
			q.desc = true
		default:
			return q, &errBadQuery{"invalid data", fmt.Sprintf("orderBy %q: use asc or desc", v)}
		}
	}
	if v, ok := get("sort"); ok {
		if isKnown(v) {
			q.sortField = v
		} else {
			q.warnings = append(q.warnings, warning("invalid_sort_field", v))
		}
	}
	return q, nil
}

// apply filters and sorts recs and returns the total and the page.
func (q query) apply(recs []record) (int, []record) {
	if q.filter != nil {
		kept := recs[:0:0]
		for _, r := range recs {
			if q.filter.match(r) {
				kept = append(kept, r)
			}
		}
		recs = kept
	}
	if q.sortField != "" {
		key := func(r record) string {
			if v := lookup(r, q.sortField); len(v) > 0 {
				return v[0]
			}
			return ""
		}
		slices.SortStableFunc(recs, func(a, b record) int {
			c := compare(key(a), key(b))
			if q.desc {
				return -c
			}
			return c
		})
	}
	total := len(recs)
	start := min(q.offset, total)
	end := min(start+q.limit, total)
	return total, recs[start:end]
}

// selectFields keeps only the requested fields of a record.
func (q query) selectFields(r record) record {
	if len(q.fields) == 0 {
		return r
	}
	out := make(record, len(q.fields))
	for _, f := range q.fields {
		if v, ok := r[f]; ok {
			out[f] = v
		}
	}
	return out
}
