package powerschool

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/pskit/pskit/internal/wire"
)

// PowerSchool's JSON comes from an XML-to-JSON conversion: numbers may arrive
// as strings and strings as numbers, a one-element list arrives as a bare
// object, an empty list or expansion block as "" or nothing. The types in this
// file decode all of these forms (reference §3.2, §8).

// FlexInt is an integer that decodes from a JSON number or a string holding
// one. "" and null decode to 0. It encodes as a JSON number.
type FlexInt int64

// UnmarshalJSON implements json.Unmarshaler.
func (n *FlexInt) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	s := string(b)
	if s == "null" {
		*n = 0
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		s = strings.TrimSpace(s)
		if s == "" {
			*n = 0
			return nil
		}
	}
	if v, err := strconv.ParseInt(s, 10, 64); err == nil {
		*n = FlexInt(v)
		return nil
	}
	// Integral values written as floats ("12.0", 1e3).
	if f, err := strconv.ParseFloat(s, 64); err == nil && f == math.Trunc(f) && math.Abs(f) < 1<<53 {
		*n = FlexInt(int64(f))
		return nil
	}
	return fmt.Errorf("powerschool: cannot read %s as an integer", wire.Truncate(string(b), 40))
}

// Int returns n as an int.
func (n FlexInt) Int() int { return int(n) }

// String returns the decimal form of n.
func (n FlexInt) String() string { return strconv.FormatInt(int64(n), 10) }

// FlexString is a string that also decodes from a JSON number or boolean
// (keeping its literal text, e.g. a numeric student_username). null decodes to "".
type FlexString string

// UnmarshalJSON implements json.Unmarshaler.
func (s *FlexString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0:
		return fmt.Errorf("powerschool: empty JSON value for a string")
	case b[0] == '"':
		var v string
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*s = FlexString(v)
		return nil
	case string(b) == "null":
		*s = ""
		return nil
	case string(b) == "true" || string(b) == "false":
		*s = FlexString(b)
		return nil
	case b[0] == '-' || (b[0] >= '0' && b[0] <= '9'):
		var num json.Number
		if err := json.Unmarshal(b, &num); err != nil {
			return err
		}
		*s = FlexString(num.String())
		return nil
	}
	return fmt.Errorf("powerschool: cannot read %s as a string", wire.Truncate(string(b), 40))
}

// FlexBool decodes true/false from a JSON boolean or the strings "true",
// "false", "1", "0" (metadata's sso_enabled_* fields are strings).
type FlexBool bool

// UnmarshalJSON implements json.Unmarshaler.
func (v *FlexBool) UnmarshalJSON(b []byte) error {
	var s FlexString
	if err := s.UnmarshalJSON(b); err != nil {
		return err
	}
	switch strings.ToLower(strings.TrimSpace(string(s))) {
	case "true", "1", "yes":
		*v = true
	case "false", "0", "no", "":
		*v = false
	default:
		return fmt.Errorf("powerschool: cannot read %s as a boolean", wire.Truncate(string(b), 40))
	}
	return nil
}

// List is a list that also decodes from a single bare element (PowerSchool's
// one-record quirk), and from "" or null (empty).
type List[T any] []T

// UnmarshalJSON implements json.Unmarshaler.
func (l *List[T]) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || isEmptyValue(b) {
		*l = nil
		return nil
	}
	if b[0] == '[' {
		var items []T
		if err := json.Unmarshal(b, &items); err != nil {
			return err
		}
		*l = items
		return nil
	}
	var one T
	if err := json.Unmarshal(b, &one); err != nil {
		return err
	}
	*l = List[T]{one}
	return nil
}

// isEmptyValue reports whether b is null or "" (how PowerSchool sends an
// empty expansion block or list).
func isEmptyValue(b []byte) bool {
	b = bytes.TrimSpace(b)
	return string(b) == "null" || string(b) == `""`
}

// unmarshalBlock decodes an expansion block, treating "" as empty. Callers
// pass a pointer to a method-less copy of their type to avoid recursion.
func unmarshalBlock[T any](b []byte, v *T) error {
	if isEmptyValue(b) {
		var zero T
		*v = zero
		return nil
	}
	return json.Unmarshal(b, v)
}
