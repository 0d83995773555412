package respond

import (
	"bytes"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func serve(d *Dialect, f Func) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	d.Handle(f)(w, httptest.NewRequest("GET", "/x", nil))
	return w
}

func TestReplyStatusHeadersAndNoBody(t *testing.T) {
	w := serve(Schema, func(*http.Request) (any, error) {
		return &Reply{Status: http.StatusNoContent, Header: http.Header{"Location": {"/y"}}}, nil
	})
	if w.Code != http.StatusNoContent || w.Header().Get("Location") != "/y" || w.Body.Len() != 0 {
		t.Errorf("got %d %v %q", w.Code, w.Header(), w.Body)
	}
}

// An unexpected /ws/v1 failure is logged with its cause, while the client
// is told only what failed.
func TestV1HidesInternalErrors(t *testing.T) {
	var logged bytes.Buffer
	d := V1(slog.New(slog.NewTextHandler(&logged, nil)))
	w := serve(d, func(*http.Request) (any, error) {
		return nil, Internal("reading students", errors.New("disk secret-detail"))
	})
	if w.Code != 500 || w.Body.String() != `{"message":"the emulator failed reading students; see its log"}` {
		t.Errorf("got %d %q", w.Code, w.Body)
	}
	if !strings.Contains(logged.String(), "secret-detail") {
		t.Errorf("the cause was not logged: %q", logged.String())
	}
}

func TestSchemaDetailsLeftOutWhenEmpty(t *testing.T) {
	type detail struct {
		Field string `json:"field"`
	}
	for _, tc := range []struct {
		details any
		want    string
	}{
		{nil, `{"message":"no"}` + "\n"},
		{[]detail{}, `{"message":"no"}` + "\n"},
		{[]detail{{"A"}}, `{"message":"no","errors":[{"field":"A"}]}` + "\n"},
	} {
		w := serve(Schema, func(*http.Request) (any, error) {
			return nil, &Error{Status: 403, Message: "no", Details: tc.details}
		})
		if w.Code != 403 || w.Body.String() != tc.want || w.Header().Get("Content-Type") != "application/json" {
			t.Errorf("details %v: got %d %q", tc.details, w.Code, w.Body)
		}
	}
}

func TestOneRosterInternal(t *testing.T) {
	w := serve(OneRoster, func(*http.Request) (any, error) { return nil, errors.New("boom") })
	if w.Code != 500 || !strings.Contains(w.Body.String(), `"imsx_codeMinorFieldValue":"internal_server_error"`) {
		t.Errorf("got %d %q", w.Code, w.Body)
	}
}
