package oraclesql

import (
	"database/sql/driver"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"

	"modernc.org/sqlite"
)

// Functions lists the Oracle functions registered with SQLite, for the
// documentation and the listing of what runs.
var Functions = []string{"DECODE", "NVL2", "TO_CHAR", "TO_DATE", "TO_NUMBER", "TRUNC", "LPAD", "RPAD", "INITCAP", "ADD_MONTHS"}

type scalar = func(ctx *sqlite.FunctionContext, args []driver.Value) (driver.Value, error)

// init registers the functions with the "sqlite" driver; they exist on
// every connection opened afterwards, which is every connection of the
// emulator's store since this package is linked before it opens.
func init() {
	for _, f := range []struct {
		name     string
		min, max int
		fn       scalar
	}{
		{"DECODE", 3, 255, decode},
		{"NVL2", 3, 3, func(_ *sqlite.FunctionContext, a []driver.Value) (driver.Value, error) {
			if a[0] != nil {
				return a[1], nil
			}
			return a[2], nil
		}},
		{"TO_CHAR", 1, 2, toChar},
		{"TO_DATE", 1, 2, func(_ *sqlite.FunctionContext, a []driver.Value) (driver.Value, error) {
			return toDate(a[0], arg(a, 1))
		}},
		{"TO_NUMBER", 1, 1, func(_ *sqlite.FunctionContext, a []driver.Value) (driver.Value, error) {
			if a[0] == nil {
				return nil, nil
			}
			f, ok := toFloat(a[0])
			if !ok {
				return nil, fmt.Errorf("TO_NUMBER: %q is not a number", Text(a[0]))
			}
			return number(f), nil
		}},
		{"TRUNC", 1, 2, func(_ *sqlite.FunctionContext, a []driver.Value) (driver.Value, error) { return trunc(a[0], arg(a, 1)) }},
		{"LPAD", 2, 3, func(_ *sqlite.FunctionContext, a []driver.Value) (driver.Value, error) { return pad(a, true) }},
		{"RPAD", 2, 3, func(_ *sqlite.FunctionContext, a []driver.Value) (driver.Value, error) { return pad(a, false) }},
		{"INITCAP", 1, 1, func(_ *sqlite.FunctionContext, a []driver.Value) (driver.Value, error) {
			if a[0] == nil {
				return nil, nil
			}
			return initcap(Text(a[0])), nil
		}},
		{"ADD_MONTHS", 2, 2, func(_ *sqlite.FunctionContext, a []driver.Value) (driver.Value, error) {
			if a[0] == nil || a[1] == nil {
				return nil, nil
			}
			t, hasTime, err := parseDate(Text(a[0]))
			if err != nil {
				return nil, fmt.Errorf("ADD_MONTHS: %w", err)
			}
			n, ok := toFloat(a[1])
			if !ok {
				return nil, fmt.Errorf("ADD_MONTHS: %q is not a number of months", Text(a[1]))
			}
			return formatDate(addMonths(t, int(n)), hasTime), nil
		}},
	} {
		// The driver keys functions by name alone, so each is variadic and
		// checks its own argument count.
		sqlite.MustRegisterDeterministicScalarFunction(f.name, -1, func(ctx *sqlite.FunctionContext, a []driver.Value) (driver.Value, error) {
			if len(a) < f.min || len(a) > f.max {
				if f.min == f.max {
					return nil, fmt.Errorf("%s takes %d arguments, got %d", f.name, f.min, len(a))
				}
				return nil, fmt.Errorf("%s takes %d to %d arguments, got %d", f.name, f.min, f.max, len(a))
			}
			return f.fn(ctx, a)
		})
	}
}

// arg returns a[i], or nil when the call has fewer arguments.
func arg(a []driver.Value, i int) driver.Value {
	if i < len(a) {
		return a[i]
	}
	return nil
}

// decode is DECODE(expr, search1, result1, ..., [default]). Like Oracle, a
// NULL expr matches a NULL search.
func decode(_ *sqlite.FunctionContext, a []driver.Value) (driver.Value, error) {
	if len(a) < 3 {
		return nil, fmt.Errorf("DECODE needs at least 3 arguments (expr, search, result), got %d", len(a))
	}
	x := a[0]
	i := 1
	for ; i+1 < len(a); i += 2 {
		if equal(x, a[i]) {
			return a[i+1], nil
		}
	}
	if i < len(a) {
		return a[i], nil
	}
	return nil, nil
}

