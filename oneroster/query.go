package oneroster

import (
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// DefaultLimit is the page size asked for when ListOptions.Limit is zero: the
// 1.1 default, and within the page cap of every provider seen.
const DefaultLimit = 100

// ListOptions narrows and orders a collection read. The zero value reads
// everything in the provider's order, DefaultLimit records per request.
type ListOptions struct {
	// Limit is the page size sent as limit=. Providers may cap it (a
	// PowerSchool plugin has a "Maximum Page Size"); the iterator copes when
	// the provider sends X-Total-Count or Link, otherwise keep Limit at or
	// below the cap.
	Limit int
	// Offset is the first record to read (offset=).
	Offset int
	// Filter restricts the records (filter=), e.g. Eq("familyName", "Smith").
	Filter Filter
	// Sort names the field to sort on (sort=); OrderBy is "asc" or "desc".
	Sort    string
	OrderBy string
	// Fields asks for only these fields (fields=). Records then hold only
	// what the provider returned.
	Fields []string
}

// Filter is a OneRoster filter expression: field, predicate and a quoted
// value, joined by AND or OR. Build one with Eq, Ne, Gt, Ge, Lt, Le,
// Contains, And, Or; or RawFilter for anything else.
type Filter struct {
	expr string
	err  error
}

// String returns the expression as sent in filter=.
func (f Filter) String() string { return f.expr }

// IsZero reports whether f is empty.
func (f Filter) IsZero() bool { return f.expr == "" && f.err == nil }

// RawFilter sends expr unchanged, e.g. "dateLastModified>'2024-01-01'".
func RawFilter(expr string) Filter { return Filter{expr: expr} }

func predicate(field, op, value string) Filter {
	if field == "" || strings.ContainsAny(field, " '\"=!<>~&") {
		return Filter{err: fmt.Errorf("oneroster: filter field %q is not a field name: use a name like familyName or class.sourcedId", field)}
	}
	// The 1.1 grammar has no escape for a quote inside a value; providers
	// match the last quote, so values with apostrophes (O'Brien) pass as is.
	return Filter{expr: field + op + "'" + value + "'"}
}

// Eq matches records whose field equals value: field='value'.
func Eq(field, value string) Filter { return predicate(field, "=", value) }

// Ne matches records whose field differs from value: field!='value'.
func Ne(field, value string) Filter { return predicate(field, "!=", value) }

// Gt matches field>'value' (dates compare as ISO strings).
func Gt(field, value string) Filter { return predicate(field, ">", value) }

// Ge matches field>='value'.
func Ge(field, value string) Filter { return predicate(field, ">=", value) }

// Lt matches field<'value'.
func Lt(field, value string) Filter { return predicate(field, "<", value) }

// Le matches field<='value'.
func Le(field, value string) Filter { return predicate(field, "<=", value) }

// Contains matches records whose field contains value: field~'value'.
func Contains(field, value string) Filter { return predicate(field, "~", value) }

// And joins filters with " AND ". The 1.1 spec recommends at most one
// logical operator per filter; providers may reject more.
func And(fs ...Filter) Filter { return join(" AND ", fs) }

// Or joins filters with " OR ".
func Or(fs ...Filter) Filter { return join(" OR ", fs) }

func join(op string, fs []Filter) Filter {
	parts := make([]string, 0, len(fs))
	for _, f := range fs {
		if f.err != nil {
			return f
		}
		if f.expr != "" {
			parts = append(parts, f.expr)
		}
	}
	return Filter{expr: strings.Join(parts, op)}
}

// values encodes the options as query parameters; limit is the page size to
// ask for and offset the position.
func (o *ListOptions) values(limit, offset int) (url.Values, error) {
	v := url.Values{}
	v.Set("limit", strconv.Itoa(limit))
	v.Set("offset", strconv.Itoa(offset))
	if o == nil {
		return v, nil
	}
	if o.Filter.err != nil {
		return nil, o.Filter.err
	}
	if o.Filter.expr != "" {
		v.Set("filter", o.Filter.expr)
	}
	if o.Sort != "" {
		v.Set("sort", o.Sort)
	}
	switch strings.ToLower(o.OrderBy) {
	case "":
	case "asc", "desc":
		v.Set("orderBy", strings.ToLower(o.OrderBy))
	default:
		return nil, fmt.Errorf("oneroster: OrderBy %q: use \"asc\" or \"desc\"", o.OrderBy)
	}
	if len(o.Fields) > 0 {
		v.Set("fields", strings.Join(o.Fields, ","))
	}
	return v, nil
}

func (o *ListOptions) validate() error {
	if o == nil {
		return nil
	}
	if o.Limit < 0 || o.Offset < 0 {
		return fmt.Errorf("oneroster: Limit (%d) and Offset (%d) must not be negative", o.Limit, o.Offset)
	}
	_, err := o.values(1, 0)
	return err
}

// encodeQuery encodes v with RFC 3986 percent-encoding (space as %20, not
// '+'), sorted by key. OAuth 1.0a signatures are computed over the same
// encoding, so what is signed is what is sent.
func encodeQuery(v url.Values) string {
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		for _, val := range v[k] {
			if b.Len() > 0 {
				b.WriteByte('&')
			}
			b.WriteString(percentEncode(k))
			b.WriteByte('=')
			b.WriteString(percentEncode(val))
		}
	}
	return b.String()
}

// percentEncode is RFC 5849 §3.6 / RFC 3986 encoding: everything but
// ALPHA, DIGIT, '-', '.', '_', '~' becomes %XX with upper-case hex.
func percentEncode(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if ('A' <= c && c <= 'Z') || ('a' <= c && c <= 'z') || ('0' <= c && c <= '9') ||
			c == '-' || c == '.' || c == '_' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}
