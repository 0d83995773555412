package admin_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/pskit/pskit/emulator"
)

// The admin pages mounted in a real emulator, over plain HTTP.
func emulatorAdmin(t *testing.T, opts emulator.Options) (*emulator.Server, *browser) {
	t.Helper()
	if opts.Students == 0 {
		opts.Students = 5
	}
	emu, err := emulator.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { emu.Close() })
	srv := httptest.NewServer(emu.Handler())
	t.Cleanup(srv.Close)
	return emu, newBrowser(t, srv.URL)
}

func TestEmulatorGeneratesAdminPassword(t *testing.T) {
	emu1, b := emulatorAdmin(t, emulator.Options{})
	emu2, _ := emulatorAdmin(t, emulator.Options{})
	user, pass := emu1.AdminLogin()
	_, pass2 := emu2.AdminLogin()
	if user != "admin" || len(pass) < 20 || pass == pass2 {
		t.Fatalf("generated login %q / %d characters (same as another server: %v)", user, len(pass), pass == pass2)
	}
	if p := b.get("/admin"); p.status/100 != 3 || p.location != "/admin/" {
		t.Errorf("GET /admin: %d to %q, want a redirect to /admin/", p.status, p.location)
	}
	token := b.csrf("/admin/login")
	p := b.post("/admin/login", url.Values{"csrf_token": {token}, "username": {user}, "password": {pass}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("login with the generated password: %d", p.status)
	}
	if p := b.get("/admin/plugins"); p.status != http.StatusOK || !strings.Contains(p.body, "No plugins are installed") {
		t.Errorf("plugin list: %d", p.status)
	}
}

func TestEmulatorAdminInstallAndSettings(t *testing.T) {
	emu, b := emulatorAdmin(t, emulator.Options{AdminUser: testUser, AdminPassword: testPassword})
	b.login()

	// http is accepted for a loopback registration URL only.
	p := b.upload("plugin.xml", pluginXML("Remote Vendor", `<registration url="http://vendor.example.com/register"/>`))
	if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, "must be an absolute https:// URL") {
		t.Fatalf("http registration URL off loopback: %d, want refused", p.status)
	}
	p = b.upload("plugin.xml", pluginXML("Local Vendor", `<registration url="http://127.0.0.1:8765/register"/>`))
	if p.status != http.StatusSeeOther || !strings.HasSuffix(p.location, "/registration") {
		t.Fatalf("http registration URL on loopback: %d to %q\n%s", p.status, p.location, p.body)
	}
	infos := emu.Plugins()
	if len(infos) != 1 {
		t.Fatalf("%d plugins installed, want 1", len(infos))
	}
	id := infos[0].ID
	creds, _ := emu.PluginCredentials(id)
	dialog := b.get(p.location)
	if !strings.Contains(dialog.body, creds.ClientID) || !strings.Contains(dialog.body, creds.ClientSecret) {
		t.Error("the Plugin Registration pop-up must show the Client ID and Client Secret")
	}

	dp := "/admin/plugins/1/data-provider"
	form := url.Values{"access_level": {"FULL"}}
	for _, name := range []string{"student", "school", "staff", "section", "section_enrollment", "course", "term", "schema_table_query"} {
		form.Set("page_size."+name+"_max_page_size", "100")
	}
	form.Set("page_size.student_max_page_size", "250")
	form.Set("page_size.schema_table_query_max_page_size", "1000")
	if p := b.postForm(dp, dp, form); p.status != http.StatusSeeOther {
		t.Fatalf("save settings: %d\n%s", p.status, p.body)
	}
	c, _ := emu.PluginConfig(id)
	if c.AccessLevelV1API != "FULL" || c.PageSizes.Student != 250 || c.PageSizes.SchemaTableQuery != 1000 || c.PageSizes.Course != 100 || c.Enabled {
		t.Errorf("emulator config after save: %+v", c)
	}

	if p := b.postForm("/admin/plugins/1/enable", "/admin/plugins/1/enable", nil); p.status != http.StatusSeeOther {
		t.Fatalf("enable: %d", p.status)
	}
	if code := tokenStatus(t, b.base, creds.ClientID, creds.ClientSecret); code != http.StatusOK {
		t.Errorf("token for the enabled plugin: %d, want 200", code)
	}
	if p := b.postForm("/admin/plugins/1/disable", "/admin/plugins/1/disable", nil); p.status != http.StatusSeeOther {
		t.Fatalf("disable: %d", p.status)
	}
	if c, _ := emu.PluginConfig(id); c.Enabled || c.PageSizes.Student != 250 {
		t.Errorf("after disable: %+v (settings must be kept)", c)
	}
	if code := tokenStatus(t, b.base, creds.ClientID, creds.ClientSecret); code != http.StatusUnauthorized {
		t.Errorf("token for a disabled plugin: %d, want 401", code)
	}
	if p := b.postForm("/admin/plugins/1/delete", "/admin/plugins/1/delete", nil); p.status != http.StatusSeeOther || len(emu.Plugins()) != 0 {
		t.Errorf("delete: %d, %d plugins left", p.status, len(emu.Plugins()))
	}
	if p := b.get(dp); p.status != http.StatusNotFound {
		t.Errorf("data provider page of a deleted plugin: %d, want 404", p.status)
	}
}

