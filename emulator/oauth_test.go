package emulator

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestTokenEndpoint(t *testing.T) {
	clock := newClock()
	s, c := start(t, Options{Clock: clock.Now, TokenTTL: time.Hour})
	a := tokenRequest(t, s.URL(), "/oauth/access_token", c.ClientID, c.ClientSecret)
	if a.status != 200 || !strings.HasPrefix(a.header.Get("Content-Type"), "application/json") {
		t.Fatalf("token: %d %s %s", a.status, a.header.Get("Content-Type"), a.body)
	}
	m := a.json(t)
	if m["token_type"] != "Bearer" || m["expires_in"] != "3600" {
		t.Fatalf("token response %v: want token_type Bearer and expires_in the string \"3600\"", m)
	}
	first := m["access_token"].(string)

	clock.Advance(10 * time.Minute)
	b := tokenRequest(t, s.URL(), "/oauth/access_token/", c.ClientID, c.ClientSecret).json(t)
	if b["access_token"] != first || b["expires_in"] != "3000" {
		t.Fatalf("second request (trailing slash) = %v; want the same token with expires_in \"3000\"", b)
	}

	clock.Advance(time.Hour)
	if a := get(t, s.URL(), "/ws/v1/district", first); a.status != 401 ||
		a.header.Get("WWW-Authenticate") != `Bearer error="invalid_token",realm="PowerSchool",error_description="The access token has expired"` {
		t.Fatalf("expired token: %d %q", a.status, a.header.Get("WWW-Authenticate"))
	}
	if again := token(t, c); again == first {
		t.Fatal("an expired token was handed out again")
	}
}

func TestTokenErrors(t *testing.T) {
	s, c := start(t, Options{})
	for name, a := range map[string]answer{
		"wrong secret":  tokenRequest(t, s.URL(), "/oauth/access_token", c.ClientID, "nope"),
		"unknown id":    tokenRequest(t, s.URL(), "/oauth/access_token", "x", c.ClientSecret),
		"secret as id":  tokenRequest(t, s.URL(), "/oauth/access_token", c.ClientSecret, c.ClientID),
		"empty":         tokenRequest(t, s.URL(), "/oauth/access_token", "", ""),
		"body, no auth": do(t, formRequest(s.URL(), "grant_type=client_credentials&client_id="+c.ClientID+"&client_secret="+c.ClientSecret)),
	} {
		if a.status != 401 || a.json(t)["error"] != "invalid_client" {
			t.Errorf("%s: %d %s; want 401 invalid_client", name, a.status, a.body)
		}
		if strings.Contains(string(a.body), c.ClientSecret) {
			t.Errorf("%s: the error body echoes the secret", name)
		}
	}
	req := formRequest(s.URL(), "grant_type=password")
	req.SetBasicAuth(c.ClientID, c.ClientSecret)
	if a := do(t, req); a.status != 400 || a.json(t)["error"] != "unsupported_grant_type" {
		t.Errorf("grant_type=password: %d %s", a.status, a.body)
	}
	req, _ = http.NewRequest("GET", s.URL()+"/oauth/access_token", nil)
	if a := do(t, req); a.status != 405 || a.json(t)["message"] == nil {
		t.Errorf("GET token: %d %s; want 405 with a JSON message", a.status, a.body)
	}
}

