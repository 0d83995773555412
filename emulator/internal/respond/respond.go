// Package respond is the emulator's one way to answer HTTP. A handler is a
// Func that returns a value or an error; a Dialect turns both into bytes the
// way one PowerSchool API family does (/ws/v1, /ws/schema, /ws/xte,
// OneRoster's imsx status). Each dialect's status codes, headers and error
// bodies live here and nowhere else.
package respond

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"reflect"
)

// Func is a handler that returns its answer: a value to encode as JSON with
// 200, a *Reply for another status or headers, or an error.
type Func func(*http.Request) (any, error)

// Reply is an answer with a status other than 200, extra headers, or no
// body (Body nil).
type Reply struct {
	Status int
	Header http.Header
	Body   any
}

// Error is a failure the client caused or must act on, in any dialect.
type Error struct {
	Status  int
	Message string
	// Details is the dialect's "errors" list (/ws/schema, /ws/xte); an
	// empty list is left out of the body.
	Details any
	// Minor is OneRoster's imsx_codeMinor value (e.g. "invaliddata").
	Minor string
	// Header is set on the answer (e.g. Allow, WWW-Authenticate).
	Header http.Header
}

func (e *Error) Error() string { return e.Message }

// Errorf returns an *Error with the status and a formatted message.
func Errorf(status int, format string, args ...any) *Error {
	return &Error{Status: status, Message: fmt.Sprintf(format, args...)}
}

// Internal marks an unexpected failure while doing what ("reading
// students"); dialects that hide details log it and name only what failed.
func Internal(what string, err error) error { return &internalError{what: what, err: err} }

type internalError struct {
	what string
	err  error
}

func (e *internalError) Error() string { return e.what + ": " + e.err.Error() }
func (e *internalError) Unwrap() error { return e.err }

// Dialect is one API family's wire conventions.
type Dialect struct {
	// ContentType of every JSON answer.
	ContentType string
	// Compact encodes without the trailing newline json.Encoder adds.
	Compact bool
	// Body is the JSON body of a failure.
	Body func(e *Error) any
	// Unexpected turns an error that is not an *Error into one, logging
	// what the client is not told.
	Unexpected func(err error) *Error
}

// Handle adapts f to net/http.
func (d *Dialect) Handle(f Func) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		v, err := f(r)
		if err != nil {
			d.Error(w, err)
			return
		}
		d.Reply(w, v)
	}
}

// Reply writes v: a *Reply as it says, anything else as JSON with 200.
func (d *Dialect) Reply(w http.ResponseWriter, v any) {
	rep, ok := v.(*Reply)
	if !ok {
		d.JSON(w, http.StatusOK, v)
		return
	}
	for k, vs := range rep.Header {
		w.Header()[k] = vs
	}
	if rep.Body == nil {
		w.WriteHeader(rep.Status)
		return
	}
	d.JSON(w, rep.Status, rep.Body)
}

// JSON writes v with status in the dialect's encoding.
func (d *Dialect) JSON(w http.ResponseWriter, status int, v any) {
	var b []byte
	var err error
	if d.Compact {
		b, err = json.Marshal(v)
	} else {
		var buf bytes.Buffer
		err = json.NewEncoder(&buf).Encode(v)
		b = buf.Bytes()
	}
	if err != nil {
		slog.Error("emulator: encoding an answer", "err", err)
		status = http.StatusInternalServerError
		b = []byte(`{"message":"the emulator could not encode its answer"}`)
	}
	w.Header().Set("Content-Type", d.ContentType)
	w.WriteHeader(status)
	w.Write(b)
}

// Error writes err in the dialect.
func (d *Dialect) Error(w http.ResponseWriter, err error) {
	var e *Error
	if !errors.As(err, &e) {
		e = d.Unexpected(err)
	}
	for k, vs := range e.Header {
		w.Header()[k] = vs
	}
	d.JSON(w, e.Status, d.Body(e))
}

// Fail writes a failure with status and message.
func (d *Dialect) Fail(w http.ResponseWriter, status int, message string) {
	d.Error(w, &Error{Status: status, Message: message})
}

