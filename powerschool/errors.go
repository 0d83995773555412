package powerschool

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/pskit/pskit/internal/wire"
)

// ErrReadOnly is wrapped by the error returned when a read-only client is
// asked to send a request that could change data.
var ErrReadOnly = errors.New("powerschool: client is read-only")

// pluginConfigPath is where an administrator manages a plugin's credentials.
const pluginConfigPath = "System > System Settings > Plugin Management Configuration > [plugin] > Data Provider Configuration"

// APIError is a non-2xx answer from PowerSchool (other than the 401s that
// become AuthError and the 429s that become RateLimitError).
type APIError struct {
	StatusCode int
	Method     string
	Path       string // request path, without query string
	// Message and Errors come from PowerSchool's JSON error body when present.
	Message string
	Errors  []ErrorDetail
	// Field is the database field a 403 names as missing from the plugin's
	// access (e.g. "STUDENTS.SSN"), when the body says so.
	Field string
}

// ErrorDetail is one entry of an error body's "errors" list.
type ErrorDetail struct {
	Resource string `json:"resource,omitempty"`
	Field    string `json:"field,omitempty"`
	Code     string `json:"code,omitempty"`
	Message  string `json:"message,omitempty"`
	// Params holds the entry's machine-readable facts, e.g. PowerTeacher
	// Pro's {"student_dcid":N} on a refused score batch.
	Params map[string]any `json:"params,omitempty"`
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "powerschool: %s %s: HTTP %d %s", e.Method, e.Path, e.StatusCode, http.StatusText(e.StatusCode))
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	for _, d := range e.Errors {
		parts := []string{}
		for _, s := range []string{d.Resource, d.Field, d.Code, d.Message} {
			if s != "" {
				parts = append(parts, s)
			}
		}
		if len(parts) > 0 {
			b.WriteString("; ")
			b.WriteString(strings.Join(parts, " "))
		}
	}
	if hint := e.hint(); hint != "" {
		b.WriteString(" (")
		b.WriteString(hint)
		b.WriteString(")")
	}
	return b.String()
}

func (e *APIError) hint() string {
	switch e.StatusCode {
	case http.StatusForbidden:
		if e.Field != "" {
			return "the plugin has no access to " + e.Field + ": add it to <access_request> in plugin.xml, install the new version of the plugin, and have an administrator enable it"
		}
		return "the plugin is not allowed this resource: check <access_request> in plugin.xml and, on PowerSchool 25.2+, accessLevelV1Api"
	case http.StatusNotFound:
		return "check the ID and path; IDs in /ws/v1 paths are DCIDs"
	case http.StatusBadRequest:
		return "check the query parameters and request body"
	case http.StatusUnsupportedMediaType:
		return "the request needs Content-Type: application/json"
	}
	return ""
}

// AuthError means PowerSchool refused the credentials or the token.
type AuthError struct {
	StatusCode int
	// TokenEndpoint is true when the client ID and secret were rejected at
	// /oauth/access_token, false when an API call refused a freshly fetched token.
	TokenEndpoint bool
	Method, Path  string
	// Description is the server's error text, if any (never contains secrets).
	Description string
}

func (e *AuthError) Error() string {
	desc := ""
	if e.Description != "" {
		desc = ": " + e.Description
	}
	if e.TokenEndpoint {
		return fmt.Sprintf("powerschool: the server rejected the client ID and secret (HTTP %d from %s)%s; check them, or have an administrator view or regenerate them under %s",
			e.StatusCode, e.Path, desc, pluginConfigPath)
	}
	return fmt.Sprintf("powerschool: %s %s: the access token was refused (HTTP %d) even after fetching a new one%s; the plugin may be disabled or its credentials regenerated (see %s)",
		e.Method, e.Path, e.StatusCode, desc, pluginConfigPath)
}

// RateLimitError is returned when PowerSchool refused a request as too
// many (429) again and again while none of the client's requests got
// through, even after waiting as long as it asked (or at once, with
// retries disabled). Refusals while other requests succeed only slow the
// client down.
type RateLimitError struct {
	Method, Path string
	// RetryAfter is the server's last Retry-After, 0 if it sent none.
	RetryAfter time.Duration
	// Refusals is how many times in a row the request was refused.
	Refusals int
}

