package admin_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pskit/pskit/emulator/internal/admin"
	"github.com/pskit/pskit/plugin"
	"github.com/pskit/pskit/plugin/register"
)

func pluginXML(name, extra string) []byte {
	return []byte(`<?xml version="1.0" encoding="UTF-8"?>
<plugin xmlns="http://plugin.powerschool.pearson.com" name="` + name + `" version="1.2.0" description="Roster sync">
  <oauth accessLevelV1Api="READ"/>
  <publisher name="Acme Learning"><contact email="support@acme.test"/></publisher>
` + extra + `
</plugin>
`)
}

func TestLoginRequired(t *testing.T) {
	srv, _ := adminServer(t, admin.Config{})
	b := newBrowser(t, srv.URL)
	for _, path := range []string{"/admin/plugins", "/admin/plugins/1/data-provider"} {
		p := b.get(path)
		if p.status != http.StatusSeeOther || p.location != "/admin/login?next="+url.QueryEscape(path) {
			t.Errorf("GET %s without login: %d to %q, want 303 to the login page", path, p.status, p.location)
		}
	}
	// A POST without a session goes to the login page too, and does nothing.
	if p := b.post("/admin/plugins/1/delete", url.Values{}); p.status != http.StatusSeeOther || !strings.HasPrefix(p.location, "/admin/login") {
		t.Errorf("POST without login: %d to %q", p.status, p.location)
	}
}

func TestLogin(t *testing.T) {
	srv, _ := adminServer(t, admin.Config{})
	b := newBrowser(t, srv.URL)

	p := b.postForm("/admin/login", "/admin/login", url.Values{"username": {testUser}, "password": {"wrong"}})
	if p.status != http.StatusUnauthorized || !strings.Contains(p.body, "username or password is wrong") {
		t.Fatalf("wrong password: %d, body lacks the explanation:\n%s", p.status, p.body)
	}
	if b.get("/admin/plugins").status != http.StatusSeeOther {
		t.Fatal("a failed login gave access")
	}

	anon := b.cookie()
	token := b.csrf("/admin/login?next=/admin/plugins/install")
	p = b.post("/admin/login", url.Values{"csrf_token": {token}, "username": {testUser}, "password": {testPassword}, "next": {"/admin/plugins/install"}})
	if p.status != http.StatusSeeOther || p.location != "/admin/plugins/install" {
		t.Fatalf("login: %d to %q, want 303 to the requested page", p.status, p.location)
	}
	set := p.header.Get("Set-Cookie")
	for _, attr := range []string{"HttpOnly", "SameSite=Strict", "Path=/admin/"} {
		if !strings.Contains(set, attr) {
			t.Errorf("session cookie %q lacks %s", set, attr)
		}
	}
	if b.cookie() == anon {
		t.Error("the session id was not replaced on login")
	}
	if got := b.get("/admin/plugins"); got.status != http.StatusOK || !strings.Contains(got.body, "Plugin Management Configuration") {
		t.Fatalf("after login: %d", got.status)
	}

	// An off-site next is ignored.
	b2 := newBrowser(t, srv.URL)
	token = b2.csrf("/admin/login")
	p = b2.post("/admin/login", url.Values{"csrf_token": {token}, "username": {testUser}, "password": {testPassword}, "next": {"//evil.test/x"}})
	if p.location != "/admin/plugins" {
		t.Errorf("next=//evil.test redirected to %q", p.location)
	}

	// Logout ends the session server-side.
	old := b.cookie()
	if p := b.postForm("/admin/plugins", "/admin/logout", nil); p.status != http.StatusSeeOther {
		t.Fatalf("logout: %d", p.status)
	}
	replay := newBrowser(t, srv.URL)
	replay.setCookie(old)
	if p := replay.get("/admin/plugins"); p.status != http.StatusSeeOther {
		t.Errorf("the old session cookie still works after logout: %d", p.status)
	}
}