// messageBody is {"message": ..., "errors": [...]}, the errors left out
// when empty.
type messageBody struct {
	Message string `json:"message"`
	Errors  any    `json:"errors,omitempty"`
}

func withDetails(e *Error) any {
	b := messageBody{Message: e.Message}
	if e.Details != nil {
		if v := reflect.ValueOf(e.Details); v.Kind() != reflect.Slice || v.Len() > 0 {
			b.Errors = e.Details
		}
	}
	return b
}

// V1 is /ws/v1, the emulator's control API and OAuth-less JSON routes:
// {"message": ...}, compact, "application/json;charset=UTF-8". PowerSchool's
// exact shape is not captured; clients expect a "message". An unexpected
// error is logged to log and the client told only what failed.
func V1(log *slog.Logger) *Dialect {
	if log == nil {
		log = slog.Default()
	}
	return &Dialect{
		ContentType: "application/json;charset=UTF-8",
		Compact:     true,
		Body: func(e *Error) any {
			return struct {
				Message string `json:"message"`
			}{e.Message}
		},
		Unexpected: func(err error) *Error {
			what := "answering"
			var ie *internalError
			if errors.As(err, &ie) {
				what, err = ie.what, ie.err
			}
			log.Error("emulator error", "what", what, "err", err)
			return &Error{Status: http.StatusInternalServerError, Message: "the emulator failed " + what + "; see its log"}
		},
	}
}

// Schema is /ws/schema (PowerQueries, the table API, areas) and the bulk
// student write: {"message": ..., "errors": [...]}, "application/json".
// Unexpected errors are told as they are, as the table API always did.
var Schema = &Dialect{
	ContentType: "application/json",
	Body:        withDetails,
	Unexpected: func(err error) *Error {
		return &Error{Status: http.StatusInternalServerError, Message: err.Error()}
	},
}

// XTE is PowerTeacher Pro's /ws/xte: {"message": ..., "errors": [...]},
// "application/json".
var XTE = &Dialect{
	ContentType: "application/json",
	Body:        withDetails,
	Unexpected: func(err error) *Error {
		slog.Error("gradebook: /ws/xte request failed", "err", err)
		return &Error{Status: http.StatusInternalServerError, Message: "Internal error in the emulator: " + err.Error()}
	},
}

// OneRoster is OneRoster 1.1: {"statusInfoSet": [imsx status]} with the
// failure's codeMinor, "application/json".
var OneRoster = &Dialect{
	ContentType: "application/json",
	Body: func(e *Error) any {
		minor := e.Minor
		if minor == "" {
			minor = "invaliddata"
		}
		return map[string]any{"statusInfoSet": []IMSXStatus{IMSX("failure", "error", minor, e.Message)}}
	},
	Unexpected: func(err error) *Error {
		slog.Error("gradebook: OneRoster request failed", "err", err)
		return &Error{Status: http.StatusInternalServerError, Minor: "internal_server_error", Message: "internal error in the emulator: " + err.Error()}
	},
}

// IMSXStatus is one OneRoster imsx_StatusInfo entry.
type IMSXStatus struct {
	CodeMajor   string        `json:"imsx_codeMajor"`
	Severity    string        `json:"imsx_severity"`
	Description string        `json:"imsx_description"`
	CodeMinor   IMSXCodeMinor `json:"imsx_CodeMinor"`
}

// IMSXCodeMinor is imsx_CodeMinor.
type IMSXCodeMinor struct {
	Fields []IMSXCodeMinorField `json:"imsx_codeMinorField"`
}

// IMSXCodeMinorField is one imsx_codeMinorField.
type IMSXCodeMinorField struct {
	Name  string `json:"imsx_codeMinorFieldName"`
	Value string `json:"imsx_codeMinorFieldValue"`
}

// IMSX builds a status entry for the TargetEndSystem.
func IMSX(major, severity, minor, desc string) IMSXStatus {
	return IMSXStatus{CodeMajor: major, Severity: severity, Description: desc,
		CodeMinor: IMSXCodeMinor{Fields: []IMSXCodeMinorField{{Name: "TargetEndSystem", Value: minor}}}}
}
