package register

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/pskit/pskit/plugin"
)

const secret = "registration-secret-do-not-log"

func validBody() []byte {
	b, _ := json.Marshal(plugin.RegistrationRequest{
		ServerURL: "https://district.powerschool.com", PluginName: "Roster Sync", PluginVersion: "1.0.0",
		PluginID: "7", ClientID: "client-7", ClientSecret: secret, CallbackData: "licence=1",
	})
	return b
}

type recorder struct {
	mu    sync.Mutex
	saved []plugin.RegistrationRequest
	err   error
}

func (r *recorder) save(_ context.Context, req plugin.RegistrationRequest) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil {
		return r.err
	}
	r.saved = append(r.saved, req)
	return nil
}

func newServer(t *testing.T, h *Handler) (*httptest.Server, *bytes.Buffer) {
	t.Helper()
	var logs bytes.Buffer
	h.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv, &logs
}

func post(t *testing.T, url, contentType string, body []byte) (int, plugin.RegistrationReply) {
	t.Helper()
	resp, err := http.Post(url, contentType, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var reply plugin.RegistrationReply
	if err := json.NewDecoder(resp.Body).Decode(&reply); err != nil {
		t.Fatalf("reply is not JSON: %v", err)
	}
	return resp.StatusCode, reply
}

func TestHandlerSavesValidRegistration(t *testing.T) {
	rec := &recorder{}
	srv, logs := newServer(t, &Handler{Save: rec.save})
	status, reply := post(t, srv.URL+"/register", "application/json; charset=utf-8", validBody())
	if status != http.StatusOK || reply.Status != "registered" {
		t.Fatalf("status %d reply %+v", status, reply)
	}
	if len(rec.saved) != 1 || rec.saved[0].ClientSecret != secret || rec.saved[0].PluginID != "7" {
		t.Fatalf("saved %v", rec.saved)
	}
	if strings.Contains(logs.String(), secret) {
		t.Errorf("log leaks the secret:\n%s", logs)
	}
	if !strings.Contains(logs.String(), "registration saved") {
		t.Errorf("log lacks the saved entry:\n%s", logs)
	}
}

func TestHandlerAcceptsForm(t *testing.T) {
	rec := &recorder{}
	srv, _ := newServer(t, &Handler{Save: rec.save})
	form := url.Values{"server_url": {"https://d.powerschool.com"}, "plugin_name": {"P"}, "plugin_id": {"1"}, "client_id": {"c"}, "client_secret": {secret}}
	status, reply := post(t, srv.URL, "application/x-www-form-urlencoded", []byte(form.Encode()))
	if status != http.StatusOK || len(rec.saved) != 1 || rec.saved[0].ClientSecret != secret {
		t.Fatalf("status %d reply %+v saved %v", status, reply, rec.saved)
	}
}

func TestHandlerRefuses(t *testing.T) {
	missing, _ := json.Marshal(map[string]string{"server_url": "ftp://x", "client_secret": secret})
	tests := []struct {
		name        string
		contentType string
		body        []byte
		status      int
		want        string
	}{
		{"missing fields", "application/json", missing, 400, "plugin_id is missing"},
		{"bad server url", "application/json", missing, 400, "absolute http:// or https://"},
		{"not JSON", "application/json", []byte("client_secret=" + secret), 400, "cannot decode the body"},
		{"empty", "application/json", nil, 400, "the body is empty"},
		{"too large", "application/json", bytes.Repeat([]byte(" "), plugin.MaxRegistrationSize+10), 413, "larger than"},
		{"xml", "application/xml", validBody(), 415, "send application/json"},
		{"bad content type", "a/b/c", validBody(), 415, "unsupported content type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{}
			srv, logs := newServer(t, &Handler{Save: rec.save})
			status, reply := post(t, srv.URL, tt.contentType, tt.body)
			if status != tt.status || !strings.Contains(reply.Error, tt.want) {
				t.Errorf("status %d error %q, want %d containing %q", status, reply.Error, tt.status, tt.want)
			}
			if len(rec.saved) != 0 {
				t.Errorf("saved %v despite the refusal", rec.saved)
			}
			if strings.Contains(reply.Error, secret) || strings.Contains(logs.String(), secret) {
				t.Errorf("secret leaked: reply %q log %s", reply.Error, logs)
			}
		})
	}
}