func equal(x, y driver.Value) bool {
	if x == nil || y == nil {
		return x == nil && y == nil
	}
	if fx, ok := toFloat(x); ok {
		if fy, ok := toFloat(y); ok {
			return fx == fy
		}
	}
	return Text(x) == Text(y)
}

// Text renders a SQL value the way PowerSchool's APIs put values in JSON:
// as a string, with numbers in plain notation, booleans as 1/0 and
// timestamps as "2006-01-02 15:04:05". NULL becomes "".
func Text(v driver.Value) string {
	switch t := v.(type) {
	case nil:
		return ""
	case string:
		return t
	case []byte:
		return string(t)
	case int64:
		return strconv.FormatInt(t, 10)
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64)
	case bool:
		if t {
			return "1"
		}
		return "0"
	case time.Time:
		return t.Format("2006-01-02 15:04:05")
	}
	return fmt.Sprint(v)
}

func toFloat(v driver.Value) (float64, bool) {
	switch t := v.(type) {
	case int64:
		return float64(t), true
	case float64:
		return t, true
	case string, []byte:
		f, err := strconv.ParseFloat(strings.TrimSpace(Text(t)), 64)
		return f, err == nil
	}
	return 0, false
}

// number returns f as an integer when it is one, so it prints without ".0".
func number(f float64) driver.Value {
	if f == math.Trunc(f) && math.Abs(f) < 1<<53 {
		return int64(f)
	}
	return f
}

// parseDate reads the date forms the store and PowerQueries use.
func parseDate(s string) (t time.Time, hasTime bool, err error) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{"2006-01-02", "1/2/2006"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, false, nil
		}
	}
	for _, layout := range []string{"2006-01-02 15:04:05", "2006-01-02T15:04:05", "2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05Z07:00", "2006-01-02 15:04"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true, nil
		}
	}
	return time.Time{}, false, fmt.Errorf("%q is not a date (expected YYYY-MM-DD or YYYY-MM-DD HH:MM:SS)", s)
}

func formatDate(t time.Time, withTime bool) string {
	if withTime || t.Hour() != 0 || t.Minute() != 0 || t.Second() != 0 {
		return t.Format("2006-01-02 15:04:05")
	}
	return t.Format("2006-01-02")
}

func addMonths(t time.Time, n int) time.Time {
	first := time.Date(t.Year(), t.Month()+time.Month(n), 1, t.Hour(), t.Minute(), t.Second(), 0, time.UTC)
	last := first.AddDate(0, 1, -1).Day()
	day := t.Day()
	// Oracle: the last day of a month maps to the last day of the result.
	if day > last || t.AddDate(0, 0, 1).Day() == 1 {
		day = last
	}
	return time.Date(first.Year(), first.Month(), day, t.Hour(), t.Minute(), t.Second(), 0, time.UTC)
}

func trunc(v, unit driver.Value) (driver.Value, error) {
	if v == nil {
		return nil, nil
	}
	if _, isNum := v.(int64); isNum || isFloat(v) {
		f, _ := toFloat(v)
		places := 0.0
		if unit != nil {
			p, ok := toFloat(unit)
			if !ok {
				return nil, fmt.Errorf("TRUNC: %q is not a number of decimal places", Text(unit))
			}
			places = math.Trunc(p)
		}
		m := math.Pow(10, places)
		return number(math.Trunc(f*m) / m), nil
	}
	t, _, err := parseDate(Text(v))
	if err != nil {
		if f, ok := toFloat(v); ok {
			return number(math.Trunc(f)), nil
		}
		return nil, fmt.Errorf("TRUNC: %w", err)
	}
	switch u := strings.ToUpper(Text(unit)); u {
	case "", "DD", "DDD", "J":
		t = time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	case "MM", "MON", "MONTH":
		t = time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
	case "YYYY", "YY", "YEAR":
		t = time.Date(t.Year(), 1, 1, 0, 0, 0, 0, time.UTC)
	default:
		return nil, &UnsupportedError{Construct: "TRUNC unit " + strconv.Quote(u), Hint: "DD, MM and YYYY are supported"}
	}
	return formatDate(t, false), nil
}

