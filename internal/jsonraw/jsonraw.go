// Package jsonraw walks JSON without decoding it: the members of an object
// and the elements of an array as slices of the input, checked as strictly
// as encoding/json checks them. A record can then be regrouped, copied or
// written out with no round trip through maps or reflection, and in one
// pass over its bytes, several times faster than encoding/json's scanner.
package jsonraw

import (
	"encoding/json"
	"errors"
	"fmt"
)

// ErrIncomplete reports input that ends inside a value: more bytes may
// complete it.
var ErrIncomplete = errors.New("unexpected end of JSON input")

// maxDepth is encoding/json's nesting limit.
const maxDepth = 10000

// SyntaxError is invalid JSON, at byte Offset of the input.
type SyntaxError struct {
	Offset int
	msg    string
}

func (e *SyntaxError) Error() string { return e.msg }

func syntaxErr(b []byte, i int, context string) error {
	if i >= len(b) {
		return ErrIncomplete
	}
	return &SyntaxError{Offset: i, msg: fmt.Sprintf("invalid character %q %s (offset %d)", b[i], context, i)}
}

func skipWS(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// Value returns where the JSON value starting at b[i] (after whitespace)
// begins and ends. It returns ErrIncomplete when b ends inside it; a number
// that runs to the end of b counts as complete.
func Value(b []byte, i int) (start, end int, err error) {
	start = skipWS(b, i)
	end, err = value(b, start, 0)
	return start, end, err
}

// Valid reports whether b is exactly one JSON value, with optional
// whitespace around it.
func Valid(b []byte) bool {
	_, end, err := Value(b, 0)
	return err == nil && skipWS(b, end) == len(b)
}

// value returns the end of the value starting at b[i], inside depth
// containers.
func value(b []byte, i, depth int) (int, error) {
	if i >= len(b) {
		return i, ErrIncomplete
	}
	switch c := b[i]; {
	case c == '"':
		return str(b, i)
	case c == '{':
		return container(b, i, '}', depth)
	case c == '[':
		return container(b, i, ']', depth)
	case c == 't':
		return literal(b, i, "true")
	case c == 'f':
		return literal(b, i, "false")
	case c == 'n':
		return literal(b, i, "null")
	case c == '-' || '0' <= c && c <= '9':
		return number(b, i)
	}
	return i, syntaxErr(b, i, "looking for beginning of value")
}

// str returns the end of the string whose opening quote is at b[i].
func str(b []byte, i int) (int, error) {
	i++
	for {
		for i < len(b) && b[i] != '"' && b[i] != '\\' && b[i] >= 0x20 {
			i++
		}
		if i >= len(b) {
			return i, ErrIncomplete
		}
		switch c := b[i]; {
		case c == '"':
			return i + 1, nil
		case c < 0x20:
			return i, syntaxErr(b, i, "in string literal")
		}
		if i+1 >= len(b) {
			return i, ErrIncomplete
		}
		switch b[i+1] {
		case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			i += 2
		case 'u':
			for k := 2; k < 6; k++ {
				if i+k >= len(b) {
					return i, ErrIncomplete
				}
				if !isHex(b[i+k]) {
					return i, syntaxErr(b, i+k, "in \\u hexadecimal character escape")
				}
			}
			i += 6
		default:
			return i, syntaxErr(b, i+1, "in string escape code")
		}
	}
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func literal(b []byte, i int, lit string) (int, error) {
	for k := 1; k < len(lit); k++ {
		if i+k >= len(b) {
			return i, ErrIncomplete
		}
		if b[i+k] != lit[k] {
			return i, syntaxErr(b, i+k, "in literal "+lit)
		}
	}
	return i + len(lit), nil
}

func number(b []byte, i int) (int, error) {
	if b[i] == '-' {
		i++
	}
	if i >= len(b) {
		return i, ErrIncomplete
	}
	switch {
	case b[i] == '0':
		i++
	case '1' <= b[i] && b[i] <= '9':
		for i++; i < len(b) && isDigit(b[i]); i++ {
		}
	default:
		return i, syntaxErr(b, i, "in numeric literal")
	}
	if i < len(b) && b[i] == '.' {
		i++
		if i >= len(b) {
			return i, ErrIncomplete
		}
		if !isDigit(b[i]) {
			return i, syntaxErr(b, i, "after decimal point in numeric literal")
		}
		for i < len(b) && isDigit(b[i]) {
			i++
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) {
			return i, ErrIncomplete
		}
		if !isDigit(b[i]) {
			return i, syntaxErr(b, i, "in exponent of numeric literal")
		}
		for i < len(b) && isDigit(b[i]) {
			i++
		}
	}
	return i, nil
}

// container returns the end of the object or array opening at b[i].
func container(b []byte, i int, closing byte, depth int) (int, error) {
	if depth >= maxDepth {
		return i, &SyntaxError{Offset: i, msg: "exceeded max depth"}
	}
	it := Iter{b: b, i: i + 1, depth: depth + 1, closing: closing, first: true}
	for it.Next() {
	}
	return it.i, it.err
}

// Iter walks the members of an object or the elements of an array.
type Iter struct {
	b       []byte
	i       int // next byte to read
	depth   int // containers around the values walked
	closing byte
	first   bool
	done    bool
	top     bool // the walk started at the input's top level: only whitespace may follow
	// The current key and value, as offsets: storing ints, not slices,
	// spares the walk a GC write barrier per member.
	key0, key1, val0, val1 int
	err                    error
}

// Object walks the members of the object b holds: b is one JSON object,
// with optional whitespace around it.
func Object(b []byte) Iter { return open(b, '{', '}', "object") }

// Array walks the elements of the array b holds.
func Array(b []byte) Iter { return open(b, '[', ']', "array") }

func open(b []byte, opening, closing byte, what string) Iter {
	it := Iter{b: b, depth: 1, closing: closing, first: true, top: true}
	i := skipWS(b, 0)
	switch {
	case i >= len(b):
		it.err = ErrIncomplete
	case b[i] != opening:
		it.err = &SyntaxError{Offset: i, msg: fmt.Sprintf("not a JSON %s (it begins with %q)", what, b[i])}
	default:
		it.i = i + 1
	}
	return it
}

// Next moves to the next member or element, reporting false at the end
// or on an error (see Err).
func (it *Iter) Next() bool {
	if it.err != nil || it.done {
		return false
	}
	b := it.b
	i := skipWS(b, it.i)
	if i >= len(b) {
		it.err = ErrIncomplete
		return false
	}
	switch {
	case b[i] == it.closing:
		it.done, it.i = true, i+1
		if it.top && skipWS(b, it.i) != len(b) {
			it.err = syntaxErr(b, skipWS(b, it.i), "after top-level value")
		}
		return false
	case it.first:
		it.first = false
	case b[i] == ',':
		i = skipWS(b, i+1)
	case it.closing == '}':
		it.err = syntaxErr(b, i, "after object key:value pair")
		return false
	default:
		it.err = syntaxErr(b, i, "after array element")
		return false
	}
	if it.closing == '}' {
		if i >= len(b) || b[i] != '"' {
			it.err = syntaxErr(b, i, "looking for beginning of object key string")
			return false
		}
		end, err := str(b, i)
		if err != nil {
			it.err = err
			return false
		}
		it.key0, it.key1 = i, end
		i = skipWS(b, end)
		if i >= len(b) || b[i] != ':' {
			it.err = syntaxErr(b, i, "after object key")
			return false
		}
		i = skipWS(b, i+1)
	}
	end, err := value(b, i, it.depth)
	if err != nil {
		it.err = err
		return false
	}
	it.val0, it.val1, it.i = i, end, end
	return true
}

// Key is the current member's key as it is in the input, quotes included.
func (it *Iter) Key() []byte { return it.b[it.key0:it.key1:it.key1] }

// Value is the current member's or element's value, without whitespace.
func (it *Iter) Value() []byte { return it.b[it.val0:it.val1:it.val1] }

// Err is the error that ended the walk, if any.
func (it *Iter) Err() error { return it.err }

// Unquote returns the text of a JSON string (quotes included, as Key
// returns it).
func Unquote(raw []byte) (string, error) {
	if len(raw) >= 2 && raw[0] == '"' && raw[len(raw)-1] == '"' && plain(raw[1:len(raw)-1]) {
		return string(raw[1 : len(raw)-1]), nil
	}
	var s string
	err := json.Unmarshal(raw, &s)
	return s, err
}

// KeyIs reports whether the raw key (quotes included) is name.
func KeyIs(raw []byte, name string) bool {
	if len(raw) == len(name)+2 && string(raw[1:len(raw)-1]) == name {
		return true
	}
	if len(raw) < 2 || !hasEscape(raw) {
		return false
	}
	s, err := Unquote(raw)
	return err == nil && s == name
}

func hasEscape(raw []byte) bool {
	for _, c := range raw {
		if c == '\\' {
			return true
		}
	}
	return false
}

// plain reports whether a string's inner bytes are the same decoded and
// encoded by encoding/json: printable ASCII with nothing it escapes.
func plain(inner []byte) bool {
	for _, c := range inner {
		if c < 0x20 || c >= 0x80 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			return false
		}
	}
	return true
}

// AppendString appends the JSON string raw (quotes included, valid) as
// json.Marshal would write its text: unchanged when it is plain ASCII.
func AppendString(dst, raw []byte) []byte {
	if len(raw) >= 2 && plain(raw[1:len(raw)-1]) {
		return append(dst, raw...)
	}
	s, err := Unquote(raw)
	if err != nil {
		return append(dst, raw...)
	}
	return AppendQuote(dst, s)
}

// AppendQuote appends s as a JSON string, as json.Marshal writes it.
func AppendQuote(dst []byte, s string) []byte {
	if plain([]byte(s)) {
		dst = append(dst, '"')
		dst = append(dst, s...)
		return append(dst, '"')
	}
	b, _ := json.Marshal(s)
	return append(dst, b...)
}

// AppendCompact appends the JSON value src to dst without the whitespace
// between its tokens, as json.Compact does (nothing else changes), after
// checking that src is one valid value; on error dst is returned as it was.
func AppendCompact(dst, src []byte) ([]byte, error) {
	start, end, err := Value(src, 0)
	if err == nil && skipWS(src, end) != len(src) {
		err = syntaxErr(src, skipWS(src, end), "after top-level value")
	}
	if err != nil {
		return dst, err
	}
	src = src[start:end]
	run := 0 // start of the bytes not yet copied
	for i := 0; i < len(src); i++ {
		switch src[i] {
		case '"':
			for i++; src[i] != '"'; i++ {
				if src[i] == '\\' {
					i++
				}
			}
		case ' ', '\t', '\n', '\r':
			dst = append(dst, src[run:i]...)
			run = i + 1
		}
	}
	return append(dst, src[run:]...), nil
}
