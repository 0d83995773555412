package emulator

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/pskit/pskit/emulator/internal/store"
)

// ctlMutate is POST /emulator/mutate: {"seed":7,"update":200,"insert":20,
// "delete":20,"tables":["students","cc"]} -> {"tables":{"STUDENTS":{...}}}.
func (s *Server) ctlMutate(r *http.Request) (any, error) {
	var m Mutation
	if err := decodeBody(r, &m); err != nil {
		return nil, fail(http.StatusBadRequest, err.Error()+`; send {"seed": 7, "update": 200, "insert": 20, "delete": 20, "tables": ["students", "cc"]}`)
	}
	res, err := s.Mutate(r.Context(), m)
	if err != nil {
		return nil, fail(http.StatusBadRequest, err.Error())
	}
	return res, nil
}

// clockJSON is the body of POST /emulator/clock: one of advance (a Go
// duration such as "1h" or "-30m") or set (RFC 3339).
type clockJSON struct {
	Advance string `json:"advance,omitempty"`
	Set     string `json:"set,omitempty"`
}

// ctlClock reads (GET) or moves (POST) the data clock and answers
// {"now": RFC 3339}.
func (s *Server) ctlClock(r *http.Request) (any, error) {
	if r.Method == http.MethodPost {
		var in clockJSON
		if err := decodeBody(r, &in); err != nil {
			return nil, fail(http.StatusBadRequest, err.Error()+`; send {"advance": "1h"} or {"set": "2026-01-05T08:00:00Z"}`)
		}
		switch {
		case (in.Advance == "") == (in.Set == ""):
			return nil, fail(http.StatusBadRequest, `give exactly one of "advance" (a duration such as "1h" or "24h") or "set" (an RFC 3339 time such as "2026-01-05T08:00:00Z")`)
		case in.Advance != "":
			d, err := time.ParseDuration(in.Advance)
			if err != nil {
				return nil, fail(http.StatusBadRequest, fmt.Sprintf(`advance %q is not a duration; use a number with a unit, such as "90s", "1h" or "24h"`, in.Advance))
			}
			s.AdvanceClock(d)
		default:
			t, err := time.Parse(time.RFC3339, in.Set)
			if err != nil {
				return nil, fail(http.StatusBadRequest, fmt.Sprintf(`set %q is not an RFC 3339 time; use a form such as "2026-01-05T08:00:00Z"`, in.Set))
			}
			s.SetClock(t)
		}
	}
	return map[string]string{"now": s.Now().Format(store.StampFormat)}, nil
}

// serveDataVersion is GET /ws/dataversion/{applicationName}/{version}:
// the keys of rows changed since version, by lower-case table name, and
// the current version. Every application sees every tracked table (how
// PowerSchool declares a subscription is not documented).
func (s *Server) serveDataVersion(r *http.Request) (any, error) {
	app := strings.TrimSpace(r.PathValue("app"))
	v, err := strconv.ParseInt(r.PathValue("version"), 10, 64)
	if app == "" || err != nil || v < 0 {
		return nil, fail(http.StatusBadRequest, fmt.Sprintf("data version %q must be a whole number from 0 (use the $dataversion of your last answer, or 0 for every change)", r.PathValue("version")))
	}
	ch, err := s.store.ChangedSince(r.Context(), v, nil)
	if err != nil {
		return nil, fail(http.StatusInternalServerError, err.Error())
	}
	return map[string]any{"$dataversion": strconv.FormatInt(ch.Version, 10), "tables": ch.Tables}, nil
}
