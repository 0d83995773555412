// Package fakeprovider is a small in-memory OneRoster 1.1 provider for the
// oneroster package's tests: an OAuth 2 token endpoint in PowerSchool's
// shape, rostering collections with limit/offset paging (with or without
// X-Total-Count and Link), a simple filter, and gradebook PUT/GET/DELETE with
// the status codes of Google's 1.1 conformance suite.
package fakeprovider

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// Record is one OneRoster entity as JSON.
type Record = map[string]any

// Options shape the provider's wire behaviour.
type Options struct {
	BasePath     string // default /ims/oneroster/v1p1
	ClientID     string // default "client-id"
	ClientSecret string // default "client-secret"
	TotalCount   bool   // send X-Total-Count
	Link         bool   // send Link rel="next"/"last"
	MaxLimit     int    // cap on limit (0: none), like a PowerSchool plugin's page size

	// Misbehaviours, for testing the conformance flow's checks.
	ClampScores     bool // store result scores capped at the line item's maximum
	CreatedOnUpdate bool // answer 201 when a PUT replaces a record
}

// Request is one request the provider saw.
type Request struct {
	Method, Path, RawQuery string
}

// Provider is a running fake.
type Provider struct {
	URL    string
	Token  string // the access token it issues
	opts   Options
	server *httptest.Server

	mu         sync.Mutex
	roster     map[string][]Record // collection name -> records, in order
	gradebook  map[string]map[string]Record
	gbOrder    map[string][]string
	requests   []Request
	tokenCalls int
}

// Start runs a provider until the test ends.
func Start(t testing.TB, opts Options) *Provider {
	t.Helper()
	if opts.BasePath == "" {
		opts.BasePath = "/ims/oneroster/v1p1"
	}
	if opts.ClientID == "" {
		opts.ClientID = "client-id"
	}
	if opts.ClientSecret == "" {
		opts.ClientSecret = "client-secret"
	}
	p := &Provider{
		opts:      opts,
		Token:     "tok-7d3f0c9a-44b1-4c55-9c1e-2f1a",
		roster:    map[string][]Record{},
		gradebook: map[string]map[string]Record{"categories": {}, "lineItems": {}, "results": {}},
		gbOrder:   map[string][]string{},
	}
	p.server = httptest.NewServer(http.HandlerFunc(p.serve))
	t.Cleanup(p.server.Close)
	p.URL = p.server.URL
	return p
}

// Add appends rostering records to a collection: orgs, academicSessions,
// courses, classes, users, enrollments.
func (p *Provider) Add(collection string, records ...Record) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.roster[collection] = append(p.roster[collection], records...)
}

// Requests returns the requests seen so far.
func (p *Provider) Requests() []Request {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.requests)
}

// TokenCalls counts token requests.
func (p *Provider) TokenCalls() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.tokenCalls
}

// Gradebook returns a copy of one gradebook record, if present.
func (p *Provider) Gradebook(collection, id string) (Record, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	r, ok := p.gradebook[collection][id]
	return r, ok
}