func formRequest(base, body string) *http.Request {
	req, _ := http.NewRequest("POST", base+"/oauth/access_token", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return req
}

func TestRegenerateRevokesAtOnce(t *testing.T) {
	s, c := start(t, Options{})
	old := token(t, c)
	fresh, err := s.Regenerate(c.PluginID)
	if err != nil {
		t.Fatal(err)
	}
	if fresh.ClientID == c.ClientID || fresh.ClientSecret == c.ClientSecret {
		t.Fatal("regenerate kept the old client id or secret")
	}
	if a := get(t, s.URL(), "/ws/v1/district", old); a.status != 401 {
		t.Fatalf("token issued before regenerate: %d, want 401", a.status)
	}
	if a := tokenRequest(t, s.URL(), "/oauth/access_token", c.ClientID, c.ClientSecret); a.status != 401 {
		t.Fatalf("old credentials: %d, want 401", a.status)
	}
	if a := get(t, s.URL(), "/ws/v1/district", token(t, fresh)); a.status != 200 {
		t.Fatalf("new credentials: %d %s", a.status, a.body)
	}
}

func TestDisabledPlugin(t *testing.T) {
	s, c := start(t, Options{})
	tok := token(t, c)
	if err := s.DisablePlugin(c.PluginID); err != nil {
		t.Fatal(err)
	}
	if a := get(t, s.URL(), "/ws/v1/district", tok); a.status != 401 {
		t.Fatalf("token of a disabled plugin: %d, want 401", a.status)
	}
	if a := tokenRequest(t, s.URL(), "/oauth/access_token", c.ClientID, c.ClientSecret); a.status != 401 {
		t.Fatalf("credentials of a disabled plugin: %d, want 401", a.status)
	}
	if err := s.EnablePlugin(c.PluginID); err != nil {
		t.Fatal(err)
	}
	if a := get(t, s.URL(), "/ws/v1/district", tok); a.status != 200 {
		t.Fatalf("token after re-enabling: %d", a.status)
	}
}

func TestExpireTokens(t *testing.T) {
	s, c := start(t, Options{})
	tok := token(t, c)
	s.ExpireTokens()
	if a := get(t, s.URL(), "/ws/v1/district", tok); a.status != 401 || !strings.Contains(a.header.Get("WWW-Authenticate"), `error="invalid_token"`) {
		t.Fatalf("after ExpireTokens: %d %q", a.status, a.header.Get("WWW-Authenticate"))
	}
	if token(t, c) == tok {
		t.Fatal("a new token request returned the expired token")
	}
}

func TestBearerErrors(t *testing.T) {
	s, _ := start(t, Options{})
	a := get(t, s.URL(), "/ws/v1/district/student", "")
	if a.status != 401 || a.json(t)["message"] == nil || !strings.HasPrefix(a.header.Get("WWW-Authenticate"), "Bearer") {
		t.Fatalf("no token: %d %q %s", a.status, a.header.Get("WWW-Authenticate"), a.body)
	}
	a = get(t, s.URL(), "/ws/v1/district/student", "00000000-0000-0000-0000-000000000000")
	if a.status != 401 || !strings.Contains(a.header.Get("WWW-Authenticate"), `error="invalid_token"`) {
		t.Fatalf("unknown token: %d %q", a.status, a.header.Get("WWW-Authenticate"))
	}
}

func TestMetadata(t *testing.T) {
	s, c := start(t, Options{MaxPageSize: 250})
	with := path(t, get(t, s.URL(), "/ws/v1/metadata", token(t, c)).json(t), "metadata").(map[string]any)
	if with["plugin_id"] != float64(c.PluginID) || with["student_max_page_size"] != float64(250) || with["district_timezone"] == nil {
		t.Fatalf("metadata with a token: %v", with)
	}
	if _, ok := with["sso_enabled_admin"].(string); !ok {
		t.Fatalf("sso_enabled_admin should be a string: %v", with["sso_enabled_admin"])
	}
	for _, tok := range []string{"", "not-a-token"} {
		a := get(t, s.URL(), "/ws/v1/metadata", tok)
		m := path(t, a.json(t), "metadata").(map[string]any)
		if a.status != 200 || m["plugin_id"] != nil || m["powerschool_version"] == nil {
			t.Fatalf("metadata with token %q: %d %v", tok, a.status, m)
		}
	}
}

func TestAccessLevelNone(t *testing.T) {
	s, _ := start(t, Options{})
	for _, xml := range []string{strings.Replace(string(DefaultPlugin), `<oauth accessLevelV1Api="READ"/>`, `<oauth/>`, 1),
		strings.Replace(string(DefaultPlugin), `accessLevelV1Api="READ"`, `accessLevelV1Api="NONE"`, 1)} {
		xml = strings.Replace(xml, `name="pskit Example Plugin"`, `name="Plugin `+strconv.Itoa(len(s.Plugins()))+`"`, 1)
		c, err := s.InstallPlugin([]byte(xml))
		if err != nil {
			t.Fatal(err)
		}
		tok := token(t, c)
		if a := get(t, s.URL(), "/ws/v1/district/student", tok); a.status != 403 || a.json(t)["message"] == nil {
			t.Fatalf("accessLevelV1Api NONE/absent: %d %s", a.status, a.body)
		}
		if a := get(t, s.URL(), "/ws/v1/metadata", tok); a.status != 200 {
			t.Fatalf("metadata stays readable: %d", a.status)
		}
	}
}
