package oneroster

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/pskit/pskit/internal/wire"
)

// ErrNotFound matches (errors.Is) an *Error whose status is 404: the
// sourcedId does not exist on the provider ("unknown object").
var ErrNotFound = errors.New("oneroster: not found")

// Error is a non-success answer from a OneRoster provider.
type Error struct {
	StatusCode  int
	Method      string // request method
	Path        string // request path, without query
	CodeMajor   string // "failure", "unsupported"...
	Severity    string // "error", "warning"
	Description string
	CodeMinor   []string      // e.g. "unknown object", "invalid_filter_field"
	RetryAfter  time.Duration // from Retry-After on 429/503, if sent

	hintText string // overrides the status-based hint
}

// Error describes the failure and what to try next.
func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "oneroster: %s %s: %d %s", e.Method, e.Path, e.StatusCode, http.StatusText(e.StatusCode))
	if len(e.CodeMinor) > 0 {
		fmt.Fprintf(&b, " (%s)", strings.Join(e.CodeMinor, ", "))
	}
	if e.Description != "" {
		fmt.Fprintf(&b, ": %s", e.Description)
	}
	if hint := e.hint(); hint != "" {
		b.WriteString("; ")
		b.WriteString(hint)
	}
	return b.String()
}

func (e *Error) hint() string {
	if e.hintText != "" {
		return e.hintText
	}
	switch {
	case e.StatusCode == http.StatusUnauthorized:
		return "check the client id and secret, and that the provider's plugin is enabled"
	case e.StatusCode == http.StatusForbidden:
		return "the credentials lack a scope or permission for this endpoint (gradebook writes need gradebook.createput / gradebook.delete)"
	case e.StatusCode == http.StatusNotFound:
		return "no record with this sourcedId, or a wrong base path (try WithBasePath)"
	case e.StatusCode == http.StatusTooManyRequests:
		if e.RetryAfter > 0 {
			return fmt.Sprintf("rate limited; retry after %s", e.RetryAfter)
		}
		return "rate limited; retry later"
	case e.StatusCode >= 500:
		return "provider failure; retry later or contact the provider"
	case e.StatusCode == http.StatusBadRequest || e.StatusCode == http.StatusUnprocessableEntity:
		return "the provider rejected the request data; see the description"
	}
	return ""
}

// Is reports whether target is ErrNotFound and e is a 404.
func (e *Error) Is(target error) bool {
	return target == ErrNotFound && e.StatusCode == http.StatusNotFound
}

// maxDescription bounds how much of a provider's text ends up in an error.
const maxDescription = 500

// decodeError builds an *Error from a response status and body. It accepts
// every status format seen in OneRoster providers:
//
//	{"imsx_codeMajor":..,"imsx_severity":..,"imsx_description":..,
//	 "imsx_CodeMinor":{"imsx_codeMinorField":[{"imsx_codeMinorFieldName":..,"imsx_codeMinorFieldValue":..}]}}
//	{"statusInfoSet":[{...}]}, {"imsx_statusInfo":{...}}, {"errors":[{...}]}
//	the same keys without the imsx_ prefix, {"message":..}, {"error":..,"error_description":..}
//
// and falls back to the body as text. It never fails.
func decodeError(status int, body []byte) *Error {
	e := &Error{StatusCode: status}
	var v any
	isJSON := json.Unmarshal(body, &v) == nil
	if isJSON {
		fillFromJSON(e, v, 0)
	} else {
		text := strings.TrimSpace(string(body))
		if !strings.HasPrefix(text, "{") && !strings.HasPrefix(text, "[") && !strings.HasPrefix(text, "<") {
			e.Description = text
		}
	}
	e.Description = cleanText(e.Description, maxDescription)
	for i, m := range e.CodeMinor {
		e.CodeMinor[i] = cleanText(m, 100)
	}
	e.CodeMajor = cleanText(e.CodeMajor, 50)
	e.Severity = cleanText(e.Severity, 50)
	return e
}

// fillFromJSON walks the decoded body for status fields; the first status
// object found wins, nested wrappers are searched to a small depth.
func fillFromJSON(e *Error, v any, depth int) bool {
	if depth > 4 {
		return false
	}
	switch x := v.(type) {
	case []any:
		for _, item := range x {
			if fillFromJSON(e, item, depth+1) {
				return true
			}
		}
	case map[string]any:
		m := lowerKeys(x)
		found := false
		if s, ok := str(m, "codemajor"); ok {
			e.CodeMajor, found = s, true
		}
		if s, ok := str(m, "severity"); ok {
			e.Severity, found = s, true
		}
		for _, k := range []string{"description", "message", "error_description", "detail", "title"} {
			if s, ok := str(m, k); ok && s != "" {
				e.Description, found = s, true
				break
			}
		}
		if cm, ok := m["codeminor"]; ok {
			e.CodeMinor = append(e.CodeMinor, codeMinor(cm, 0)...)
			found = true
		}
		if s, ok := str(m, "error"); ok && s != "" { // OAuth-style {"error":"invalid_client"}
			e.CodeMinor = append(e.CodeMinor, s)
			found = true
		}
		if found {
			return true
		}
		for _, k := range []string{"statusinfoset", "statusinfo", "errors", "error", "status"} {
			if inner, ok := m[k]; ok && fillFromJSON(e, inner, depth+1) {
				return true
			}
		}
	}
	return false
}

// lowerKeys drops the imsx_ prefix and lower-cases keys, so imsx_codeMajor,
// codeMajor and imsx_CodeMinor all meet.
func lowerKeys(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		k = strings.ToLower(k)
		k = strings.TrimPrefix(k, "imsx_")
		if _, dup := out[k]; !dup {
			out[k] = v
		}
	}
	return out
}

func str(m map[string]any, k string) (string, bool) {
	switch s := m[k].(type) {
	case string:
		return s, true
	case float64:
		return fmt.Sprint(s), true
	}
	return "", false
}

// codeMinor flattens the codeMinor shapes: a string, an array of strings, an
// {"imsx_codeMinorField":[...]} object, or field objects with a value.
func codeMinor(v any, depth int) []string {
	if depth > 4 {
		return nil
	}
	switch x := v.(type) {
	case string:
		if x == "" {
			return nil
		}
		return []string{x}
	case []any:
		var out []string
		for _, item := range x {
			out = append(out, codeMinor(item, depth+1)...)
		}
		return out
	case map[string]any:
		m := lowerKeys(x)
		if s, ok := str(m, "codeminorfieldvalue"); ok && s != "" {
			return []string{s}
		}
		if f, ok := m["codeminorfield"]; ok {
			return codeMinor(f, depth+1)
		}
		if s, ok := str(m, "value"); ok && s != "" {
			return []string{s}
		}
	}
	return nil
}

// cleanText keeps provider text printable and short.
func cleanText(s string, n int) string {
	s = strings.ToValidUTF8(s, "�")
	s = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' || r == '\t' {
			return ' '
		}
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	if len(s) > n {
		s = wire.Truncate(s, n)
	}
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "")
	}
	return s
}

// TimeoutError means the server did not answer one attempt (or stopped
// sending its answer) within the per-attempt timeout (WithTimeout). It
// matches errors.Is(err, context.DeadlineExceeded); Limit is the timeout.
type TimeoutError = wire.TimeoutError

// ResponseTooLargeError means an answer was larger than WithMaxResponseSize
// allows; Limit is the limit in bytes.
type ResponseTooLargeError = wire.TooLargeError