func TestCSRF(t *testing.T) {
	srv, fp := adminServer(t, admin.Config{})
	b := newBrowser(t, srv.URL)

	// The login form itself needs the token.
	b.get("/admin/login")
	if p := b.post("/admin/login", url.Values{"username": {testUser}, "password": {testPassword}}); p.status != http.StatusForbidden {
		t.Fatalf("login without CSRF token: %d, want 403", p.status)
	}

	b.login()
	info, _ := fp.Install(pluginXML("Roster Sync", ""))
	fp.SetEnabled(info.ID, true)
	for name, form := range map[string]url.Values{
		"missing": {},
		"wrong":   {"csrf_token": {"AAAAAAAAAAAAAAAAAAAAAAAAAA"}},
	} {
		p := b.post("/admin/plugins/1/disable", form)
		if p.status != http.StatusForbidden || !strings.Contains(p.body, "did not carry a valid security token") {
			t.Errorf("%s token: %d, want 403 with an explanation", name, p.status)
		}
	}
	if got, _ := fp.Get(info.ID); !got.Enabled {
		t.Fatal("a POST without a valid CSRF token disabled the plugin")
	}
	// Another session's token is refused as well.
	other := newBrowser(t, srv.URL)
	other.login()
	if p := b.post("/admin/plugins/1/disable", url.Values{"csrf_token": {other.csrf("/admin/plugins")}}); p.status != http.StatusForbidden {
		t.Errorf("another session's token: %d, want 403", p.status)
	}
	if p := b.postForm("/admin/plugins/1/disable", "/admin/plugins/1/disable", nil); p.status != http.StatusSeeOther {
		t.Fatalf("disable with the token: %d", p.status)
	}
	if got, _ := fp.Get(info.ID); got.Enabled {
		t.Fatal("disable did not take effect")
	}
	if p := b.get("/admin/plugins"); !strings.Contains(p.body, "is disabled") || strings.Contains(p.body, " checked") {
		t.Error("the list does not show the plugin as disabled with a notice")
	}
}

func TestInstallShowsValidationProblems(t *testing.T) {
	srv, fp := adminServer(t, admin.Config{})
	b := newBrowser(t, srv.URL)
	b.login()

	bad := pluginXML("Roster Sync", `  <registration url="ftp://vendor.test/register"/>`)
	p := b.upload("plugin.xml", bad)
	if p.status != http.StatusUnprocessableEntity {
		t.Fatalf("install with errors: %d, want 422", p.status)
	}
	for _, want := range []string{"was not installed", "5:3", "registration url", "must be an absolute https:// URL"} {
		if !strings.Contains(p.body, want) {
			t.Errorf("page lacks %q:\n%s", want, p.body)
		}
	}
	if len(fp.List()) != 0 {
		t.Fatal("a plugin with errors was installed")
	}

	p = b.upload("broken.xml", []byte("<plugin name=\"x\">\n  <oauth>\n</plugin>"))
	if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, "broken.xml cannot be installed") || !strings.Contains(p.body, "line 3, column 10") {
		t.Errorf("malformed XML: %d, want 422 naming the line:\n%s", p.status, p.body)
	}

	p = b.upload("plugin.xml", pluginXML("Roster Sync", ""))
	if p.status != http.StatusSeeOther || p.location != "/admin/plugins" {
		t.Fatalf("valid install: %d to %q, want the Plugin Management Dashboard", p.status, p.location)
	}
	if got := b.get(p.location); !strings.Contains(got.body, `"Roster Sync" 1.2.0 was installed. It is not enabled yet`) {
		t.Errorf("dashboard lacks the install notice:\n%s", got.body)
	}
	if p := b.upload("plugin.xml", pluginXML("Roster Sync", "")); p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, "already installed") {
		t.Errorf("duplicate install: %d, want the store's refusal shown", p.status)
	}
}

// listener is a vendor-side registration endpoint running the same
// register.Handler that `psctl register listen` runs.
type listener struct {
	mu  sync.Mutex
	got []plugin.RegistrationRequest
	srv *httptest.Server
}

func newListener(t *testing.T) *listener {
	l := &listener{}
	h := &register.Handler{Save: func(_ context.Context, req plugin.RegistrationRequest) error {
		l.mu.Lock()
		defer l.mu.Unlock()
		l.got = append(l.got, req)
		return nil
	}}
	l.srv = httptest.NewServer(h)
	t.Cleanup(l.srv.Close)
	return l
}

