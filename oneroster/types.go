package oneroster

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/pskit/pskit/internal/wire"
)

// Providers disagree on scalar encodings (dates with or without a time,
// numbers as strings, booleans as "true"). The types below decode every form
// seen in the wild and encode the form the 1.1 JSON binding specifies.

// isNull reports whether b is JSON null or an empty string: providers send
// both for absent optional values.
func isNull(b []byte) bool {
	b = bytes.TrimSpace(b)
	return len(b) == 0 || string(b) == "null" || string(b) == `""`
}

// DateTime is an instant, encoded as RFC 3339 in UTC with milliseconds
// ("2024-05-01T12:00:00.000Z"). It decodes RFC 3339 with or without
// fractional seconds or zone, and a bare date (midnight UTC).
type DateTime struct{ time.Time }

// NewDateTime wraps t.
func NewDateTime(t time.Time) DateTime { return DateTime{t} }

// MarshalJSON encodes the time as RFC 3339 UTC with milliseconds.
func (d DateTime) MarshalJSON() ([]byte, error) {
	if d.IsZero() {
		return []byte("null"), nil
	}
	return json.Marshal(d.UTC().Format("2006-01-02T15:04:05.000Z07:00"))
}

// UnmarshalJSON accepts a date or date-time string, null or "".
func (d *DateTime) UnmarshalJSON(b []byte) error {
	if isNull(b) {
		*d = DateTime{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("date-time: want a string, got %s", wire.Truncate(string(b), 40))
	}
	t, err := parseTime(s)
	if err != nil {
		return err
	}
	*d = DateTime{t}
	return nil
}

// Date is a calendar date, encoded as "2006-01-02" as the 1.1 binding asks
// for scoreDate, startDate, endDate, beginDate. It also decodes a date-time
// (Google's conformance suite sends one for scoreDate) and keeps its instant.
type Date struct{ time.Time }

// NewDate returns the date of year, month and day.
func NewDate(year int, month time.Month, day int) Date {
	return Date{time.Date(year, month, day, 0, 0, 0, 0, time.UTC)}
}

// MarshalJSON encodes the date as YYYY-MM-DD.
func (d Date) MarshalJSON() ([]byte, error) {
	if d.IsZero() {
		return []byte("null"), nil
	}
	return json.Marshal(d.Format("2006-01-02"))
}

// UnmarshalJSON accepts a date or date-time string, null or "".
func (d *Date) UnmarshalJSON(b []byte) error {
	var dt DateTime
	if err := dt.UnmarshalJSON(b); err != nil {
		return err
	}
	*d = Date(dt)
	return nil
}

var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999", // no zone: read as UTC
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
	time.DateOnly,
}

func parseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("date-time: cannot parse %q as a date (YYYY-MM-DD) or RFC 3339 date-time", wire.Truncate(s, 40))
}

// Number is a float that decodes from a JSON number or a numeric string (the
// Microsoft reference provider writes resultValueMin/Max as strings). It
// encodes as a JSON number.
type Number float64

// UnmarshalJSON accepts 12, 12.5, "12", "12.5", null or "".
func (n *Number) UnmarshalJSON(b []byte) error {
	if isNull(b) {
		*n = 0
		return nil
	}
	s := string(bytes.TrimSpace(b))
	if s[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return fmt.Errorf("number: %w", err)
		}
		s = strings.TrimSpace(s)
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return fmt.Errorf("number: cannot parse %q", wire.Truncate(s, 40))
	}
	*n = Number(f)
	return nil
}

// Bool decodes true, false, "true", "false" (any case), 1, 0, null.
type Bool bool

// UnmarshalJSON accepts JSON booleans, their string forms and 0/1.
func (v *Bool) UnmarshalJSON(b []byte) error {
	if isNull(b) {
		*v = false
		return nil
	}
	s := strings.Trim(string(bytes.TrimSpace(b)), `"`)
	p, err := strconv.ParseBool(strings.ToLower(s))
	if err != nil {
		return fmt.Errorf("boolean: cannot parse %q", wire.Truncate(s, 40))
	}
	*v = Bool(p)
	return nil
}

// Text is a string that also decodes from a JSON number (schoolYear and
// identifier arrive as numbers from some providers).
type Text string

// UnmarshalJSON accepts a string, a number or null.
func (t *Text) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || string(b) == "null" {
		*t = ""
		return nil
	}
	if b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*t = Text(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("text: want a string or number, got %s", wire.Truncate(string(b), 40))
	}
	*t = Text(n.String())
	return nil
}

// Strings is a list of strings that also decodes from one comma-separated
// string, the CSV binding's form, which some REST providers copy.
type Strings []string

// UnmarshalJSON accepts ["a","b"], "a,b", null or "".
func (s *Strings) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if isNull(b) {
		*s = nil
		return nil
	}
	if b[0] == '"' {
		var one string
		if err := json.Unmarshal(b, &one); err != nil {
			return err
		}
		var out []string
		for _, part := range strings.Split(one, ",") {
			if part = strings.TrimSpace(part); part != "" {
				out = append(out, part)
			}
		}
		*s = out
		return nil
	}
	var many []Text
	if err := json.Unmarshal(b, &many); err != nil {
		return fmt.Errorf("string list: want an array or a comma-separated string, got %s", wire.Truncate(string(b), 40))
	}
	out := make([]string, len(many))
	for i, v := range many {
		out[i] = string(v)
	}
	*s = out
	return nil
}