func TestHandlerMethodNotAllowed(t *testing.T) {
	rec := &recorder{}
	srv, _ := newServer(t, &Handler{Save: rec.save})
	for _, method := range []string{http.MethodGet, http.MethodPut, http.MethodDelete} {
		req, _ := http.NewRequest(method, srv.URL, bytes.NewReader(validBody()))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "POST" {
			t.Errorf("%s: status %d Allow %q", method, resp.StatusCode, resp.Header.Get("Allow"))
		}
	}
	if len(rec.saved) != 0 {
		t.Errorf("saved %v", rec.saved)
	}
}

func TestHandlerVerify(t *testing.T) {
	rec := &recorder{}
	var (
		mu       sync.Mutex
		verified []string
	)
	srv, _ := newServer(t, &Handler{Save: rec.save, Verify: func(_ context.Context, req plugin.RegistrationRequest) error {
		mu.Lock()
		defer mu.Unlock()
		verified = append(verified, req.ClientID)
		if req.ClientID == "client-7" {
			return errors.New("token endpoint answered 401")
		}
		return nil
	}})
	status, reply := post(t, srv.URL, "application/json", validBody())
	if status != http.StatusUnprocessableEntity || !strings.Contains(reply.Error, "could not be verified: token endpoint answered 401") {
		t.Errorf("status %d reply %+v", status, reply)
	}
	mu.Lock()
	calls := len(verified)
	mu.Unlock()
	if len(rec.saved) != 0 || calls != 1 {
		t.Errorf("saved %v, verify called %d times", rec.saved, calls)
	}
	ok := bytes.Replace(validBody(), []byte("client-7"), []byte("client-8"), 1)
	if status, _ := post(t, srv.URL, "application/json", ok); status != 200 || len(rec.saved) != 1 {
		t.Errorf("verified request: status %d saved %v", status, rec.saved)
	}
}

func TestHandlerSaveFailure(t *testing.T) {
	rec := &recorder{err: errors.New("keyring locked")}
	srv, logs := newServer(t, &Handler{Save: rec.save})
	status, reply := post(t, srv.URL, "application/json", validBody())
	if status != http.StatusInternalServerError || strings.Contains(reply.Error, "keyring") {
		t.Errorf("status %d reply %+v: want 500 without internal detail", status, reply)
	}
	if !strings.Contains(logs.String(), "keyring locked") || strings.Contains(logs.String(), secret) {
		t.Errorf("log should have the cause and not the secret:\n%s", logs)
	}
}

// A web page can make a visitor's browser post a form (no CORS preflight);
// the browser marks such posts, PowerSchool's server does not.
func TestHandlerRefusesBrowsers(t *testing.T) {
	rec := &recorder{}
	srv, _ := newServer(t, &Handler{Save: rec.save})
	form := url.Values{"server_url": {"https://d.powerschool.com"}, "plugin_name": {"P"}, "plugin_id": {"1"}, "client_id": {"c"}, "client_secret": {secret}}
	for _, h := range []map[string]string{
		{"Origin": "https://evil.example"},
		{"Origin": "null"},
		{"Sec-Fetch-Site": "cross-site"},
		{"Sec-Fetch-Mode": "navigate"},
	} {
		req, _ := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for k, v := range h {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("%v: status %d, want 403", h, resp.StatusCode)
		}
	}
	if len(rec.saved) != 0 {
		t.Fatalf("browser posts saved %v", rec.saved)
	}
}
