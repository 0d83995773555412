package e2e

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pskit/pskit/emulator"
)

// TestEmulatorRefusesMalformedRequests sends the emulator requests a buggy
// or hostile client might: each gets a 4xx with a message, never a 500 or
// a hang, and large bodies are cut off.
func TestEmulatorRefusesMalformedRequests(t *testing.T) {
	d := startDistrict(t, emulator.Options{Students: 30, Seed: 2})
	hc := &http.Client{Timeout: 10 * time.Second}
	base := d.srv.URL()

	tokenReq := url.Values{"grant_type": {"client_credentials"}}.Encode()
	resp, err := hc.Do(mustRequest(t, "POST", base+"/oauth/access_token", tokenReq, func(r *http.Request) {
		r.SetBasicAuth(d.creds.ClientID, d.creds.ClientSecret)
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}))
	if err != nil {
		t.Fatal(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	if tok.AccessToken == "" {
		t.Fatalf("no token (HTTP %d)", resp.StatusCode)
	}
	bearer := func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+tok.AccessToken) }
	basic := func(ct string) func(*http.Request) {
		return func(r *http.Request) {
			r.SetBasicAuth(d.creds.ClientID, d.creds.ClientSecret)
			r.Header.Set("Content-Type", ct)
		}
	}
	huge := strings.Repeat("a", 12<<20) // past every body limit

	for _, tc := range []struct {
		name, method, path, body string
		set                      func(*http.Request)
	}{
		{"token request as JSON", "POST", "/oauth/access_token", `{"grant_type":"client_credentials"}`, basic("application/json")},
		{"token request with another grant", "POST", "/oauth/access_token", "grant_type=password", basic("application/x-www-form-urlencoded")},
		{"token request, huge body", "POST", "/oauth/access_token", "grant_type=client_credentials&x=" + huge, basic("application/x-www-form-urlencoded")},
		{"token request, no credentials", "POST", "/oauth/access_token", tokenReq, nil},
		{"page is not a number", "GET", "/ws/v1/district/student?page=abc", "", bearer},
		{"page is negative", "GET", "/ws/v1/district/student?page=-3", "", bearer},
		{"page overflows", "GET", "/ws/v1/district/student?page=99999999999999999999999", "", bearer},
		{"pagesize is not a number", "GET", "/ws/v1/district/student?pagesize=lots", "", bearer},
		{"broken q", "GET", "/ws/v1/district/student?q=name.last_name%3D%3D", "", bearer},
		{"q on an unknown field", "GET", "/ws/v1/district/student?q=ssn%3D%3D1", "", bearer},
		{"student id is not a number", "GET", "/ws/v1/student/abc", "", bearer},
		{"unknown path", "GET", "/ws/v1/nosuch", "", bearer},
		{"wrong method", "DELETE", "/ws/v1/district/student", "", bearer},
		{"no token", "GET", "/ws/v1/district/student", "", nil},
		{"control: bad JSON", "PUT", "/emulator/faults", `{"fail_rate":`, nil},
		{"control: unknown field", "PUT", "/emulator/faults", `{"fail_rte":0.5}`, nil},
		{"control: fail rate out of range", "PUT", "/emulator/faults", `{"fail_rate":7}`, nil},
		{"control: huge faults body", "PUT", "/emulator/faults", `{"latency":"` + huge + `"}`, nil},
		{"control: huge plugin", "POST", "/emulator/plugins", huge, nil},
		{"control: plugin is not XML", "POST", "/emulator/plugins", "not a plugin", nil},
		{"control: bad plugin id", "GET", "/emulator/plugins/xyz", "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := mustRequest(t, tc.method, base+tc.path, tc.body, tc.set)
			resp, err := hc.Do(req)
			if err != nil {
				t.Fatalf("no answer: %v", err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
			if resp.StatusCode < 400 || resp.StatusCode > 499 {
				t.Fatalf("HTTP %d, want 4xx; body %.300s", resp.StatusCode, body)
			}
			var msg struct {
				Message          string `json:"message"`
				Error            string `json:"error"`
				ErrorDescription string `json:"error_description"`
			}
			if json.Unmarshal(body, &msg) != nil || msg.Message+msg.Error+msg.ErrorDescription == "" {
				t.Errorf("HTTP %d without a JSON message: %.300s", resp.StatusCode, body)
			}
			if strings.Contains(string(body), d.creds.ClientSecret) || strings.Contains(string(body), tok.AccessToken) {
				t.Error("the error body echoes a secret")
			}
		})
	}
	// An unknown expansion is a 400 naming it and what is available; the
	// documented ones the emulator does not render (counselors, global_id)
	// and unknown extensions (PowerSource: "ignored") still give the page.
	for _, c := range []struct {
		q    string
		want int
	}{
		{"expansions=nosuch,demographics", http.StatusBadRequest},
		{"expansions=counselors,global_id", http.StatusOK},
		{"extensions=u_nosuch", http.StatusOK},
	} {
		resp, err := hc.Do(mustRequest(t, "GET", base+"/ws/v1/district/student?pagesize=2&"+c.q, "", bearer))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.want {
			t.Errorf("%s: HTTP %d, want %d: %.300s", c.q, resp.StatusCode, c.want, body)
			continue
		}
		if c.want == http.StatusBadRequest {
			if !strings.Contains(string(body), `unknown expansion nosuch`) || !strings.Contains(string(body), "demographics, addresses") {
				t.Errorf("%s: the message does not name the expansion and the available ones: %s", c.q, body)
			}
			continue
		}
		var page struct {
			Students struct {
				Student []json.RawMessage `json:"student"`
			} `json:"students"`
		}
		if err := json.Unmarshal(body, &page); err != nil || len(page.Students.Student) != 2 {
			t.Errorf("%s: %d records, %v; want the page of 2", c.q, len(page.Students.Student), err)
		}
	}
	if st := d.srv.Stats(); st.Statuses[500] != 0 {
		t.Errorf("the emulator answered 500 %d times", st.Statuses[500])
	}
}

func mustRequest(t *testing.T, method, u, body string, set func(*http.Request)) *http.Request {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, u, rd)
	if err != nil {
		t.Fatal(err)
	}
	if set != nil {
		set(req)
	}
	return req
}
