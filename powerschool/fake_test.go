package powerschool

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const (
	testClientID = "0d6f7c1e-id-for-tests"
	testSecret   = "S3CRET-must-never-leak"
	basePath     = "/ps" // a non-empty base path catches URL-joining bugs
)

// fakePS is a minimal PowerSchool: a token endpoint and bearer-checked API
// routes, counting what it receives.
type fakePS struct {
	t      testing.TB
	srv    *httptest.Server
	mux    *http.ServeMux
	tokens atomic.Int32 // token requests received
	api    atomic.Int32 // API requests received

	mu        sync.Mutex
	valid     map[string]bool
	expiresIn any // value of expires_in in token answers
	metadata  map[string]any
	metaReads atomic.Int32
	// tokenStatus, when non-zero, makes the token endpoint answer with it.
	tokenStatus int
	// token500s is how many token requests to answer with 500 first.
	token500s atomic.Int32
}

func newFakePS(t testing.TB) *fakePS { return startFakePS(t, httptest.NewServer) }

// newFakePSTLS is a fakePS over https; f.client trusts its certificate.
func newFakePSTLS(t testing.TB) *fakePS { return startFakePS(t, httptest.NewTLSServer) }

func startFakePS(t testing.TB, start func(http.Handler) *httptest.Server) *fakePS {
	t.Helper()
	f := &fakePS{t: t, mux: http.NewServeMux(), valid: map[string]bool{}, expiresIn: "1814654"}
	f.mux.HandleFunc("POST "+basePath+"/oauth/access_token", f.handleToken)
	f.metadata = map[string]any{
		"plugin_id": 42, "powerschool_version": "25.12.0.0.253441049",
		"student_max_page_size": "100", "school_max_page_size": 100, "staff_max_page_size": 100,
		"section_max_page_size": 100, "course_max_page_size": 100, "term_max_page_size": 100,
		"section_enrollment_max_page_size": 100, "schema_table_query_max_page_size": 100,
		"sso_enabled_admin": "false",
	}
	f.handle("GET /ws/v1/metadata", func(w http.ResponseWriter, r *http.Request) {
		f.metaReads.Add(1)
		f.mu.Lock()
		md := f.metadata
		f.mu.Unlock()
		writeJSON(w, map[string]any{"metadata": md})
	})
	f.srv = start(f.mux)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakePS) handleToken(w http.ResponseWriter, r *http.Request) {
	n := f.tokens.Add(1)
	if f.token500s.Add(-1) >= 0 {
		http.Error(w, `{"error":"server_error"}`, http.StatusInternalServerError)
		return
	}
	f.mu.Lock()
	status, exp := f.tokenStatus, f.expiresIn
	f.mu.Unlock()
	want := "Basic " + base64.StdEncoding.EncodeToString([]byte(testClientID+":"+testSecret))
	if r.Header.Get("Authorization") != want {
		status = http.StatusUnauthorized
	}
	if err := r.ParseForm(); err != nil || r.PostForm.Get("grant_type") != "client_credentials" {
		http.Error(w, `{"error":"unsupported_grant_type"}`, http.StatusBadRequest)
		return
	}
	if status != 0 {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		fmt.Fprint(w, `{"error":"invalid_client","error_description":"Bad client credentials"}`)
		return
	}
	tok := fmt.Sprintf("TOKEN-%d-7f1c9e2a-aaaa-bbbb", n)
	f.mu.Lock()
	f.valid[tok] = true
	f.mu.Unlock()
	writeJSON(w, map[string]any{"access_token": tok, "token_type": "Bearer", "expires_in": exp})
}

// handle registers an API route (pattern relative to the base path) that
// requires a valid bearer token.
func (f *fakePS) handle(pattern string, h http.HandlerFunc) {
	method, path, _ := strings.Cut(pattern, " ")
	f.mux.HandleFunc(method+" "+basePath+path, func(w http.ResponseWriter, r *http.Request) {
		f.api.Add(1)
		tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		f.mu.Lock()
		ok := f.valid[tok]
		f.mu.Unlock()
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token",realm="PowerSchool",error_description="The access token has expired"`)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		h(w, r)
	})
}

// revokeAll makes every token issued so far invalid.
func (f *fakePS) revokeAll() {
	f.mu.Lock()
	f.valid = map[string]bool{}
	f.mu.Unlock()
}

func (f *fakePS) url() string { return f.srv.URL + basePath }

var fastRetry = RetryPolicy{MaxRetries: 3, MinWait: time.Millisecond, MaxWait: 5 * time.Millisecond, MaxRetryAfter: 50 * time.Millisecond}

func (f *fakePS) client(opts ...Option) *Client {
	f.t.Helper()
	all := []Option{WithBaseURL(f.url()), WithCredentials(testClientID, testSecret), WithRetryPolicy(fastRetry)}
	if f.srv.TLS != nil {
		all = append(all, WithHTTPClient(f.srv.Client()))
	}
	all = append(all, opts...)
	c, err := NewClient(all...)
	if err != nil {
		f.t.Fatalf("NewClient: %v", err)
	}
	return c
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	json.NewEncoder(w).Encode(v)
}
