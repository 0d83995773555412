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
func (s *Server) ctlMutate(w http.ResponseWriter, r *http.Request) {
	var m Mutation
	if err := decodeBody(w, r, &m); err != nil {
		writeError(w, http.StatusBadRequest, err.Error()+`; send {"seed": 7, "update": 200, "insert": 20, "delete": 20, "tables": ["students", "cc"]}`)
		return
	}
	res, err := s.Mutate(r.Context(), m)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// clockJSON is the body of POST /emulator/clock: one of advance (a Go
// duration such as "1h" or "-30m") or set (RFC 3339).
type clockJSON struct {
	Advance string `json:"advance,omitempty"`
	Set     string `json:"set,omitempty"`
}

// ctlClock reads (GET) or moves (POST) the data clock and answers
// {"now": RFC 3339}.
func (s *Server) ctlClock(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPost {
		var in clockJSON
		if err := decodeBody(w, r, &in); err != nil {
			writeError(w, http.StatusBadRequest, err.Error()+`; send {"advance": "1h"} or {"set": "2026-01-05T08:00:00Z"}`)
			return
		}
		switch {
		case (in.Advance == "") == (in.Set == ""):
			writeError(w, http.StatusBadRequest, `give exactly one of "advance" (a duration such as "1h" or "24h") or "set" (an RFC 3339 time such as "2026-01-05T08:00:00Z")`)
			return
		case in.Advance != "":
			d, err := time.ParseDuration(in.Advance)
			if err != nil {
				writeError(w, http.StatusBadRequest, fmt.Sprintf(`advance %q is not a duration; use a number with a unit, such as "90s", "1h" or "24h"`, in.Advance))
				return
			}
			s.AdvanceClock(d)
		default:
			t, err := time.Parse(time.RFC3339, in.Set)
			if err != nil {
				writeError(w, http.StatusBadRequest, fmt.Sprintf(`set %q is not an RFC 3339 time; use a form such as "2026-01-05T08:00:00Z"`, in.Set))
				return
			}
			s.SetClock(t)
		}
	}
	writeJSON(w, http.StatusOK, map[string]string{"now": s.Now().Format(store.StampFormat)})
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