func isFloat(v driver.Value) bool { _, ok := v.(float64); return ok }

func pad(a []driver.Value, left bool) (driver.Value, error) {
	v, width, fill := a[0], a[1], " "
	if len(a) == 3 {
		if a[2] == nil {
			return nil, nil
		}
		fill = Text(a[2])
	}
	if v == nil || width == nil {
		return nil, nil
	}
	w, ok := toFloat(width)
	if !ok || w < 0 || w > 4000 {
		return nil, fmt.Errorf("PAD: width %q must be a number from 0 to 4000", Text(width))
	}
	s := []rune(Text(v))
	n := int(w)
	if len(s) >= n {
		return string(s[:n]), nil
	}
	if fill == "" {
		return nil, nil
	}
	f := []rune(fill)
	var padding []rune
	for len(padding) < n-len(s) {
		padding = append(padding, f[len(padding)%len(f)])
	}
	if left {
		return string(padding) + string(s), nil
	}
	return string(s) + string(padding), nil
}

func initcap(s string) string {
	r := []rune(strings.ToLower(s))
	start := true
	for i, c := range r {
		if unicode.IsLetter(c) || unicode.IsDigit(c) {
			if start {
				r[i] = unicode.ToUpper(c)
			}
			start = false
		} else {
			start = true
		}
	}
	return string(r)
}

// toChar is TO_CHAR(value, format) for dates; numbers with a format are
// refused rather than formatted wrongly.
func toChar(_ *sqlite.FunctionContext, a []driver.Value) (driver.Value, error) {
	if len(a) == 1 {
		if a[0] == nil {
			return nil, nil
		}
		return Text(a[0]), nil
	}
	if a[0] == nil || a[1] == nil {
		return nil, nil
	}
	format := Text(a[1])
	t, _, err := parseDate(Text(a[0]))
	if err != nil {
		if _, isNum := toFloat(a[0]); isNum {
			return nil, &UnsupportedError{Construct: "TO_CHAR of a number with format " + strconv.Quote(format), Hint: "use TO_CHAR(n) or ROUND"}
		}
		return nil, fmt.Errorf("TO_CHAR: %w", err)
	}
	els, err := parseFormat(format)
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	for _, e := range els {
		b.WriteString(e.format(t))
	}
	return b.String(), nil
}

// toDate is TO_DATE(text, format): the result is the store's date text,
// YYYY-MM-DD, with the time when the format has one.
func toDate(v, format driver.Value) (driver.Value, error) {
	if v == nil {
		return nil, nil
	}
	s := strings.TrimSpace(Text(v))
	if format == nil {
		t, hasTime, err := parseDate(s)
		if err != nil {
			return nil, fmt.Errorf("TO_DATE: %w", err)
		}
		return formatDate(t, hasTime), nil
	}
	els, err := parseFormat(Text(format))
	if err != nil {
		return nil, err
	}
	var layout strings.Builder
	hasTime := false
	for _, e := range els {
		l, timePart, err := e.layout()
		if err != nil {
			return nil, err
		}
		layout.WriteString(l)
		hasTime = hasTime || timePart
	}
	t, err := time.Parse(layout.String(), s)
	if err != nil {
		return nil, fmt.Errorf("TO_DATE: %q does not match the format %q", s, Text(format))
	}
	return formatDate(t, hasTime), nil
}

// formatElement is one element of an Oracle date format model: a code
// such as YYYY or MON (with its letter case) or literal text.
type formatElement struct {
	code    string // upper-cased code; empty for literal text
	literal string
	lower   bool // "mon": lower case
	title   bool // "Mon": capitalised
	fm      bool // FM fill mode: no padding
}

var formatCodes = []string{"HH24", "HH12", "YYYY", "MONTH", "MON", "YY", "MM", "DDD", "DD", "DAY", "DY", "D", "HH", "MI", "SS", "AM", "PM", "Q"}