func (l *listener) received() []plugin.RegistrationRequest {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]plugin.RegistrationRequest(nil), l.got...)
}

func TestRegistration(t *testing.T) {
	l := newListener(t)
	srv, fp := adminServer(t, admin.Config{ServerURL: func() string { return "https://district.example.net/" }})
	b := newBrowser(t, srv.URL)
	b.login()

	xml := pluginXML("Roster Sync", `  <registration url="`+l.srv.URL+`/register"><callback-data>licence-42</callback-data></registration>`)
	p := b.upload("plugin.xml", xml)
	if p.status != http.StatusSeeOther || p.location != "/admin/plugins/1/registration" {
		t.Fatalf("install of a plugin with <registration>: %d to %q, want the Plugin Registration dialog", p.status, p.location)
	}
	creds, _ := fp.Credentials(1)
	dialog := b.get(p.location)
	// PowerSchool's pop-up shows both, for the admin to copy.
	for _, want := range []string{`id="registration-dialog"`, "Plugin Registration", l.srv.URL + "/register", "https://district.example.net", "Roster Sync",
		creds.ClientID, creds.ClientSecret, "licence-42", `id="register"`} {
		if !strings.Contains(dialog.body, want) {
			t.Errorf("dialog lacks %q", want)
		}
	}
	if len(l.received()) != 0 {
		t.Fatal("something was sent before Register was pressed")
	}

	res := b.postForm(p.location, p.location, url.Values{"action": {"register"}})
	if !strings.Contains(res.body, `id="registration-results"`) || !strings.Contains(res.body, "Registration Results") ||
		!strings.Contains(res.body, "(HTTP 200, status \"registered\")") || !strings.Contains(res.body, `href="/admin/plugins" class="button" id="ok">OK<`) {
		t.Fatalf("Registration Results window:\n%s", res.body)
	}
	got := l.received()
	want := plugin.RegistrationRequest{ServerURL: "https://district.example.net", PluginName: "Roster Sync", PluginVersion: "1.2.0", PluginID: "1",
		ClientID: creds.ClientID, ClientSecret: creds.ClientSecret, CallbackData: "licence-42"}
	if len(got) != 1 || got[0].ServerURL != want.ServerURL || got[0].ClientID != want.ClientID || got[0].ClientSecret != want.ClientSecret ||
		got[0].PluginID != want.PluginID || got[0].PluginName != want.PluginName || got[0].CallbackData != want.CallbackData || got[0].PluginVersion != want.PluginVersion {
		t.Fatalf("listener received %v, want %v", got, want)
	}

	// Cancel sends nothing and shows the credentials for a manual hand-over.
	hand := b.postForm(p.location, p.location, url.Values{"action": {"cancel"}})
	if !strings.Contains(hand.body, creds.ClientSecret) || !strings.Contains(hand.body, "Nothing was sent") {
		t.Errorf("hand-over page lacks the credentials")
	}
	if len(l.received()) != 1 {
		t.Error("Cancel sent a registration")
	}
}

func TestRegistrationRefusedIsShown(t *testing.T) {
	vendor := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnprocessableEntity)
		w.Write([]byte(`{"error":"unknown licence key"}`))
	}))
	t.Cleanup(vendor.Close)
	srv, _ := adminServer(t, admin.Config{})
	b := newBrowser(t, srv.URL)
	b.login()
	b.upload("plugin.xml", pluginXML("Roster Sync", `<registration url="`+vendor.URL+`"/>`))
	res := b.postForm("/admin/plugins/1/registration", "/admin/plugins/1/registration", url.Values{"action": {"register"}})
	if !strings.Contains(res.body, "refused the registration: HTTP 422: unknown licence key") || !strings.Contains(res.body, "Try again") {
		t.Errorf("refusal not shown:\n%s", res.body)
	}

	// An unreachable vendor is explained, with the way out.
	vendor.Close()
	res = b.postForm("/admin/plugins/1/registration", "/admin/plugins/1/registration", url.Values{"action": {"register"}})
	if !strings.Contains(res.body, "could not reach the registration server") || !strings.Contains(res.body, "press Cancel") {
		t.Errorf("unreachable vendor not explained:\n%s", res.body)
	}
}

