package oneroster

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestDecodeErrorFormats(t *testing.T) {
	for _, tc := range []struct {
		name string
		body string
		want Error
	}{
		{"imsx 1.1 OpenAPI", `{"imsx_codeMajor":"failure","imsx_severity":"error","imsx_messageRefIdentifier":"x","imsx_description":"no such lineItem","imsx_CodeMinor":{"imsx_codeMinorField":[{"imsx_codeMinorFieldName":"TargetEndSystem","imsx_codeMinorFieldValue":"unknown object"}]}}`,
			Error{CodeMajor: "failure", Severity: "error", Description: "no such lineItem", CodeMinor: []string{"unknown object"}}},
		{"MS demo statusInfoSet", `{"statusInfoSet":[{"imsx_codeMajor":"failure","imsx_severity":"error","imsx_operationRefIdentifier":"GET","imsx_description":"bogus","imsx_codeMinor":"invalid_filter_field"}]}`,
			Error{CodeMajor: "failure", Severity: "error", Description: "bogus", CodeMinor: []string{"invalid_filter_field"}}},
		{"RICOne errors array", `{"errors":[{"codeMajor":"failure","severity":"error","codeMinor":"forbidden","description":"scope"}]}`,
			Error{CodeMajor: "failure", Severity: "error", Description: "scope", CodeMinor: []string{"forbidden"}}},
		{"go-oneroster bare", `{"codeMajor":"failure","severity":"error","description":"bad","codeMinor":"invalid data"}`,
			Error{CodeMajor: "failure", Severity: "error", Description: "bad", CodeMinor: []string{"invalid data"}}},
		{"imsx_statusInfo wrapper", `{"imsx_statusInfo":{"imsx_codeMajor":"failure","imsx_severity":"error","imsx_CodeMinor":{"imsx_codeMinorField":{"imsx_codeMinorFieldValue":"server_busy"}}}}`,
			Error{CodeMajor: "failure", Severity: "error", CodeMinor: []string{"server_busy"}}},
		{"plain message", `{"message":"Validation Failed"}`, Error{Description: "Validation Failed"}},
		{"OAuth error", `{"error":"invalid_client","error_description":"bad client"}`, Error{Description: "bad client", CodeMinor: []string{"invalid_client"}}},
		{"text", "Service Unavailable\n", Error{Description: "Service Unavailable"}},
		{"html ignored", "<html><body>502</body></html>", Error{}},
		{"empty", "", Error{}},
		{"json null", "null", Error{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := decodeError(400, []byte(tc.body))
			tc.want.StatusCode = 400
			if diff := cmp.Diff(&tc.want, got, cmpopts.IgnoreUnexported(Error{}), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestErrorMessageAndIs(t *testing.T) {
	e := decodeError(404, []byte(`{"imsx_codeMajor":"failure","imsx_description":"li-9","imsx_CodeMinor":{"imsx_codeMinorField":[{"imsx_codeMinorFieldValue":"unknown object"}]}}`))
	e.Method, e.Path = "GET", "/ims/oneroster/v1p1/lineItems/li-9"
	var err error = fmt.Errorf("wrapped: %w", e)
	if !errors.Is(err, ErrNotFound) {
		t.Error("404 does not match ErrNotFound")
	}
	msg := err.Error()
	for _, want := range []string{"GET /ims/oneroster/v1p1/lineItems/li-9", "404 Not Found", "unknown object", "li-9", "WithBasePath"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q lacks %q", msg, want)
		}
	}
	if errors.Is(decodeError(500, nil), ErrNotFound) {
		t.Error("500 matches ErrNotFound")
	}
}

// FuzzDecodeError: any body decodes without panic into a bounded, printable
// error that keeps the status.
func FuzzDecodeError(f *testing.F) {
	f.Add(500, []byte(`{"imsx_codeMajor":"failure"}`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		e := decodeError(status, body)
		if e == nil || e.StatusCode != status {
			t.Fatalf("decodeError lost the status: %+v", e)
		}
		msg := e.Error()
		if msg == "" || !utf8.ValidString(msg) {
			t.Fatalf("bad message %q", msg)
		}
		if len(e.Description) > maxDescription+len("…") {
			t.Fatalf("description not bounded: %d bytes", len(e.Description))
		}
		if strings.ContainsAny(e.Description, "\n\r\x00") {
			t.Fatalf("description has control characters: %q", e.Description)
		}
	})
}
