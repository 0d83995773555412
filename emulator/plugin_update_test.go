package emulator

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// versioned is DefaultPlugin renamed and at another version.
func versioned(name, version string) string {
	xml := strings.Replace(string(DefaultPlugin), "pskit Example Plugin", name, 1)
	return strings.Replace(xml, `version="1.0.0"`, `version="`+version+`"`, 1)
}

func TestInstallNewerVersionUpdatesInPlace(t *testing.T) {
	db := filepath.Join(t.TempDir(), "district.db")
	s, _ := start(t, Options{Students: 5, DBPath: db})
	base := s.URL() + "/emulator"
	a := request(t, "POST", base+"/plugins", versioned("Roster Sync", "1.2.0"), "Content-Type", "application/xml")
	if a.status != 201 {
		t.Fatalf("install 1.2.0: %d %s", a.status, a.body)
	}
	var c Credentials
	json.Unmarshal(a.body, &c)
	tok := token(t, c)

	newer := strings.Replace(versioned("Roster Sync", "1.10.0"), `accessLevelV1Api="READ"`, `accessLevelV1Api="FULL"`, 1)
	a = request(t, "POST", base+"/plugins", newer, "Content-Type", "application/xml")
	if a.status != 200 {
		t.Fatalf("install 1.10.0 over 1.2.0: %d %s, want 200 (updated in place)", a.status, a.body)
	}
	var after Credentials
	json.Unmarshal(a.body, &after)
	if after != c {
		t.Fatalf("the update changed the credentials: %v, want %v", after, c)
	}
	if a := get(t, s.URL(), "/ws/v1/district/student/count", tok); a.status != 200 {
		t.Fatalf("the token issued before the update: %d %s", a.status, a.body)
	}
	if got := token(t, c); got != tok {
		t.Error("the update did not keep the plugin's token")
	}
	var info PluginInfo
	for _, p := range s.Plugins() {
		if p.Name == "Roster Sync" {
			info = p
		}
	}
	if info.ID != c.PluginID || info.Version != "1.10.0" || info.AccessLevelV1API != "FULL" || !info.Enabled || len(s.Plugins()) != 2 {
		t.Fatalf("after the update: %+v among %d plugins", info, len(s.Plugins()))
	}

	for _, tc := range []struct{ version, want string }{
		{"1.10.0", "already installed"},
		{"1.10", "already installed"},
		{"1.9.9", "delete the installed plugin first"},
	} {
		a := request(t, "POST", base+"/plugins", versioned("Roster Sync", tc.version), "Content-Type", "application/xml")
		if a.status != 400 || !strings.Contains(a.json(t)["message"].(string), tc.want) {
			t.Errorf("install %s over 1.10.0: %d %s, want 400 saying %q", tc.version, a.status, a.body, tc.want)
		}
	}

	// A disabled plugin stays disabled through an update, and the update
	// outlives a restart.
	if err := s.DisablePlugin(c.PluginID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.InstallPlugin([]byte(versioned("Roster Sync", "2.0"))); err != nil {
		t.Fatal(err)
	}
	if cfg, _ := s.PluginConfig(c.PluginID); cfg.Enabled {
		t.Error("an update enabled a disabled plugin")
	}
	s.Close()
	again, err := Start(context.Background(), Options{Students: 5, DBPath: db})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { again.Close() })
	got, err := again.PluginCredentials(c.PluginID)
	if err != nil || got.ClientID != c.ClientID || got.ClientSecret != c.ClientSecret {
		t.Fatalf("credentials after restart: %v %v", got, err)
	}
	for _, p := range again.Plugins() {
		if p.ID == c.PluginID && (p.Version != "2.0" || p.Enabled) {
			t.Errorf("after restart: version %q enabled %v, want 2.0 disabled", p.Version, p.Enabled)
		}
	}
}

