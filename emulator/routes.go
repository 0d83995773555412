package emulator

import (
	"net/http"
	"strings"

	"github.com/pskit/pskit/emulator/internal/powerquery"
	"github.com/pskit/pskit/emulator/internal/respond"
	"github.com/pskit/pskit/emulator/internal/studentwrite"
	"github.com/pskit/pskit/emulator/internal/tableapi"
)

// routes is the emulator's route table: each API declares its own routes
// once, in its Mount (or *Routes) function, and is mounted here, so a
// route exists in exactly one place. /ws/ routes that need a plugin's
// token are wrapped in s.authed (token, throttling, caller in context);
// /ws/v1 routes in s.v1, which also applies accessLevelV1Api.
func (s *Server) routes() error {
	s.mux = http.NewServeMux()
	s.oauthRoutes()                                                   // /oauth/access_token
	s.metadataRoutes()                                                // /ws/v1/metadata, /ws/v1/time
	s.v1DistrictRoutes()                                              // /ws/v1/district, schools
	s.v1StudentRoutes()                                               // /ws/v1 student reads
	s.v1StaffRoutes()                                                 // /ws/v1 staff
	s.v1SectionRoutes()                                               // /ws/v1 sections, courses, terms, enrollments
	studentwrite.New(s.store, s.schemaCaller).Mount(s.mux, s.v1)      // POST /ws/v1/student
	powerquery.New(s.store.DB, s.schemaCaller).Mount(s.mux, s.authed) // /ws/schema/query
	tableapi.New(s.store, s.schemaCaller).Mount(s.mux, s.authed)      // /ws/schema/table
	s.schemaRoutes()                                                  // /ws/schema/area, /ws/dataversion
	s.gradebook.Mount(s.mux, s.authed)                                // /ws/xte, OneRoster
	s.controlRoutes()                                                 // /emulator/
	return s.adminRoutes()                                            // /admin/
}

// serveHTTP wraps the mux with counters, faults and JSON error bodies for
// unknown paths and methods.
func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.Contains(r.URL.RawQuery, ";") {
		r.URL.RawQuery = keepSemicolons(r.URL.RawQuery)
	}
	trimTrailingSlash(r)
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	_, pattern := s.mux.Handler(r)
	key := pattern
	if key == "" {
		key = "(unmatched)"
	}
	defer func() { s.stats.record(key, rec.status) }()
	if strings.HasPrefix(r.URL.Path, "/ws/") || strings.HasPrefix(r.URL.Path, "/oauth/") {
		if !s.injectFaults(rec, r) {
			return
		}
	}
	if pattern == "" {
		s.unmatched(rec, r)
		return
	}
	s.mux.ServeHTTP(rec, r)
}

// trimTrailingSlash makes /ws/a/b/ the same resource as /ws/a/b, as
// PowerSchool answers both; routes are declared without the slash.
func trimTrailingSlash(r *http.Request) {
	p := r.URL.Path
	if !strings.HasPrefix(p, "/ws/") || !strings.HasSuffix(p, "/") {
		return
	}
	trimmed := strings.TrimRight(p, "/")
	if trimmed == "/ws" {
		return
	}
	r.URL.Path = trimmed
	if r.URL.RawPath != "" {
		r.URL.RawPath = strings.TrimRight(r.URL.RawPath, "/")
	}
}

// keepSemicolons re-encodes a query string so ";" inside values survives
// Go's query parsing, which drops pairs containing a raw ";". PowerSchool's
// q= joins criteria with a raw ";" (q=a==1;b==2).
func keepSemicolons(raw string) string {
	return strings.ReplaceAll(raw, ";", "%3B")
}

// unmatched answers 405 when the path exists with another method, else 404.
func (s *Server) unmatched(w http.ResponseWriter, r *http.Request) {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete} {
		if m == r.Method {
			continue
		}
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, p := s.mux.Handler(probe); p != "" {
			allow = append(allow, m)
		}
	}
	if len(allow) > 0 {
		w.Header().Set("Allow", strings.Join(allow, ", "))
		writeError(w, http.StatusMethodNotAllowed, "method "+r.Method+" is not allowed on "+r.URL.Path+"; use "+strings.Join(allow, " or "))
		return
	}
	writeError(w, http.StatusNotFound, "no resource at "+r.URL.Path)
}

// v1Wire answers in the /ws/v1 dialect (reference §5) for the handlers
// that write themselves: the control API, OAuth's non-OAuth errors, faults.
var v1Wire = respond.V1(nil)

func writeError(w http.ResponseWriter, status int, msg string) { v1Wire.Fail(w, status, msg) }

func writeJSON(w http.ResponseWriter, status int, v any) { v1Wire.JSON(w, status, v) }

// statusRecorder remembers the status code for the counters.
type statusRecorder struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (r *statusRecorder) WriteHeader(code int) {
	if !r.wrote {
		r.status, r.wrote = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	r.wrote = true
	return r.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection (hijack, flush).
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
