// Package clitest has a small stand-in PowerSchool server for psctl's own
// command tests: tokens with Basic auth, regeneration, metadata, district,
// schools and students with PowerSchool's list envelope. The full emulator
// (package emulator) is what end-to-end tests use.
package clitest

import (
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// FakePS is a minimal PowerSchool server.
type FakePS struct {
	URL string

	mu            sync.Mutex
	id, secret    string
	token         string
	gen           int
	students      int
	TokenRequests atomic.Int32
	APIRequests   atomic.Int32
	// FailPage, when > 0, makes that student page answer 500.
	FailPage atomic.Int32
	// OnPage, when set, is called before a student page is served.
	OnPage func(page int)
}

// NewFakePS starts a server with n students and stops it at test cleanup.
func NewFakePS(t testing.TB, n int) *FakePS {
	f, stop := StartFakePS(n)
	t.Cleanup(stop)
	return f
}

// StartFakePS starts a server with n students; call stop when done.
func StartFakePS(n int) (f *FakePS, stop func()) {
	f = &FakePS{students: n}
	f.Regenerate()
	srv := httptest.NewServer(http.HandlerFunc(f.serve))
	f.URL = srv.URL
	return f, srv.Close
}

// NewFakePSTLS is NewFakePS over https with a self-signed certificate,
// returned as PEM.
func NewFakePSTLS(t testing.TB, n int) (*FakePS, []byte) {
	f := &FakePS{students: n}
	f.Regenerate()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(f.serve))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes are the point of some tests
	srv.StartTLS()
	t.Cleanup(srv.Close)
	f.URL = srv.URL
	return f, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
}

// Credentials returns the current client ID and secret.
func (f *FakePS) Credentials() (id, secret string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.id, f.secret
}

// Regenerate issues a new client ID and secret; the old pair and its token stop working.
func (f *FakePS) Regenerate() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.gen++
	f.id = fmt.Sprintf("client-id-%d", f.gen)
	f.secret = fmt.Sprintf("client-secret-%d-7f3a", f.gen)
	f.token = ""
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (f *FakePS) serve(w http.ResponseWriter, r *http.Request) {
	if strings.TrimSuffix(r.URL.Path, "/") == "/oauth/access_token" {
		f.TokenRequests.Add(1)
		id, secret, ok := r.BasicAuth()
		f.mu.Lock()
		defer f.mu.Unlock()
		if !ok || id != f.id || secret != f.secret || r.PostFormValue("grant_type") != "client_credentials" {
			writeJSON(w, 401, map[string]string{"error": "invalid_client", "error_description": "Invalid client credentials"})
			return
		}
		if f.token == "" {
			f.token = fmt.Sprintf("access-token-%d-c0ffee", f.gen)
		}
		writeJSON(w, 200, map[string]string{"access_token": f.token, "token_type": "Bearer", "expires_in": "3600"})
		return
	}
	f.APIRequests.Add(1)
	f.mu.Lock()
	valid := f.token != "" && r.Header.Get("Authorization") == "Bearer "+f.token
	f.mu.Unlock()
	if r.URL.Path == "/ws/v1/metadata" {
		md := map[string]any{"powerschool_version": "25.12.0.0.1", "student_max_page_size": 10, "school_max_page_size": 10}
		if valid {
			md["plugin_id"] = 7
		}
		writeJSON(w, 200, map[string]any{"metadata": md})
		return
	}
	if !valid {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token",realm="PowerSchool",error_description="The access token is invalid"`)
		writeJSON(w, 401, map[string]string{"message": "Invalid token"})
		return
	}
	switch r.URL.Path {
	case "/ws/v1/district":
		writeJSON(w, 200, map[string]any{"district": map[string]any{"name": "Fake District", "district_number": 1}})
	case "/ws/v1/district/school/count":
		writeJSON(w, 200, map[string]any{"resource": map[string]int{"count": 1}})
	case "/ws/v1/district/school":
		writeJSON(w, 200, map[string]any{"schools": map[string]any{"school": map[string]any{"id": 1, "name": "Fake High", "school_number": 100}}})
	case "/ws/v1/district/student/count":
		writeJSON(w, 200, map[string]any{"resource": map[string]int{"count": f.students}})
	case "/ws/v1/district/student":
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		size, _ := strconv.Atoi(r.URL.Query().Get("pagesize"))
		if page < 1 {
			page = 1
		}
		if size < 1 || size > 10 {
			size = 10
		}
		if f.OnPage != nil {
			f.OnPage(page)
		}
		if int(f.FailPage.Load()) == page {
			writeJSON(w, 500, map[string]string{"message": "Internal error"})
			return
		}
		var list []any
		for i := (page - 1) * size; i < min(page*size, f.students); i++ {
			list = append(list, map[string]any{"id": 1000 + i, "local_id": 5000 + i, "name": map[string]string{"first_name": "First" + strconv.Itoa(i), "last_name": "Last"}})
		}
		inner := map[string]any{"@expansions": "demographics, addresses"}
		switch len(list) {
		case 0:
		case 1:
			inner["student"] = list[0]
		default:
			inner["student"] = list
		}
		writeJSON(w, 200, map[string]any{"students": inner})
	default:
		writeJSON(w, 404, map[string]string{"message": "Not found"})
	}
}