func (p *Provider) serve(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	p.requests = append(p.requests, Request{r.Method, r.URL.EscapedPath(), r.URL.RawQuery})
	p.mu.Unlock()

	if strings.TrimSuffix(r.URL.Path, "/") == "/oauth/access_token" {
		p.token(w, r)
		return
	}
	rest, ok := strings.CutPrefix(r.URL.EscapedPath(), p.opts.BasePath+"/")
	if !ok {
		status(w, http.StatusNotFound, "unknown object", "no such endpoint")
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+p.Token {
		status(w, http.StatusUnauthorized, "unauthorized", "missing or invalid access token")
		return
	}
	seg := strings.Split(rest, "/")
	for i, sg := range seg { // ids may hold escaped slashes
		if u, err := url.PathUnescape(sg); err == nil {
			seg[i] = u
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if r.Method == http.MethodGet {
		p.get(w, r, seg)
		return
	}
	if len(seg) == 2 && p.gradebook[seg[0]] != nil {
		switch r.Method {
		case http.MethodPut:
			p.put(w, r, seg[0], seg[1])
			return
		case http.MethodDelete:
			if _, ok := p.gradebook[seg[0]][seg[1]]; !ok {
				status(w, http.StatusNotFound, "unknown object", seg[1])
				return
			}
			delete(p.gradebook[seg[0]], seg[1])
			p.gbOrder[seg[0]] = slices.DeleteFunc(p.gbOrder[seg[0]], func(s string) bool { return s == seg[1] })
			w.WriteHeader(http.StatusNoContent)
			return
		}
	}
	status(w, http.StatusMethodNotAllowed, "unsupported", r.Method+" "+r.URL.Path)
}

func (p *Provider) token(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	p.tokenCalls++
	p.mu.Unlock()
	want := "Basic " + base64.StdEncoding.EncodeToString([]byte(p.opts.ClientID+":"+p.opts.ClientSecret))
	if r.Method != http.MethodPost || r.Header.Get("Authorization") != want {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"error":"invalid_client","error_description":"client authentication failed"}`)
		return
	}
	if err := r.ParseForm(); err != nil || r.PostForm.Get("grant_type") != "client_credentials" {
		http.Error(w, `{"error":"unsupported_grant_type"}`, http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	// PowerSchool sends expires_in as a string.
	fmt.Fprintf(w, `{"access_token":%q,"token_type":"Bearer","expires_in":"3600"}`, p.Token)
}

// singular names the wrapper of one record, by collection.
var singular = map[string]string{
	"orgs": "org", "academicSessions": "academicSession", "courses": "course", "classes": "class",
	"users": "user", "enrollments": "enrollment", "categories": "category", "lineItems": "lineItem", "results": "result",
}

func (p *Provider) get(w http.ResponseWriter, r *http.Request, seg []string) {
	var items []Record
	key := ""
	switch {
	case len(seg) == 1 || (len(seg) == 2 && seg[0] != ""):
		coll, filter := p.alias(seg[0])
		if coll == "" {
			status(w, http.StatusNotFound, "unknown object", "no such endpoint")
			return
		}
		items = where(p.all(coll), filter)
		key = coll
		if len(seg) == 2 {
			for _, it := range items {
				if it["sourcedId"] == seg[1] {
					writeJSON(w, http.StatusOK, map[string]any{singular[coll]: it})
					return
				}
			}
			status(w, http.StatusNotFound, "unknown object", seg[1])
			return
		}
	default:
		var ok bool
		items, key, ok = p.nested(seg)
		if !ok {
			status(w, http.StatusNotFound, "unknown object", "no such endpoint")
			return
		}
	}
	items, err := filter(items, r.URL.Query().Get("filter"))
	if err != nil {
		status(w, http.StatusBadRequest, "invalid_filter_field", err.Error())
		return
	}
	p.page(w, r, key, items)
}

// alias maps an endpoint to its collection and an implied condition.
func (p *Provider) alias(name string) (string, func(Record) bool) {
	is := func(field, v string) func(Record) bool { return func(r Record) bool { return r[field] == v } }
	switch name {
	case "schools":
		return "orgs", is("type", "school")
	case "terms":
		return "academicSessions", is("type", "term")
	case "gradingPeriods":
		return "academicSessions", is("type", "gradingPeriod")
	case "students":
		return "users", is("role", "student")
	case "teachers":
		return "users", is("role", "teacher")
	case "orgs", "academicSessions", "courses", "classes", "users", "enrollments", "categories", "lineItems", "results":
		return name, nil
	}
	return "", nil
}

func (p *Provider) all(coll string) []Record {
	if m, ok := p.gradebook[coll]; ok {
		out := make([]Record, 0, len(m))
		for _, id := range p.gbOrder[coll] {
			out = append(out, m[id])
		}
		return out
	}
	return p.roster[coll]
}

func ref(r Record, field string) string {
	m, _ := r[field].(map[string]any)
	s, _ := m["sourcedId"].(string)
	return s
}

func where(items []Record, keep func(Record) bool) []Record {
	if keep == nil {
		return items
	}
	var out []Record
	for _, it := range items {
		if keep(it) {
			out = append(out, it)
		}
	}
	return out
}

// enrolled returns the users of a class in a role, or the classes of a user.
func (p *Provider) enrolled(classID, userID, role string) (users, classes []string) {
	for _, e := range p.roster["enrollments"] {
		if e["role"] != role {
			continue
		}
		if classID != "" && ref(e, "class") == classID {
			users = append(users, ref(e, "user"))
		}
		if userID != "" && ref(e, "user") == userID {
			classes = append(classes, ref(e, "class"))
		}
	}
	return users, classes
}

func inIDs(ids []string) func(Record) bool {
	return func(r Record) bool {
		id, _ := r["sourcedId"].(string)
		return slices.Contains(ids, id)
	}
}

func (p *Provider) nested(seg []string) ([]Record, string, bool) {
	path := strings.Join(seg[:1], "/") + "/{}/" + strings.Join(seg[2:], "/")
	if len(seg) == 5 {
		path = seg[0] + "/{}/" + seg[2] + "/{}/" + seg[4]
	}
	id := seg[1]
	switch path {
	case "classes/{}/students":
		users, _ := p.enrolled(id, "", "student")
		return where(p.roster["users"], inIDs(users)), "users", true
	case "classes/{}/teachers":
		users, _ := p.enrolled(id, "", "teacher")
		return where(p.roster["users"], inIDs(users)), "users", true
	case "teachers/{}/classes":
		_, classes := p.enrolled("", id, "teacher")
		return where(p.roster["classes"], inIDs(classes)), "classes", true
	case "students/{}/classes":
		_, classes := p.enrolled("", id, "student")
		return where(p.roster["classes"], inIDs(classes)), "classes", true
	case "schools/{}/classes":
		return where(p.roster["classes"], func(r Record) bool { return ref(r, "school") == id }), "classes", true
	case "terms/{}/gradingPeriods":
		return where(p.roster["academicSessions"], func(r Record) bool {
			return r["type"] == "gradingPeriod" && ref(r, "parent") == id
		}), "academicSessions", true
	case "classes/{}/lineItems":
		return where(p.all("lineItems"), func(r Record) bool { return ref(r, "class") == id }), "lineItems", true
	case "classes/{}/results":
		return where(p.all("results"), func(r Record) bool {
			return ref(p.gradebook["lineItems"][ref(r, "lineItem")], "class") == id
		}), "results", true
	case "classes/{}/lineItems/{}/results":
		li := seg[3]
		return where(p.all("results"), func(r Record) bool {
			return ref(r, "lineItem") == li && ref(p.gradebook["lineItems"][li], "class") == id
		}), "results", true
	case "classes/{}/students/{}/results":
		st := seg[3]
		return where(p.all("results"), func(r Record) bool {
			return ref(r, "student") == st && ref(p.gradebook["lineItems"][ref(r, "lineItem")], "class") == id
		}), "results", true
	}
	return nil, "", false
}

var clauseRe = regexp.MustCompile(`^\s*([A-Za-z_.]+)\s*(!=|=)\s*'(.*)'\s*$`)

// filter applies field='v' / field!='v' clauses joined by AND or OR.
func filter(items []Record, expr string) ([]Record, error) {
	if expr == "" {
		return items, nil
	}
	op := " AND "
	if strings.Contains(expr, " OR ") {
		op = " OR "
	}
	type clause struct{ field, pred, value string }
	var clauses []clause
	for _, part := range strings.Split(expr, op) {
		m := clauseRe.FindStringSubmatch(part)
		if m == nil {
			return nil, fmt.Errorf("cannot parse filter clause %q", part)
		}
		clauses = append(clauses, clause{m[1], m[2], m[3]})
	}
	return where(items, func(r Record) bool {
		for _, c := range clauses {
			v := fmt.Sprint(r[c.field])
			if strings.HasSuffix(c.field, ".sourcedId") {
				v = ref(r, strings.TrimSuffix(c.field, ".sourcedId"))
			}
			match := strings.EqualFold(v, c.value) == (c.pred == "=")
			if op == " OR " && match {
				return true
			}
			if op == " AND " && !match {
				return false
			}
		}
		return op == " AND "
	}), nil
}

func (p *Provider) page(w http.ResponseWriter, r *http.Request, key string, items []Record) {
	q := r.URL.Query()
	limit, offset := 100, 0
	if v := q.Get("limit"); v != "" {
		limit, _ = strconv.Atoi(v)
	}
	if v := q.Get("offset"); v != "" {
		offset, _ = strconv.Atoi(v)
	}
	if limit < 1 || offset < 0 {
		status(w, http.StatusBadRequest, "invalid data", "limit must be >= 1 and offset >= 0")
		return
	}
	if p.opts.MaxLimit > 0 && limit > p.opts.MaxLimit {
		limit = p.opts.MaxLimit
	}
	end := min(offset+limit, len(items))
	pageItems := []Record{}
	if offset < len(items) {
		pageItems = items[offset:end]
	}
	if p.opts.TotalCount {
		w.Header().Set("X-Total-Count", strconv.Itoa(len(items)))
	}
	if p.opts.Link {
		link := func(off int, rel string) string {
			q2 := r.URL.Query()
			q2.Set("offset", strconv.Itoa(off))
			q2.Set("limit", strconv.Itoa(limit))
			return fmt.Sprintf(`<%s%s?%s>; rel="%s"`, p.URL, r.URL.Path, q2.Encode(), rel)
		}
		var links []string
		if end < len(items) {
			links = append(links, link(end, "next"))
		}
		last := 0
		if len(items) > 0 {
			last = (len(items) - 1) / limit * limit
		}
		links = append(links, link(last, "last"))
		w.Header().Set("Link", strings.Join(links, ", "))
	}
	writeJSON(w, http.StatusOK, map[string]any{key: pageItems})
}

func (p *Provider) put(w http.ResponseWriter, r *http.Request, coll, id string) {
	var body map[string]Record
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		status(w, http.StatusBadRequest, "invalid data", "body is not JSON: "+err.Error())
		return
	}
	rec, ok := body[singular[coll]]
	if !ok {
		status(w, http.StatusBadRequest, "invalid data", fmt.Sprintf("body must be {%q: {...}}", singular[coll]))
		return
	}
	if sid, _ := rec["sourcedId"].(string); sid != "" && sid != id {
		status(w, http.StatusBadRequest, "invalid data", "sourcedId in body differs from the path")
		return
	}
	rec["sourcedId"] = id
	if _, ok := rec["status"]; !ok {
		rec["status"] = "active"
	}
	rec["dateLastModified"] = "2024-05-01T12:00:00.000Z"
	if coll == "results" && p.opts.ClampScores {
		if max, ok := p.gradebook["lineItems"][ref(rec, "lineItem")]["resultValueMax"].(float64); ok {
			if score, ok := rec["score"].(float64); ok && score > max {
				rec["score"] = max
			}
		}
	}
	_, existed := p.gradebook[coll][id]
	if p.opts.CreatedOnUpdate {
		existed = false
	}
	_, known := p.gradebook[coll][id]
	p.gradebook[coll][id] = rec
	if existed {
		writeJSON(w, http.StatusOK, map[string]any{singular[coll]: rec})
		return
	}
	if !known {
		p.gbOrder[coll] = append(p.gbOrder[coll], id)
	}
	writeJSON(w, http.StatusCreated, map[string]any{singular[coll]: rec})
}

// status writes an error in the imsx form the 1.1 binding defines.
func status(w http.ResponseWriter, code int, minor, description string) {
	writeJSON(w, code, map[string]any{
		"imsx_codeMajor":            "failure",
		"imsx_severity":             "error",
		"imsx_messageRefIdentifier": "fake",
		"imsx_description":          description,
		"imsx_CodeMinor": map[string]any{"imsx_codeMinorField": []map[string]string{
			{"imsx_codeMinorFieldName": "TargetEndSystem", "imsx_codeMinorFieldValue": minor},
		}},
	})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