func parseFormat(f string) ([]formatElement, error) {
	var out []formatElement
	fm := false
	for i := 0; i < len(f); {
		c := f[i]
		if c == '"' {
			end := strings.IndexByte(f[i+1:], '"')
			if end < 0 {
				return nil, fmt.Errorf("date format %q has an unterminated quoted literal", f)
			}
			out = append(out, formatElement{literal: f[i+1 : i+1+end]})
			i += end + 2
			continue
		}
		if strings.IndexByte(" -/,.;:", c) >= 0 {
			out = append(out, formatElement{literal: string(c)})
			i++
			continue
		}
		rest := strings.ToUpper(f[i:])
		if strings.HasPrefix(rest, "FM") {
			fm = !fm
			i += 2
			continue
		}
		matched := false
		for _, code := range formatCodes {
			if strings.HasPrefix(rest, code) {
				raw := f[i : i+len(code)]
				e := formatElement{code: code, fm: fm}
				if len(raw) >= 2 {
					e.lower = raw[0] >= 'a' && raw[0] <= 'z'
					e.title = !e.lower && raw[1] >= 'a' && raw[1] <= 'z'
				}
				out = append(out, e)
				i += len(code)
				matched = true
				break
			}
		}
		if !matched {
			return nil, &UnsupportedError{Construct: fmt.Sprintf("date format element %q in %q", f[i:], f),
				Hint: "supported: YYYY YY MM MON MONTH DD DDD DY DAY D HH HH12 HH24 MI SS AM PM Q FM and quoted text"}
		}
	}
	return out, nil
}

func (e formatElement) num(n, width int) string {
	if e.fm {
		return strconv.Itoa(n)
	}
	return fmt.Sprintf("%0*d", width, n)
}

func (e formatElement) word(s string, width int) string {
	switch {
	case e.lower:
		s = strings.ToLower(s)
	case e.title:
		s = strings.ToUpper(s[:1]) + strings.ToLower(s[1:])
	default:
		s = strings.ToUpper(s)
	}
	if !e.fm && len(s) < width {
		s += strings.Repeat(" ", width-len(s))
	}
	return s
}

func (e formatElement) format(t time.Time) string {
	h12 := t.Hour() % 12
	if h12 == 0 {
		h12 = 12
	}
	switch e.code {
	case "":
		return e.literal
	case "YYYY":
		return e.num(t.Year(), 4)
	case "YY":
		return e.num(t.Year()%100, 2)
	case "MM":
		return e.num(int(t.Month()), 2)
	case "MON":
		return e.word(t.Month().String()[:3], 3)
	case "MONTH":
		return e.word(t.Month().String(), 9)
	case "DD":
		return e.num(t.Day(), 2)
	case "DDD":
		return e.num(t.YearDay(), 3)
	case "D":
		return strconv.Itoa(int(t.Weekday()) + 1)
	case "DY":
		return e.word(t.Weekday().String()[:3], 3)
	case "DAY":
		return e.word(t.Weekday().String(), 9)
	case "HH", "HH12":
		return e.num(h12, 2)
	case "HH24":
		return e.num(t.Hour(), 2)
	case "MI":
		return e.num(t.Minute(), 2)
	case "SS":
		return e.num(t.Second(), 2)
	case "AM", "PM":
		if t.Hour() < 12 {
			return e.word("AM", 2)
		}
		return e.word("PM", 2)
	case "Q":
		return strconv.Itoa((int(t.Month())-1)/3 + 1)
	}
	return ""
}

// layout gives the Go time layout that parses this element.
func (e formatElement) layout() (string, bool, error) {
	switch e.code {
	case "":
		return e.literal, false, nil
	case "YYYY":
		return "2006", false, nil
	case "YY":
		return "06", false, nil
	case "MM":
		return "1", false, nil
	case "MON":
		return "Jan", false, nil
	case "MONTH":
		return "January", false, nil
	case "DD":
		return "2", false, nil
	case "DY":
		return "Mon", false, nil
	case "DAY":
		return "Monday", false, nil
	case "HH", "HH12":
		return "3", true, nil
	case "HH24":
		return "15", true, nil
	case "MI":
		return "04", true, nil
	case "SS":
		return "05", true, nil
	case "AM", "PM":
		return "PM", true, nil
	}
	return "", false, &UnsupportedError{Construct: "TO_DATE format element " + e.code}
}