func (e *RateLimitError) Error() string {
	s := fmt.Sprintf("powerschool: %s %s: the server refused the request as too many (HTTP 429)", e.Method, e.Path)
	if e.Refusals > 1 {
		s += fmt.Sprintf(" %d times in a row while no other request got through", e.Refusals)
	}
	if e.RetryAfter > 0 {
		s += fmt.Sprintf("; it asks to wait %s", e.RetryAfter)
	}
	return s + "; the plugin's request limit may be shared with another busy integration: try again later, or set the plugin's minimum interval with WithRateLimit"
}

// InconsistentPullError means the record count changed while a list was
// being paged, so records may have been skipped or repeated.
type InconsistentPullError struct {
	Path         string
	CountAtStart int
	CountAtEnd   int
	Received     int
}

func (e *InconsistentPullError) Error() string {
	return fmt.Sprintf("powerschool: %s changed during the pull: count was %d at the start and %d at the end, %d records received; records were added or removed while paging, so run the pull again (ideally when the data is quiet)",
		e.Path, e.CountAtStart, e.CountAtEnd, e.Received)
}

// IsAuthError reports whether err is (or wraps) an *AuthError.
func IsAuthError(err error) bool { var e *AuthError; return errors.As(err, &e) }

// IsRateLimited reports whether err is (or wraps) a *RateLimitError.
func IsRateLimited(err error) bool { var e *RateLimitError; return errors.As(err, &e) }

// IsNotFound reports whether err is an *APIError with status 404.
func IsNotFound(err error) bool { return statusOf(err) == http.StatusNotFound }

// IsForbidden reports whether err is an *APIError with status 403.
func IsForbidden(err error) bool { return statusOf(err) == http.StatusForbidden }

func statusOf(err error) int {
	var e *APIError
	if errors.As(err, &e) {
		return e.StatusCode
	}
	return 0
}

// errorBody is the error JSON clients expect from PowerSchool; lenient since
// no real capture exists (reference §5).
type errorBody struct {
	Message          string          `json:"message"`
	Errors           json.RawMessage `json:"errors"`
	Error            string          `json:"error"`
	ErrorDescription string          `json:"error_description"`
}

var fieldRE = regexp.MustCompile(`(?i)\bfields?\b[^A-Za-z0-9_]{0,4}([A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*)`)

// newAPIError builds an APIError from a response body; scrub removes secrets.
func newAPIError(status int, method, path string, body []byte, scrub func(string) string) *APIError {
	e := &APIError{StatusCode: status, Method: method, Path: path}
	var eb errorBody
	if json.Unmarshal(body, &eb) == nil {
		e.Message = eb.Message
		if e.Message == "" {
			e.Message = strings.TrimSpace(eb.Error + " " + eb.ErrorDescription)
		}
		e.Errors = decodeErrorDetails(eb.Errors)
	} else if text := strings.TrimSpace(string(body)); text != "" && !strings.HasPrefix(text, "<") {
		e.Message = text
	}
	e.Message = scrub(wire.Truncate(strings.Join(strings.Fields(e.Message), " "), 300))
	for i := range e.Errors {
		d := &e.Errors[i]
		d.Resource, d.Field, d.Code, d.Message = scrub(d.Resource), scrub(d.Field), scrub(d.Code), scrub(wire.Truncate(d.Message, 200))
	}
	if status == http.StatusForbidden {
		for _, d := range e.Errors {
			if strings.Contains(d.Field, ".") {
				e.Field = d.Field
			}
		}
		if e.Field == "" {
			if m := fieldRE.FindStringSubmatch(scrub(string(body))); m != nil {
				e.Field = m[1]
			}
		}
	}
	return e
}

// decodeErrorDetails accepts a list of objects, one object, or strings.
func decodeErrorDetails(raw json.RawMessage) []ErrorDetail {
	if len(raw) == 0 {
		return nil
	}
	var list List[json.RawMessage]
	if json.Unmarshal(raw, &list) != nil {
		return nil
	}
	var out []ErrorDetail
	for _, item := range list {
		var d ErrorDetail
		if json.Unmarshal(item, &d) == nil {
			out = append(out, d)
			continue
		}
		var s string
		if json.Unmarshal(item, &s) == nil && s != "" {
			out = append(out, ErrorDetail{Message: s})
		}
	}
	return out
}

// TimeoutError means the server did not answer one attempt (or stopped
// sending its answer) within the per-attempt timeout (WithTimeout). It
// matches errors.Is(err, context.DeadlineExceeded); Limit is the timeout.
type TimeoutError = wire.TimeoutError

// ResponseTooLargeError means an answer was larger than WithMaxResponseSize
// allows; Limit is the limit in bytes.
type ResponseTooLargeError = wire.TooLargeError