func TestDataProviderShowsCredentials(t *testing.T) {
	srv, fp := adminServer(t, admin.Config{})
	b := newBrowser(t, srv.URL)
	b.login()
	fp.Install(pluginXML("Roster Sync", ""))
	creds, _ := fp.Credentials(1)

	p := b.get("/admin/plugins/1/data-provider")
	if p.status != http.StatusOK || !strings.Contains(p.body, creds.ClientID) || !strings.Contains(p.body, creds.ClientSecret) {
		t.Fatalf("data provider page: %d, want the Client ID and Client Secret", p.status)
	}
	if p.header.Get("Cache-Control") != "no-store" {
		t.Error("the page with the secret may be cached")
	}
	crumbs := `<a href="/admin/system">System</a> > <a href="/admin/system/settings">System Settings</a> > <a href="/admin/plugins">Plugin Management Configuration</a> > <a href="/admin/plugins/1">Roster Sync</a> > <span>Data Provider Configuration</span>`
	if !strings.Contains(p.body, crumbs) {
		t.Errorf("breadcrumbs are not PowerSchool's path; page:\n%s", p.body)
	}
	if !strings.Contains(p.body, `id="not-enabled"`) {
		t.Error("the page does not say the credentials wait for the plugin to be enabled")
	}
	// The Reveal button of earlier versions still answers, with the page.
	if r := b.post("/admin/plugins/1/data-provider/reveal", url.Values{}); r.status != http.StatusForbidden || strings.Contains(r.body, creds.ClientSecret) {
		t.Fatalf("reveal without CSRF token: %d", r.status)
	}
	if r := b.postForm("/admin/plugins/1/data-provider", "/admin/plugins/1/data-provider/reveal", nil); r.status != http.StatusOK || !strings.Contains(r.body, creds.ClientSecret) {
		t.Fatalf("reveal: %d", r.status)
	}
}

