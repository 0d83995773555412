// Package fiql parses the FIQL filters of PowerSchool's schema APIs (the
// PowerQuery "$q" and the table API "q") and turns them into SQLite WHERE
// clauses with bound values.
//
// PowerSchool's dialect: conditions joined by ";" (AND), no OR (",") and
// no parentheses; operators ==, !=, =gt=, =ge=, =lt=, =le=; "*" is a
// wildcard with == and !=; a value of "\u0000" (the NUL character, or those
// six characters) matches NULL; values may be URL-encoded (M%26Ms).
package fiql

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// Condition is one selector-operator-value term.
type Condition struct {
	Selector string // as written, e.g. "students.grade_level"
	Op       string // "==", "!=", "=gt=", "=ge=", "=lt=", "=le="
	Value    string // decoded
	Null     bool   // the value is the null marker
}

// Wildcard reports whether the value holds a "*" and the operator matches
// patterns.
func (c Condition) Wildcard() bool {
	return (c.Op == "==" || c.Op == "!=") && strings.Contains(c.Value, "*")
}

// SyntaxError describes a malformed filter; it is the user's mistake.
type SyntaxError struct{ Msg string }

func (e *SyntaxError) Error() string { return e.Msg }

var ops = []string{"=gt=", "=ge=", "=lt=", "=le=", "==", "!="}

// Parse reads a filter. An empty or blank filter gives no conditions.
func Parse(q string) ([]Condition, error) {
	if strings.TrimSpace(q) == "" {
		return nil, nil
	}
	var out []Condition
	for _, term := range strings.Split(q, ";") {
		if strings.TrimSpace(term) == "" {
			return nil, &SyntaxError{fmt.Sprintf("filter %q has an empty condition; join conditions with a single ';'", q)}
		}
		c, err := parseTerm(term)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

func parseTerm(term string) (Condition, error) {
	if strings.HasPrefix(strings.TrimSpace(term), "(") {
		return Condition{}, &SyntaxError{fmt.Sprintf("condition %q: parentheses are not supported; PowerSchool filters are a flat list of conditions joined by ';'", term)}
	}
	at, op := -1, ""
	for _, o := range ops {
		if i := strings.Index(term, o); i >= 0 && (at < 0 || i < at) {
			at, op = i, o
		}
	}
	if at < 0 {
		return Condition{}, &SyntaxError{fmt.Sprintf("condition %q has no operator; use one of ==, !=, =gt=, =ge=, =lt=, =le= (e.g. students.grade_level=ge=9)", term)}
	}
	sel := strings.TrimSpace(term[:at])
	if sel == "" {
		return Condition{}, &SyntaxError{fmt.Sprintf("condition %q has no field before %s", term, op)}
	}
	for _, r := range sel {
		if !(r == '_' || r == '.' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return Condition{}, &SyntaxError{fmt.Sprintf("condition %q: field %q may hold only letters, digits, '_' and '.'", term, sel)}
		}
	}
	raw := term[at+len(op):]
	if strings.Contains(raw, ",") {
		return Condition{}, &SyntaxError{fmt.Sprintf("condition %q: OR (',') is not supported; send separate requests, or URL-encode a literal comma as %%2C", term)}
	}
	if raw == `\u0000` || raw == "\x00" {
		if op != "==" && op != "!=" {
			return Condition{}, &SyntaxError{fmt.Sprintf("condition %q: null can be matched only with == or !=", term)}
		}
		return Condition{Selector: sel, Op: op, Null: true}, nil
	}
	val, err := url.PathUnescape(raw)
	if err != nil {
		return Condition{}, &SyntaxError{fmt.Sprintf("condition %q: the value is not valid URL encoding (%v); encode %% as %%25", term, err)}
	}
	if val == "\x00" {
		return Condition{Selector: sel, Op: op, Null: true}, nil
	}
	if val == "" {
		return Condition{}, &SyntaxError{fmt.Sprintf("condition %q has no value; to match null use \"\\u0000\"", term)}
	}
	return Condition{Selector: sel, Op: op, Value: val}, nil
}

// Resolver maps a selector to the SQL expression it filters, or explains
// why it cannot (an unknown field).
type Resolver func(selector string) (expr string, err error)

// ErrUnknownField is wrapped by resolvers for fields that do not exist.
var ErrUnknownField = errors.New("unknown field")

// Where renders conditions as a SQL boolean expression ("1=1" when empty)
// with positional (?) arguments.
//
// A numeric value is compared as a number to numeric data and as text to
// text data, so "grade_level==9" and "student_web_id==123" both match as
// written. Comparisons are case-sensitive, as in Oracle.
func Where(conds []Condition, resolve Resolver) (string, []any, error) {
	if len(conds) == 0 {
		return "1=1", nil, nil
	}
	var parts []string
	var args []any
	for _, c := range conds {
		e, err := resolve(c.Selector)
		if err != nil {
			return "", nil, err
		}
		switch {
		case c.Null && c.Op == "==":
			parts = append(parts, e+" IS NULL")
		case c.Null:
			parts = append(parts, e+" IS NOT NULL")
		case c.Wildcard():
			not := ""
			if c.Op == "!=" {
				not = "NOT "
			}
			parts = append(parts, fmt.Sprintf("(%s IS NOT NULL AND CAST(%s AS TEXT) %sGLOB ?)", e, e, not))
			args = append(args, globPattern(c.Value))
		default:
			sqlOp := map[string]string{"==": "=", "!=": "<>", "=gt=": ">", "=ge=": ">=", "=lt=": "<", "=le=": "<="}[c.Op]
			if n, ok := numeric(c.Value); ok {
				parts = append(parts, fmt.Sprintf("((typeof(%[1]s) IN ('integer','real') AND %[1]s %[2]s ?) OR (typeof(%[1]s) = 'text' AND %[1]s %[2]s ?))", e, sqlOp))
				args = append(args, n, c.Value)
			} else {
				parts = append(parts, fmt.Sprintf("%s %s ?", e, sqlOp))
				args = append(args, c.Value)
			}
		}
	}
	return strings.Join(parts, " AND "), args, nil
}

func numeric(s string) (any, bool) {
	if i, err := strconv.ParseInt(s, 10, 64); err == nil {
		return i, true
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && !strings.ContainsAny(s, "xXnNiI") {
		return f, true
	}
	return nil, false
}

// globPattern turns a FIQL value with "*" wildcards into a GLOB pattern
// in which every other character is literal.
func globPattern(v string) string {
	var b strings.Builder
	for _, r := range v {
		switch r {
		case '*':
			b.WriteByte('*')
		case '?', '[':
			b.WriteString("[" + string(r) + "]")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
