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
	if !strings.Contains(dialog.body, creds.ClientID) || strings.Contains(dialog.body, creds.ClientSecret) {
		t.Error("the dialog must show the client id and hide the secret")
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
	if c.AccessLevelV1API != "FULL" || c.PageSizes.Student != 250 || c.PageSizes.SchemaTableQuery != 1000 || c.PageSizes.Course != 100 || !c.Enabled {
		t.Errorf("emulator config after save: %+v", c)
	}

	if p := b.postForm("/admin/plugins", "/admin/plugins/1/disable", nil); p.status != http.StatusSeeOther {
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