func TestDataProviderSettings(t *testing.T) {
	srv, fp := adminServer(t, admin.Config{})
	b := newBrowser(t, srv.URL)
	b.login()
	fp.Install(pluginXML("Roster Sync", ""))
	const page = "/admin/plugins/1/data-provider"

	p := b.postForm(page, page, url.Values{"access_level": {"FULL"}, "page_size.student_max_page_size": {"500"}, "page_size.school_max_page_size": {"50"}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("save: %d\n%s", p.status, p.body)
	}
	got, _ := fp.Get(1)
	if got.Settings.AccessLevelV1API != "FULL" || got.Settings.PageSizes[0].Max != 500 || got.Settings.PageSizes[1].Max != 50 {
		t.Fatalf("settings saved as %+v", got.Settings)
	}
	if after := b.get(page); !strings.Contains(after.body, "saved") || !strings.Contains(after.body, `value="500"`) || !strings.Contains(after.body, `value="FULL" selected`) {
		t.Error("the page does not show the saved settings")
	}

	p = b.postForm(page, page, url.Values{"access_level": {"ADMIN"}, "page_size.student_max_page_size": {"0"}, "page_size.school_max_page_size": {"ten"}})
	if p.status != http.StatusBadRequest {
		t.Fatalf("invalid settings: %d, want 400", p.status)
	}
	for _, want := range []string{"Nothing was saved", `access level "ADMIN"`, `student_max_page_size must be a whole number`, `not "ten"`} {
		if !strings.Contains(p.body, want) {
			t.Errorf("error page lacks %q", want)
		}
	}
	if again, _ := fp.Get(1); again.Settings.AccessLevelV1API != "FULL" {
		t.Error("invalid settings were partly saved")
	}
}

func TestRegenerateNeedsConfirmation(t *testing.T) {
	srv, fp := adminServer(t, admin.Config{})
	b := newBrowser(t, srv.URL)
	b.login()
	fp.Install(pluginXML("Roster Sync", ""))
	before, _ := fp.Credentials(1)
	const confirm = "/admin/plugins/1/regenerate"

	if p := b.postForm(confirm, confirm, nil); p.status != http.StatusSeeOther || p.location != confirm {
		t.Fatalf("regenerate without confirm: %d to %q, want the confirmation page", p.status, p.location)
	}
	if now, _ := fp.Credentials(1); now != before {
		t.Fatal("credentials changed without confirmation")
	}
	c := b.get(confirm)
	if !strings.Contains(c.body, "stop working at once") || !strings.Contains(c.body, `name="confirm" value="yes"`) {
		t.Fatalf("confirmation page:\n%s", c.body)
	}
	p := b.postForm(confirm, confirm, url.Values{"confirm": {"yes"}})
	if p.status != http.StatusSeeOther || p.location != "/admin/plugins/1/data-provider" {
		t.Fatalf("regenerate: %d to %q", p.status, p.location)
	}
	after, _ := fp.Credentials(1)
	if after == before {
		t.Fatal("credentials did not change")
	}
	if dp := b.get(p.location); !strings.Contains(dp.body, after.ClientID) || !strings.Contains(dp.body, "no longer work") {
		t.Error("the data provider page does not show the new client id and notice")
	}
}

func TestDeleteAndUnknownPlugin(t *testing.T) {
	srv, fp := adminServer(t, admin.Config{})
	b := newBrowser(t, srv.URL)
	b.login()
	fp.Install(pluginXML("Roster Sync", ""))
	if p := b.get("/admin/plugins/1/delete"); !strings.Contains(p.body, "Delete the plugin") {
		t.Fatal("no delete confirmation")
	}
	if p := b.postForm("/admin/plugins/1/delete", "/admin/plugins/1/delete", nil); p.status != http.StatusSeeOther {
		t.Fatalf("delete: %d", p.status)
	}
	if len(fp.List()) != 0 {
		t.Fatal("plugin not deleted")
	}
	if p := b.get("/admin/plugins"); !strings.Contains(p.body, "was deleted") || !strings.Contains(p.body, "No plugins are installed") {
		t.Error("list does not confirm the deletion")
	}
	for _, path := range []string{"/admin/plugins/1", "/admin/plugins/abc/data-provider", "/admin/nowhere"} {
		if p := b.get(path); p.status != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", path, p.status)
		}
	}
	if p := b.get("/admin/logout"); p.status != http.StatusMethodNotAllowed {
		t.Errorf("GET /admin/logout: %d, want 405", p.status)
	}
}

func (b *browser) cookie() string {
	u, _ := url.Parse(b.base + "/admin/")
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == "pskit_admin_session" {
			return c.Value
		}
	}
	return ""
}

func (b *browser) setCookie(v string) {
	u, _ := url.Parse(b.base + "/admin/")
	b.c.Jar.SetCookies(u, []*http.Cookie{{Name: "pskit_admin_session", Value: v, Path: "/admin/"}})
}

func TestLoginThrottlesGuessing(t *testing.T) {
	now := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	srv, _ := adminServer(t, admin.Config{Now: clock})
	b := newBrowser(t, srv.URL)
	wrong := url.Values{"username": {testUser}, "password": {"guess"}}
	for i := range 10 {
		if p := b.postForm("/admin/login", "/admin/login", wrong); p.status != http.StatusUnauthorized {
			t.Fatalf("failed attempt %d: %d, want 401", i+1, p.status)
		}
	}
	right := url.Values{"username": {testUser}, "password": {testPassword}}
	if p := b.postForm("/admin/login", "/admin/login", right); p.status != http.StatusTooManyRequests || !strings.Contains(p.body, "Wait a minute") {
		t.Fatalf("after 10 failures: %d, want 429 with advice", p.status)
	}
	mu.Lock()
	now = now.Add(time.Minute)
	mu.Unlock()
	if p := b.postForm("/admin/login", "/admin/login", right); p.status != http.StatusSeeOther {
		t.Fatalf("a minute later: %d, want the login to work", p.status)
	}
}
