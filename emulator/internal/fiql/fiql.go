// Package fiql parses the FIQL filters of PowerSchool's APIs and compiles
// them into SQLite WHERE clauses with bound values. One parser and one
// compiler serve every API; what differs between them is a Dialect:
//
//   - V1, the q= of /ws/v1: value lists ("school_enrollment.enroll_status==(A,P)"),
//     no !=, no null marker, values taken as written, and text compared
//     without regard to case (wildcards included).
//   - Schema, the PowerQuery "$q" and the table API "q": != and the null
//     marker ("\u0000", or the NUL character, matches NULL), URL-encoded
//     values (M%26Ms), no value lists, and text compared case-sensitively,
//     as in Oracle (wildcards included).
//
// In both, conditions are joined by ";" (AND), there is no OR and no
// parentheses around conditions, the operators are ==, =gt=, =ge=, =lt=,
// =le= (and != where allowed), and "*" in a value is a wildcard for ==
// and !=. Parse never panics; every error says where the filter went wrong.
package fiql

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// Op is a comparison operator.
type Op string

// The operators.
const (
	Eq Op = "=="
	Ne Op = "!="
	Gt Op = "=gt="
	Ge Op = "=ge="
	Lt Op = "=lt="
	Le Op = "=le="
)

// Dialect is what one API's filters allow and how they compare text.
type Dialect struct {
	// Param names the filter in errors ("q", "$q"); errors then read
	// "invalid q at character N: ...". Empty leaves the message bare.
	Param string
	// ValueLists allows field==(A,P), matching any of the values. Without
	// them a "," in a value is refused as an attempt at OR.
	ValueLists bool
	// NotEqual allows the != operator.
	NotEqual bool
	// NullMarker makes a value of "\u0000" (or the NUL character) match
	// NULL with == and not-NULL with !=.
	NullMarker bool
	// URLDecode decodes %XX escapes in values.
	URLDecode bool
	// EmptyOK makes an empty filter mean "no conditions" instead of an error.
	EmptyOK bool
	// FoldCase compares text, wildcards included, without regard to case
	// (SQLite LIKE and NOCASE); otherwise case matters (GLOB and binary).
	FoldCase bool
	// MaxLen bounds a filter; longer ones are refused unparsed. 0: no bound.
	MaxLen int
}

// The dialects of PowerSchool's APIs.
var (
	// V1 is the q= of /ws/v1 lists.
	V1 = Dialect{Param: "q", ValueLists: true, FoldCase: true, MaxLen: 4096}
	// Schema is the PowerQuery "$q" and the table API "q".
	Schema = Dialect{NotEqual: true, NullMarker: true, URLDecode: true, EmptyOK: true}
)

// Condition is one selector-operator-value term.
type Condition struct {
	Selector string   // as written, e.g. "students.grade_level"
	Op       Op       // the operator
	Values   []string // decoded; more than one only for a value list
	Null     bool     // the value is the null marker (Values is empty)
}

// SyntaxError is a malformed filter: the caller's mistake.
type SyntaxError struct {
	Param string // the dialect's Param
	Pos   int    // byte offset in the filter
	Msg   string
}

func (e *SyntaxError) Error() string {
	if e.Param == "" {
		return e.Msg
	}
	return fmt.Sprintf("invalid %s at character %d: %s", e.Param, e.Pos+1, e.Msg)
}

func (d Dialect) errorf(pos int, format string, args ...any) error {
	return &SyntaxError{Param: d.Param, Pos: pos, Msg: fmt.Sprintf(format, args...)}
}

// ops lists the dialect's operators, longest match first where they share
// a prefix (none do).
func (d Dialect) ops() []Op {
	ops := []Op{Eq, Gt, Ge, Lt, Le}
	if d.NotEqual {
		ops = append(ops, Ne)
	}
	return ops
}

func (d Dialect) opList() string {
	var names []string
	for _, o := range d.ops() {
		names = append(names, string(o))
	}
	return strings.Join(names, ", ")
}

// Parse reads a filter into conditions, all of which must hold.
func (d Dialect) Parse(q string) ([]Condition, error) {
	if d.MaxLen > 0 && len(q) > d.MaxLen {
		return nil, d.errorf(d.MaxLen, "the expression is longer than %d characters", d.MaxLen)
	}
	if strings.TrimSpace(q) == "" {
		if d.EmptyOK {
			return nil, nil
		}
		return nil, d.errorf(0, "the expression is empty; use field==value")
	}
	var out []Condition
	pos := 0
	for _, term := range d.split(q) {
		c, err := d.parseTerm(term, pos)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
		pos += len(term) + 1
	}
	return out, nil
}