func TestUpdateGainingAndLosingOAuth(t *testing.T) {
	s, _ := start(t, Options{Students: 5})
	noOAuth := func(version string) []byte {
		return []byte(strings.Replace(versioned("Links Only", version), `<oauth accessLevelV1Api="READ"/>`, "", 1))
	}
	c, err := s.InstallPlugin(noOAuth("1.0"))
	if err != nil || c.ClientID != "" {
		t.Fatalf("install without <oauth>: %v %v", c, err)
	}
	c, err = s.InstallPlugin([]byte(versioned("Links Only", "1.1")))
	if err != nil || len(c.ClientID) != 36 {
		t.Fatalf("update gaining <oauth>: %v %v", c, err)
	}
	token(t, c)
	if _, err := s.InstallPlugin(noOAuth("1.2")); err != nil {
		t.Fatal(err)
	}
	if a := tokenRequest(t, c.URL, "/oauth/access_token", c.ClientID, c.ClientSecret); a.status != 401 {
		t.Fatalf("credentials of a plugin updated to one without <oauth>: %d, want 401", a.status)
	}
}

func TestControlInstallNotEnabled(t *testing.T) {
	s, _ := start(t, Options{Students: 5})
	base := s.URL() + "/emulator"
	a := request(t, "POST", base+"/plugins?enabled=false", versioned("Waits", "1.0"), "Content-Type", "application/xml")
	if a.status != 201 {
		t.Fatalf("install enabled=false: %d %s", a.status, a.body)
	}
	var c Credentials
	json.Unmarshal(a.body, &c)
	if a := tokenRequest(t, c.URL, "/oauth/access_token", c.ClientID, c.ClientSecret); a.status != 401 || a.json(t)["error"] != "invalid_client" {
		t.Fatalf("token for a plugin not yet enabled: %d %s, want 401 invalid_client", a.status, a.body)
	}
	if a := request(t, "POST", base+"/plugins/"+jsonNumber(c.PluginID)+"/enable", "", "Content-Type", "application/json"); a.status != 204 {
		t.Fatalf("enable: %d %s", a.status, a.body)
	}
	token(t, c)
	if a := request(t, "POST", base+"/plugins?enabled=maybe", versioned("Other", "1.0"), "Content-Type", "application/xml"); a.status != 400 || !strings.Contains(string(a.body), "enabled=false") {
		t.Fatalf("enabled=maybe: %d %s", a.status, a.body)
	}
	// Without the parameter the control surface still installs enabled.
	a = request(t, "POST", base+"/plugins", versioned("Default", "1.0"), "Content-Type", "application/xml")
	json.Unmarshal(a.body, &c)
	token(t, c)
}

func TestCompareVersions(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"1.0.0", "1.0.0", 0},
		{"1.2", "1.2.0", 0},
		{"1.10.0", "1.9.9", 1},
		{"2", "1.99", 1},
		{"1.0.0", "1.0.1", -1},
		{"1.0", "1.0.beta", 1},
		{"1.0.beta", "1.0.alpha", 1},
		{"", "0", 0},
		{"", "0.1", -1},
	} {
		if got := compareVersions(tc.a, tc.b); got != tc.want {
			t.Errorf("compareVersions(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}

func FuzzCompareVersions(f *testing.F) {
	for _, s := range [][2]string{{"1.0.0", "1.0"}, {"1.10", "1.9"}, {"1.a", "1.0"}, {"", "."}, {"18446744073709551616", "1"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		ab, ba := compareVersions(a, b), compareVersions(b, a)
		if ab != -ba || ab < -1 || ab > 1 {
			t.Fatalf("compareVersions(%q, %q) = %d but the reverse is %d", a, b, ab, ba)
		}
		if compareVersions(a, a) != 0 {
			t.Fatalf("compareVersions(%q, itself) != 0", a)
		}
	})
}

func TestStartupPluginNewerVersionUpdatesReopenedDatabase(t *testing.T) {
	db := filepath.Join(t.TempDir(), "district.db")
	s, err := Start(context.Background(), Options{Students: 5, DBPath: db, Plugin: []byte(versioned("Startup", "1.0"))})
	if err != nil {
		t.Fatal(err)
	}
	c := s.Credentials()
	s.Close()
	for _, v := range []string{"1.1", "1.0"} {
		again, err := Start(context.Background(), Options{Students: 5, DBPath: db, Plugin: []byte(versioned("Startup", v))})
		if err != nil {
			t.Fatalf("reopen with version %s: %v", v, err)
		}
		got := again.Credentials()
		info := again.Plugins()
		again.Close()
		if got.ClientID != c.ClientID || got.ClientSecret != c.ClientSecret || len(info) != 1 || info[0].Version != "1.1" {
			t.Fatalf("reopened with version %s: %v, plugins %+v; want the same credentials at version 1.1", v, got, info)
		}
	}
}
