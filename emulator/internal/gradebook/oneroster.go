package gradebook

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/pskit/pskit/emulator/internal/respond"
)

// OneRosterBasePaths are the OneRoster 1.1 roots the emulator serves: sources
// disagree on which one PowerSchool uses.
var OneRosterBasePaths = []string{"/ims/oneroster/v1p1", "/api/ims/oneroster/v1p1"}

type baseKey struct{}

// OneRoster returns the handler for OneRoster 1.1 under both base paths.
func (g *Gradebook) OneRoster() http.Handler {
	mux := http.NewServeMux()
	g.rosterRoutes(mux)
	g.gradebookRoutes(mux)
	mux.HandleFunc("/", orHandle(func(r *http.Request) (any, error) {
		return nil, unknownObject("no OneRoster 1.1 endpoint at %s", r.URL.Path)
	}))
	elsewhere := orHandle(func(*http.Request) (any, error) {
		return nil, unknownObject("OneRoster 1.1 lives under %s", strings.Join(OneRosterBasePaths, " or "))
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for _, base := range OneRosterBasePaths {
			if rest, ok := strings.CutPrefix(r.URL.Path, base); ok && strings.HasPrefix(rest, "/") {
				ctx := context.WithValue(r.Context(), baseKey{}, base)
				r2 := r.Clone(ctx)
				r2.URL.Path, r2.URL.RawPath = rest, ""
				mux.ServeHTTP(w, r2)
				return
			}
		}
		elsewhere(w, r)
	})
}

// baseURL is the absolute OneRoster root the client called.
func baseURL(r *http.Request) string {
	base, _ := r.Context().Value(baseKey{}).(string)
	return serverURL(r) + base
}

// source gives what the request's records are read from.
func (g *Gradebook) source(r *http.Request) source { return source{db: g.db, root: baseURL(r)} }

// statusInfo is one imsx_StatusInfo entry.
type statusInfo = respond.IMSXStatus

func warning(minor, desc string) statusInfo { return respond.IMSX("success", "warning", minor, desc) }

// orError is a OneRoster failure with its HTTP status.
type orError struct {
	status int
	minor  string
	msg    string
}

func (e *orError) Error() string { return e.msg }

func invalidData(format string, args ...any) *orError {
	return &orError{status: http.StatusBadRequest, minor: "invaliddata", msg: fmt.Sprintf(format, args...)}
}

func unknownObject(format string, args ...any) *orError {
	return &orError{status: http.StatusNotFound, minor: "unknownobject", msg: fmt.Sprintf(format, args...)}
}

// orWire gives an *orError or *errBadQuery as the respond.Error the
// OneRoster dialect renders.
func orWire(err error) error {
	var oe *orError
	if errors.As(err, &oe) {
		return &respond.Error{Status: oe.status, Minor: oe.minor, Message: oe.msg}
	}
	var bq *errBadQuery
	if errors.As(err, &bq) {
		minor := bq.minor
		if minor == "invalid data" {
			minor = "invaliddata"
		}
		return &respond.Error{Status: http.StatusBadRequest, Minor: minor, Message: bq.msg}
	}
	return err
}

// orHandle answers f in the OneRoster dialect, its body capped at maxBody.
func orHandle(f respond.Func) http.HandlerFunc {
	h := respond.OneRoster.Handle(func(r *http.Request) (any, error) {
		v, err := f(r)
		return v, orWire(err)
	})
	return func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, maxBody)
		h(w, r)
	}
}

func (g *Gradebook) pageCap(r *http.Request) int {
	if g.opts.PageSizeCap == nil {
		return 0
	}
	return g.opts.PageSizeCap(r)
}

// collectionAnswer answers a collection GET over records already in memory.
func (g *Gradebook) collectionAnswer(r *http.Request, key string, known []string, recs []record) (any, error) {
	q, err := parseQuery(r.URL.Query(), known, g.pageCap(r), true)
	if err != nil {
		return nil, err
	}
	total, page := q.apply(recs)
	return pageAnswer(r, key, q, total, page), nil
}

// pageAnswer is one page with X-Total-Count, an RFC 8288 Link header and
// any warnings, keeping only the selected fields.
func pageAnswer(r *http.Request, key string, q query, total int, page []record) *respond.Reply {
	list := make([]record, len(page))
	for i, rec := range page {
		list[i] = q.selectFields(rec)
	}
	body := map[string]any{key: list}
	if len(q.warnings) > 0 {
		body["statusInfoSet"] = q.warnings
	}
	h := http.Header{}
	h.Set("X-Total-Count", strconv.Itoa(total))
	h.Set("Link", linkHeader(r, r.URL.Query(), q.limit, q.offset, total))
	return &respond.Reply{Status: http.StatusOK, Header: h, Body: body}
}

func linkHeader(r *http.Request, params url.Values, limit, offset, total int) string {
	at := func(off int, rel string) string {
		p := url.Values{}
		for k, v := range params {
			p[k] = v
		}
		p.Set("limit", strconv.Itoa(limit))
		p.Set("offset", strconv.Itoa(off))
		return "<" + baseURL(r) + r.URL.Path + "?" + p.Encode() + `>; rel="` + rel + `"`
	}
	last := 0
	if total > 0 {
		last = (total - 1) / limit * limit
	}
	var links []string
	if offset+limit < total {
		links = append(links, at(offset+limit, "next"))
	}
	if offset > 0 {
		links = append(links, at(max(0, offset-limit), "prev"))
	}
	links = append(links, at(0, "first"), at(last, "last"))
	return strings.Join(links, ", ")
}

// singleAnswer answers a single-record GET (fields only).
func singleAnswer(r *http.Request, key string, known []string, rec record) (any, error) {
	q, err := parseQuery(r.URL.Query(), known, 0, false)
	if err != nil {
		return nil, err
	}
	body := map[string]any{key: q.selectFields(rec)}
	if len(q.warnings) > 0 {
		body["statusInfoSet"] = q.warnings
	}
	return body, nil
}

// find returns the record with the given sourcedId.
func find(recs []record, id string) (record, bool) {
	for _, r := range recs {
		if r["sourcedId"] == id {
			return r, true
		}
	}
	return nil, false
}

// refTo builds a GUIDRef with an absolute href under the OneRoster root.
func refTo(root, typ, collection, id string) record {
	return record{"href": root + "/" + collection + "/" + url.PathEscape(id), "sourcedId": id, "type": typ}
}

func refID(v any) string {
	if m, ok := v.(record); ok {
		s, _ := m["sourcedId"].(string)
		return s
	}
	return ""
}