// split cuts q at each ";" (outside a value list's parentheses).
func (d Dialect) split(q string) []string {
	if !d.ValueLists {
		return strings.Split(q, ";")
	}
	var parts []string
	depth, start := 0, 0
	for i := 0; i < len(q); i++ {
		switch q[i] {
		case '(':
			depth++
		case ')':
			depth--
		case ';':
			if depth <= 0 {
				parts = append(parts, q[start:i])
				start = i + 1
			}
		}
	}
	return append(parts, q[start:])
}

func (d Dialect) parseTerm(term string, pos int) (Condition, error) {
	if strings.TrimSpace(term) == "" {
		return Condition{}, d.errorf(pos, `empty condition (two ";" in a row, or a ";" at the end); join conditions with a single ";"`)
	}
	if strings.HasPrefix(strings.TrimSpace(term), "(") {
		return Condition{}, d.errorf(pos, "condition %q: parentheses are not supported around conditions; filters are a flat list of conditions joined by ';'", head(term))
	}
	at, op := -1, Op("")
	for _, o := range d.ops() {
		if i := strings.Index(term, string(o)); i >= 0 && (at < 0 || i < at) {
			at, op = i, o
		}
	}
	if at < 0 {
		return Condition{}, d.errorf(pos, "condition %q has no operator: expected an operator (%s) after the field, as in students.grade_level=ge=9", head(term), d.opList())
	}
	sel := strings.TrimSpace(term[:at])
	if sel == "" {
		return Condition{}, d.errorf(pos, "condition %q has no field: expected a field name such as name.last_name before %s", head(term), op)
	}
	for _, r := range sel {
		if !(r == '_' || r == '.' || r == '-' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return Condition{}, d.errorf(pos, "condition %q: field %q may hold only letters, digits, '_', '-' and '.'", head(term), head(sel))
		}
	}
	if strings.HasPrefix(sel, ".") || strings.HasSuffix(sel, ".") || strings.Contains(sel, "..") {
		return Condition{}, d.errorf(pos, "field name %q is malformed: write table.field", sel)
	}
	vpos := pos + at + len(op)
	raw := term[at+len(op):]
	c := Condition{Selector: sel, Op: op}
	if raw == "" {
		hint := ""
		if d.NullMarker {
			hint = `; to match null use "\u0000"`
		}
		return Condition{}, d.errorf(vpos, "%s%s has no value%s", sel, op, hint)
	}
	if d.NullMarker && (raw == `\u0000` || raw == "\x00") {
		return d.null(c, term, vpos)
	}
	if d.ValueLists {
		if raw[0] == '(' {
			vals, err := d.valueList(op, raw, vpos)
			c.Values = vals
			return c, err
		}
		if j := strings.IndexAny(raw, "()"); j >= 0 {
			return Condition{}, d.errorf(vpos+j, "parentheses are only allowed around a whole value list, as in field==(A,P)")
		}
	} else if strings.Contains(raw, ",") {
		return Condition{}, d.errorf(vpos, "condition %q: OR (',') is not supported; send separate requests, or URL-encode a literal comma as %%2C", head(term))
	}
	val := raw
	if d.URLDecode {
		var err error
		if val, err = url.PathUnescape(raw); err != nil {
			return Condition{}, d.errorf(vpos, "condition %q: the value is not valid URL encoding (%v); encode %% as %%25", head(term), err)
		}
		if d.NullMarker && val == "\x00" {
			return d.null(c, term, vpos)
		}
		if val == "" {
			return Condition{}, d.errorf(vpos, `%s%s has no value; to match null use "\u0000"`, sel, op)
		}
	}
	c.Values = []string{val}
	return c, nil
}

func (d Dialect) null(c Condition, term string, pos int) (Condition, error) {
	if c.Op != Eq && c.Op != Ne {
		return Condition{}, d.errorf(pos, "condition %q: null can be matched only with == or !=", head(term))
	}
	c.Null = true
	return c, nil
}

func (d Dialect) valueList(op Op, raw string, pos int) ([]string, error) {
	if op != Eq {
		return nil, d.errorf(pos, "a value list needs ==, not %s", op)
	}
	if !strings.HasSuffix(raw, ")") {
		return nil, d.errorf(pos, "value list is not closed; write field==(A,P)")
	}
	inner := raw[1 : len(raw)-1]
	if strings.ContainsAny(inner, "()") {
		return nil, d.errorf(pos, "value lists cannot be nested")
	}
	values := strings.Split(inner, ",")
	for k, v := range values {
		if v == "" {
			return nil, d.errorf(pos, "value %d of the list is empty", k+1)
		}
	}
	return values, nil
}

func head(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

// ErrUnknownField is wrapped by resolvers for fields that do not exist.
var ErrUnknownField = errors.New("unknown field")
