// Package searchq parses the q= search expressions of PowerSchool's /ws/v1
// API: criteria joined by ";" (AND), each "field<op>value" with the
// operators ==, =gt=, =ge=, =lt=, =le=, "*" wildcards in values, and
// parenthesised value lists for == ("school_enrollment.enroll_status==(A,P)").
//
// Parse never panics; every error says where the expression went wrong.
package searchq

import (
	"fmt"
	"strings"
)

// Op is a comparison operator.
type Op string

// The operators PowerSchool documents for q.
const (
	Eq Op = "=="
	Gt Op = "=gt="
	Ge Op = "=ge="
	Lt Op = "=lt="
	Le Op = "=le="
)

var ops = []Op{Eq, Gt, Ge, Lt, Le}

// Criterion is one field test. Values has more than one entry only for a
// "(a,b)" list, which matches any of them.
type Criterion struct {
	Field  string
	Op     Op
	Values []string
}

// Error is a malformed expression.
type Error struct {
	Pos int // byte offset in the expression
	Msg string
}

func (e *Error) Error() string { return fmt.Sprintf("invalid q at character %d: %s", e.Pos+1, e.Msg) }

// MaxLen bounds an expression; longer ones are refused rather than parsed.
const MaxLen = 4096

// Parse splits q into criteria, all of which must hold.
func Parse(q string) ([]Criterion, error) {
	if len(q) > MaxLen {
		return nil, &Error{Pos: MaxLen, Msg: fmt.Sprintf("the expression is longer than %d characters", MaxLen)}
	}
	if strings.TrimSpace(q) == "" {
		return nil, &Error{Pos: 0, Msg: "the expression is empty; use field==value"}
	}
	var out []Criterion
	pos := 0
	for _, part := range splitTop(q) {
		c, err := parseCriterion(part, pos)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
		pos += len(part) + 1
	}
	return out, nil
}

// splitTop splits on ";" outside parentheses.
func splitTop(q string) []string {
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

func parseCriterion(s string, base int) (Criterion, error) {
	if s == "" {
		return Criterion{}, &Error{Pos: base, Msg: `empty criterion (two ";" in a row, or a ";" at the end)`}
	}
	i := 0
	for i < len(s) && isFieldByte(s[i]) {
		i++
	}
	field := s[:i]
	if field == "" {
		return Criterion{}, &Error{Pos: base, Msg: fmt.Sprintf("expected a field name such as name.last_name, found %q", head(s))}
	}
	if strings.HasPrefix(field, ".") || strings.HasSuffix(field, ".") || strings.Contains(field, "..") {
		return Criterion{}, &Error{Pos: base, Msg: fmt.Sprintf("field name %q is malformed", field)}
	}
	var op Op
	for _, o := range ops {
		if strings.HasPrefix(s[i:], string(o)) {
			op = o
			break
		}
	}
	if op == "" {
		return Criterion{}, &Error{Pos: base + i, Msg: fmt.Sprintf("expected an operator (==, =gt=, =ge=, =lt=, =le=) after %q, found %q", field, head(s[i:]))}
	}
	i += len(op)
	raw := s[i:]
	if raw == "" {
		return Criterion{}, &Error{Pos: base + i, Msg: fmt.Sprintf("%s%s has no value", field, op)}
	}
	if raw[0] != '(' {
		if j := strings.IndexAny(raw, "()"); j >= 0 {
			return Criterion{}, &Error{Pos: base + i + j, Msg: "parentheses are only allowed around a whole value list, as in field==(A,P)"}
		}
		return Criterion{Field: field, Op: op, Values: []string{raw}}, nil
	}
	if op != Eq {
		return Criterion{}, &Error{Pos: base + i, Msg: fmt.Sprintf("a value list needs ==, not %s", op)}
	}
	if !strings.HasSuffix(raw, ")") {
		return Criterion{}, &Error{Pos: base + i, Msg: `value list is not closed; write field==(A,P)`}
	}
	inner := raw[1 : len(raw)-1]
	if strings.ContainsAny(inner, "()") {
		return Criterion{}, &Error{Pos: base + i, Msg: "value lists cannot be nested"}
	}
	values := strings.Split(inner, ",")
	for k, v := range values {
		if v == "" {
			return Criterion{}, &Error{Pos: base + i, Msg: fmt.Sprintf("value %d of the list is empty", k+1)}
		}
	}
	return Criterion{Field: field, Op: op, Values: values}, nil
}

func isFieldByte(b byte) bool {
	return b == '_' || b == '.' || b == '-' || (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9')
}

func head(s string) string {
	if len(s) > 20 {
		return s[:20] + "..."
	}
	return s
}

// HasWildcard reports whether v contains "*".
func HasWildcard(v string) bool { return strings.Contains(v, "*") }

// Like turns a value with "*" wildcards into a SQL LIKE pattern that uses
// "\" as its escape character.
func Like(v string) string {
	var b strings.Builder
	for _, r := range v {
		switch r {
		case '*':
			b.WriteByte('%')
		case '%', '_', '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
