package fiql

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Kind is how a field's values compare.
type Kind int

const (
	// Auto compares a numeric value as a number to numeric data and as
	// text to text data, so "grade_level==9" and "student_web_id==123"
	// both match as written (the schema APIs, whose columns are untyped
	// to the client).
	Auto Kind = iota
	// Text compares as text.
	Text
	// Int takes whole numbers only.
	Int
	// Date takes YYYY-MM-DD only.
	Date
)

// Field is what a selector filters.
type Field struct {
	Expr string // the SQL expression
	Kind Kind
	// Custom, when set, compiles one value itself (a coded field such as
	// enroll_status); Kind is then ignored.
	Custom func(op Op, value string) (string, []any, error)
}

// Resolver maps a selector to its Field, or explains why it cannot (an
// unknown field, which it reports wrapping ErrUnknownField).
type Resolver func(selector string) (Field, error)

// Columns makes a Resolver from one that gives only the SQL expression;
// its fields compare as Auto.
func Columns(expr func(selector string) (string, error)) Resolver {
	return func(sel string) (Field, error) {
		e, err := expr(sel)
		return Field{Expr: e}, err
	}
}

var sqlOps = map[Op]string{Eq: "=", Ne: "<>", Gt: ">", Ge: ">=", Lt: "<", Le: "<="}

var datePattern = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)

// Where renders conditions as a SQL boolean expression ("1=1" when empty)
// with positional (?) arguments. A value list matches any of its values.
// Errors other than the resolver's are the caller's mistakes in a value.
func (d Dialect) Where(conds []Condition, resolve Resolver) (string, []any, error) {
	if len(conds) == 0 {
		return "1=1", nil, nil
	}
	var parts []string
	var args []any
	for _, c := range conds {
		f, err := resolve(c.Selector)
		if err != nil {
			return "", nil, err
		}
		if c.Null {
			if c.Op == Eq {
				parts = append(parts, f.Expr+" IS NULL")
			} else {
				parts = append(parts, f.Expr+" IS NOT NULL")
			}
			continue
		}
		var alts []string
		for _, v := range c.Values {
			s, a, err := d.compare(c, f, v)
			if err != nil {
				return "", nil, err
			}
			alts = append(alts, s)
			args = append(args, a...)
		}
		if len(alts) == 1 {
			parts = append(parts, alts[0])
		} else {
			parts = append(parts, "("+strings.Join(alts, " OR ")+")")
		}
	}
	return strings.Join(parts, " AND "), args, nil
}

func (d Dialect) compare(c Condition, f Field, v string) (string, []any, error) {
	if f.Custom != nil {
		return f.Custom(c.Op, v)
	}
	e, op := f.Expr, sqlOps[c.Op]
	wild := strings.Contains(v, "*")
	patternOp := c.Op == Eq || c.Op == Ne
	switch f.Kind {
	case Int:
		if wild {
			return "", nil, fmt.Errorf("%s is a number and takes no * wildcard", c.Selector)
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return "", nil, fmt.Errorf("%s expects a whole number, got %q", c.Selector, v)
		}
		return e + " " + op + " ?", []any{n}, nil
	case Date:
		if wild || !datePattern.MatchString(v) {
			return "", nil, fmt.Errorf("%s expects a date as YYYY-MM-DD, got %q", c.Selector, v)
		}
		return e + " " + op + " ?", []any{v}, nil
	case Text:
		if wild && !patternOp {
			return "", nil, fmt.Errorf("* wildcards work only with ==%s, not %s", map[bool]string{true: " and !=", false: ""}[d.NotEqual], c.Op)
		}
		if wild {
			return d.match(c.Op, e, v)
		}
		return e + " " + op + " ?" + d.collate(), []any{v}, nil
	default: // Auto
		if wild && patternOp {
			return d.match(c.Op, e, v)
		}
		if n, ok := numeric(v); ok {
			return fmt.Sprintf("((typeof(%[1]s) IN ('integer','real') AND %[1]s %[2]s ?) OR (typeof(%[1]s) = 'text' AND %[1]s %[2]s ?%[3]s))", e, op, d.collate()), []any{n, v}, nil
		}
		return e + " " + op + " ?" + d.collate(), []any{v}, nil
	}
}

func (d Dialect) collate() string {
	if d.FoldCase {
		return " COLLATE NOCASE"
	}
	return ""
}

// match renders a wildcard comparison: LIKE when the dialect folds case
// (SQLite's LIKE ignores ASCII case), GLOB when case matters.
func (d Dialect) match(op Op, e, v string) (string, []any, error) {
	not := ""
	if op == Ne {
		not = "NOT "
	}
	if d.FoldCase {
		return fmt.Sprintf(`(%s IS NOT NULL AND CAST(%s AS TEXT) %sLIKE ? ESCAPE '\')`, e, e, not), []any{Like(v)}, nil
	}
	return fmt.Sprintf("(%s IS NOT NULL AND CAST(%s AS TEXT) %sGLOB ?)", e, e, not), []any{globPattern(v)}, nil
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

// globPattern turns a value with "*" wildcards into a GLOB pattern in which
// every other character is literal.
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

// Like turns a value with "*" wildcards into a LIKE pattern that uses "\"
// as its escape character.
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