// TestEmulatorAdminDocumentedFlow walks, over plain HTTP against a real
// emulator, each step of PowerSchool's documented admin flow and checks the
// server side of it: the menus, Install leaving the plugin disabled, the
// Enable and Disable pop-ups, Data Provider Configuration, Regenerate, and
// installing a newer version over the installed one.
func TestEmulatorAdminDocumentedFlow(t *testing.T) {
	emu, b := emulatorAdmin(t, emulator.Options{AdminUser: testUser, AdminPassword: testPassword})
	b.login()

	// System > System Settings > Plugin Management Configuration, and the
	// newer System Management > Server > Plugin Configuration.
	for _, step := range []struct{ page, link string }{
		{"/admin/", `<a href="/admin/system" id="menu-system">System</a>`},
		{"/admin/", `<a href="/admin/system-management/server" id="menu-server">Server</a>`},
		{"/admin/system", `<a href="/admin/system/settings" id="system-settings-link">System Settings</a>`},
		{"/admin/system/settings", `<a href="/admin/plugins" id="plugin-management-link">Plugin Management Configuration</a>`},
		{"/admin/system-management/server", `<a href="/admin/plugins" id="plugin-configuration-link">Plugin Configuration</a>`},
	} {
		if p := b.get(step.page); p.status != http.StatusOK || !strings.Contains(p.body, step.link) {
			t.Errorf("%s: %d, want a link %s", step.page, p.status, step.link)
		}
	}

	// Install leaves the plugin installed but not enabled.
	xml := pluginXML("Roster Sync", `  <access_request><field table="STUDENTS" field="LASTFIRST" access="ViewOnly"/></access_request>`)
	p := b.upload("plugin.xml", xml)
	if p.status != http.StatusSeeOther || p.location != "/admin/plugins" {
		t.Fatalf("install: %d to %q, want the Plugin Management Dashboard", p.status, p.location)
	}
	c, _ := emu.PluginCredentials(1)
	if cfg, _ := emu.PluginConfig(1); cfg.Enabled {
		t.Fatal("Install from the admin pages enabled the plugin")
	}
	if code := tokenStatus(t, b.base, c.ClientID, c.ClientSecret); code != http.StatusUnauthorized {
		t.Fatalf("token before the plugin is enabled: %d, want 401", code)
	}
	dash := b.get("/admin/plugins")
	box := `<form method="get" action="/admin/plugins/1/enable" class="inline">
    <input type="checkbox" class="enable-toggle" id="enable-1" aria-label="Enable/Disable Roster Sync">`
	if !strings.Contains(dash.body, "not enabled yet") || !strings.Contains(dash.body, box) {
		t.Fatalf("dashboard after install lacks the notice or the unchecked Enable checkbox:\n%s", dash.body)
	}

	// The checkbox opens the Enable Plugin pop-up; its Enable button enables.
	pop := b.get("/admin/plugins/1/enable")
	for _, want := range []string{`id="enable-dialog"`, "Enable Plugin", "Data Access Requests", "<td>STUDENTS</td><td>LASTFIRST</td><td>ViewOnly</td>",
		`action="/admin/plugins/1/enable"`, `id="confirm-enable">Enable<`, `id="cancel">Cancel<`} {
		if !strings.Contains(pop.body, want) {
			t.Errorf("Enable Plugin pop-up lacks %q", want)
		}
	}
	if cfg, _ := emu.PluginConfig(1); cfg.Enabled {
		t.Fatal("opening the pop-up enabled the plugin")
	}
	if p := b.postForm("/admin/plugins/1/enable", "/admin/plugins/1/enable", nil); p.status != http.StatusSeeOther || p.location != "/admin/plugins" {
		t.Fatalf("Enable: %d to %q", p.status, p.location)
	}
	if code := tokenStatus(t, b.base, c.ClientID, c.ClientSecret); code != http.StatusOK {
		t.Fatalf("token once enabled: %d, want 200", code)
	}
	if p := b.get("/admin/plugins"); !strings.Contains(p.body, `aria-label="Enable/Disable Roster Sync" checked>`) || !strings.Contains(p.body, "is enabled") {
		t.Error("the dashboard does not show the plugin enabled")
	}
	if p := b.get("/admin/plugins/1/enable"); p.status != http.StatusSeeOther {
		t.Errorf("Enable pop-up of an enabled plugin: %d, want a redirect to the list", p.status)
	}

	// Disabling likewise: the pop-up, then Disable.
	pop = b.get("/admin/plugins/1/disable")
	if !strings.Contains(pop.body, `id="disable-dialog"`) || !strings.Contains(pop.body, `id="confirm-disable" class="danger">Disable<`) {
		t.Errorf("Disable Plugin pop-up:\n%s", pop.body)
	}
	if p := b.postForm("/admin/plugins/1/disable", "/admin/plugins/1/disable", nil); p.status != http.StatusSeeOther {
		t.Fatalf("Disable: %d", p.status)
	}
	if code := tokenStatus(t, b.base, c.ClientID, c.ClientSecret); code != http.StatusUnauthorized {
		t.Fatalf("token once disabled: %d, want 401", code)
	}
	b.postForm("/admin/plugins/1/enable", "/admin/plugins/1/enable", nil)

	// Data Provider Configuration > Regenerate > Confirm: the old pair is
	// refused at once, the new one works.
	dp := b.get("/admin/plugins/1/data-provider")
	if !strings.Contains(dp.body, c.ClientID) || !strings.Contains(dp.body, c.ClientSecret) || !strings.Contains(dp.body, "Regenerate Client ID and Secret") {
		t.Fatal("Data Provider Configuration lacks the credentials or the Regenerate link")
	}
	if pop := b.get("/admin/plugins/1/regenerate"); !strings.Contains(pop.body, `id="regenerate-dialog"`) || !strings.Contains(pop.body, ">Confirm Regenerate Client ID and Secret<") {
		t.Errorf("regenerate pop-up:\n%s", pop.body)
	}
	if p := b.postForm("/admin/plugins/1/regenerate", "/admin/plugins/1/regenerate", url.Values{"confirm": {"yes"}}); p.status != http.StatusSeeOther {
		t.Fatalf("Confirm Regenerate: %d", p.status)
	}
	fresh, _ := emu.PluginCredentials(1)
	if code := tokenStatus(t, b.base, c.ClientID, c.ClientSecret); code != http.StatusUnauthorized {
		t.Errorf("old pair after regenerate: %d, want 401", code)
	}
	if code := tokenStatus(t, b.base, fresh.ClientID, fresh.ClientSecret); code != http.StatusOK || fresh.ClientID == c.ClientID {
		t.Errorf("new pair after regenerate: %d", code)
	}

	// A newer version updates the plugin in place, credentials kept; the
	// same or an older version is refused.
	newer := []byte(strings.Replace(string(xml), `version="1.2.0"`, `version="1.3.0"`, 1))
	p = b.upload("plugin.xml", newer)
	if p.status != http.StatusSeeOther || p.location != "/admin/plugins" {
		t.Fatalf("install 1.3.0 over 1.2.0: %d to %q\n%s", p.status, p.location, p.body)
	}
	if dash := b.get("/admin/plugins"); !strings.Contains(dash.body, "updated from version 1.2.0 to 1.3.0") {
		t.Errorf("dashboard lacks the update notice:\n%s", dash.body)
	}
	after, _ := emu.PluginCredentials(1)
	if after != fresh || len(emu.Plugins()) != 1 || emu.Plugins()[0].Version != "1.3.0" {
		t.Fatalf("after the update: %v (was %v), %d plugins", after, fresh, len(emu.Plugins()))
	}
	if code := tokenStatus(t, b.base, after.ClientID, after.ClientSecret); code != http.StatusOK {
		t.Errorf("token after the update: %d, want 200 (still enabled, same credentials)", code)
	}
	for _, v := range []string{"1.3.0", "1.2.9"} {
		p := b.upload("plugin.xml", []byte(strings.Replace(string(xml), `version="1.2.0"`, `version="`+v+`"`, 1)))
		if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, "was not installed") {
			t.Errorf("install %s over 1.3.0: %d, want 422", v, p.status)
		}
	}
}

func TestAdminScriptServed(t *testing.T) {
	_, b := emulatorAdmin(t, emulator.Options{AdminUser: testUser, AdminPassword: testPassword})
	p := b.get("/admin/static/admin.js")
	if p.status != http.StatusOK || !strings.Contains(p.header.Get("Content-Type"), "javascript") || !strings.Contains(p.body, "enable-toggle") {
		t.Fatalf("admin.js: %d %q", p.status, p.header.Get("Content-Type"))
	}
	if csp := p.header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("CSP %q must allow only the admin pages' own script", csp)
	}
}
