package emulator

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func request(t testing.TB, method, url, body string, hdr ...string) answer {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	return do(t, req)
}

func TestThrottle(t *testing.T) {
	clock := newClock()
	s, c := start(t, Options{Clock: clock.Now, MinInterval: 1500 * time.Millisecond})
	tok := token(t, c)
	if a := get(t, s.URL(), "/ws/v1/district", tok); a.status != 200 {
		t.Fatalf("first request: %d", a.status)
	}
	clock.Advance(200 * time.Millisecond)
	a := get(t, s.URL(), "/ws/v1/district", tok)
	if a.status != 429 || a.header.Get("Retry-After") != "2" || !strings.Contains(a.json(t)["message"].(string), "wait 2 seconds") {
		t.Fatalf("too soon: %d Retry-After=%q %s", a.status, a.header.Get("Retry-After"), a.body)
	}
	clock.Advance(1300 * time.Millisecond)
	if a := get(t, s.URL(), "/ws/v1/district", tok); a.status != 200 {
		t.Fatalf("after the interval: %d", a.status)
	}
	if st := s.Stats(); st.Throttled != 1 || st.Statuses[429] != 1 {
		t.Fatalf("stats: %+v", st)
	}
}

func TestFaults(t *testing.T) {
	s, c := start(t, Options{Seed: 3})
	tok := token(t, c)
	if err := s.SetFaults(Faults{FailRate: 1}); err != nil {
		t.Fatal(err)
	}
	for range 5 {
		a := get(t, s.URL(), "/ws/v1/district", tok)
		if a.status != 500 && a.status != 502 && a.status != 503 {
			t.Fatalf("fail rate 1: %d", a.status)
		}
	}
	if a := request(t, "GET", s.URL()+"/emulator/stats", ""); a.status != 200 {
		t.Fatalf("the control surface is exempt from faults: %d", a.status)
	}
	s.SetFaults(Faults{DropRate: 1})
	if _, err := http.Get(s.URL() + "/ws/v1/district"); err == nil {
		t.Fatal("drop rate 1: the request got an answer")
	}
	s.SetFaults(Faults{Latency: 30 * time.Millisecond})
	t0 := time.Now()
	if a := get(t, s.URL(), "/ws/v1/district", tok); a.status != 200 || time.Since(t0) < 30*time.Millisecond {
		t.Fatalf("latency: %d after %s", a.status, time.Since(t0))
	}
	if err := s.SetFaults(Faults{FailRate: 2}); err == nil {
		t.Fatal("fail rate 2 accepted")
	}
	if st := s.Stats(); st.Faults < 6 { // the client may retry a dropped GET once
		t.Fatalf("faults counted %d, want at least 6", st.Faults)
	}
}

func TestFaultsDeterministic(t *testing.T) {
	run := func() string {
		s, c := start(t, Options{Seed: 11, FailRate: 0.5})
		s.SetFaults(Faults{}) // token first, without faults
		tok := token(t, c)
		s.SetFaults(Faults{FailRate: 0.5})
		var b strings.Builder
		for range 20 {
			b.WriteString(http.StatusText(get(t, s.URL(), "/ws/v1/district", tok).status)[:1])
		}
		return b.String()
	}
	a, b := run(), run()
	if a != b || !strings.Contains(a, "O") || a == strings.Repeat("O", 20) {
		t.Fatalf("fault sequences %q and %q: want equal, mixed", a, b)
	}
}

func TestControlSurface(t *testing.T) {
	s, _ := start(t, Options{})
	base := s.URL() + "/emulator"
	xml := strings.Replace(string(DefaultPlugin), "pskit Example Plugin", "Installed Over HTTP", 1)
	a := request(t, "POST", base+"/plugins", xml, "Content-Type", "application/xml")
	if a.status != 201 {
		t.Fatalf("install: %d %s", a.status, a.body)
	}
	var c Credentials
	json.Unmarshal(a.body, &c)
	if c.PluginID == 0 || len(c.ClientID) != 36 || len(c.ClientSecret) != 36 || c.URL != s.URL() {
		t.Fatalf("credentials: %+v", c)
	}
	if a := request(t, "POST", base+"/plugins", xml, "Content-Type", "application/xml"); a.status != 400 || !strings.Contains(a.json(t)["message"].(string), "already installed") {
		t.Fatalf("duplicate name: %d %s", a.status, a.body)
	}
	noPub := strings.Replace(xml, `<publisher name="pskit"><contact email="dev@example.org"/></publisher>`, "", 1)
	if a := request(t, "POST", base+"/plugins", strings.Replace(noPub, "Installed Over HTTP", "No Publisher", 1), "Content-Type", "application/xml"); a.status != 400 || !strings.Contains(string(a.body), "publisher") {
		t.Fatalf("no publisher: %d %s", a.status, a.body)
	}
	tok := token(t, c)
	id := "/plugins/" + jsonNumber(c.PluginID)
	a = request(t, "POST", base+id+"/regenerate", "", "Content-Type", "application/json")
	var fresh Credentials
	json.Unmarshal(a.body, &fresh)
	if a.status != 200 || fresh.ClientID == c.ClientID {
		t.Fatalf("regenerate: %d %s", a.status, a.body)
	}
	if get(t, s.URL(), "/ws/v1/district", tok).status != 401 {
		t.Fatal("regenerate over HTTP left the old token working")
	}
	if a := request(t, "PUT", base+id, `{"min_interval":"2s","page_sizes":{"student_max_page_size":7}}`, "Content-Type", "application/json"); a.status != 200 ||
		path(t, a.json(t), "min_interval") != "2s" || path(t, a.json(t), "page_sizes", "student_max_page_size") != float64(7) {
		t.Fatalf("configure: %d %s", a.status, a.body)
	}
	tok = token(t, fresh)
	request(t, "POST", base+"/tokens/expire", "", "Content-Type", "application/json")
	if get(t, s.URL(), "/ws/v1/district", tok).status != 401 {
		t.Fatal("expire over HTTP left the token working")
	}
	if a := request(t, "PUT", base+"/faults", `{"latency":"1ms","fail_rate":0}`, "Content-Type", "application/json"); a.status != 200 || s.Faults().Latency != time.Millisecond {
		t.Fatalf("faults: %d %s", a.status, a.body)
	}
	if a := request(t, "PUT", base+"/faults", `{"latency":"soon"}`, "Content-Type", "application/json"); a.status != 400 {
		t.Fatalf("bad faults: %d", a.status)
	}
	stats := request(t, "GET", base+"/stats", "").json(t)
	if path(t, stats, "token_requests").(float64) != 2 || path(t, stats, "api_requests", "GET /ws/v1/district").(float64) < 2 {
		t.Fatalf("stats: %s", request(t, "GET", base+"/stats", "").body)
	}
	if a := request(t, "DELETE", base+id, "", "Content-Type", "application/json"); a.status != 204 {
		t.Fatalf("delete: %d", a.status)
	}
	if a := request(t, "POST", base+id+"/regenerate", "", "Content-Type", "application/json"); a.status != 404 {
		t.Fatalf("regenerate a deleted plugin: %d", a.status)
	}
	if a := tokenRequest(t, s.URL(), "/oauth/access_token", fresh.ClientID, fresh.ClientSecret); a.status != 401 {
		t.Fatalf("credentials of a deleted plugin: %d", a.status)
	}
}

func jsonNumber(n int) string { b, _ := json.Marshal(n); return string(b) }

func TestInstallZip(t *testing.T) {
	s, _ := start(t, Options{})
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("plugin.xml")
	w.Write([]byte(strings.Replace(string(DefaultPlugin), "pskit Example Plugin", "Zipped", 1)))
	w, _ = zw.Create("queries_root/zipped.named_queries.xml")
	w.Write([]byte(`<queries><query name="org.example.pskit.students.list" coreTable="students" flattened="true">
<summary>Students</summary><description>All students</description><columns><column column="STUDENTS.DCID">students.dcid</column></columns>
<sql><![CDATA[select students.dcid from students order by students.dcid]]></sql></query></queries>`))
	zw.Close()
	c, err := s.InstallPlugin(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if get(t, s.URL(), "/ws/v1/district", token(t, c)).status != 200 {
		t.Fatal("zip-installed plugin cannot read /ws/v1")
	}
	var info PluginInfo
	for _, p := range s.Plugins() {
		if p.ID == c.PluginID {
			info = p
		}
	}
	if info.Name != "Zipped" || info.QueryCount != 1 {
		t.Fatalf("plugin info: %+v", info)
	}
}

func TestAdminKeyAndBinding(t *testing.T) {
	if _, err := New(Options{Students: 10, AllowRemote: true}); err == nil {
		t.Fatal("remote access without an admin key was allowed")
	}
	s, err := New(Options{Students: 10})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Listen("0.0.0.0:0"); err == nil || !strings.Contains(err.Error(), "allow-remote") {
		t.Fatalf("binding all interfaces without --allow-remote: %v", err)
	}
	k, _ := start(t, Options{Students: 10, AdminKey: "k3y"})
	if a := request(t, "GET", k.URL()+"/emulator/stats", ""); a.status != 401 {
		t.Fatalf("control without the key: %d", a.status)
	}
	if a := request(t, "GET", k.URL()+"/emulator/stats", "", AdminKeyHeader, "k3y"); a.status != 200 {
		t.Fatalf("control with the key: %d", a.status)
	}
}

func TestPersistence(t *testing.T) {
	db := filepath.Join(t.TempDir(), "district.db")
	s, err := Start(context.Background(), Options{Students: 40, DBPath: db, Plugin: DefaultPlugin})
	if err != nil {
		t.Fatal(err)
	}
	c := s.Credentials()
	tok := token(t, c)
	s.Close()
	if fi, err := os.Stat(db); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("database file mode: %v %v", fi.Mode(), err)
	}
	again, c2 := start(t, Options{Students: 40, DBPath: db})
	if c2.ClientID != c.ClientID || c2.ClientSecret != c.ClientSecret || c2.PluginID != c.PluginID {
		t.Fatalf("credentials after restart: %v, want %v", c2, c)
	}
	if a := get(t, again.URL(), "/ws/v1/district/student/count", tok); a.status != 200 || count(t, a) != 40 {
		t.Fatalf("token and data after restart: %d %s", a.status, a.body)
	}
}

func TestWriteCredentials(t *testing.T) {
	p := filepath.Join(t.TempDir(), "creds.json")
	c := Credentials{URL: "http://127.0.0.1:1", ClientID: "id", ClientSecret: "secret", PluginID: 4}
	if err := WriteCredentials(p, c); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(p)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, %v; want 0600", fi.Mode(), err)
	}
	b, _ := os.ReadFile(p)
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil || m["url"] != c.URL || m["client_id"] != "id" || m["client_secret"] != "secret" || m["plugin_id"] != float64(4) {
		t.Fatalf("file: %s", b)
	}
	if strings.Contains(c.String(), "secret") && !strings.Contains(c.String(), "hidden") {
		t.Fatal("Credentials.String shows the secret")
	}
	if strings.Contains(strings.ReplaceAll(c.String(), "(secret hidden)", ""), "secret") {
		t.Fatal("Credentials.String shows the secret")
	}
}

// TestControlBodyCap: a JSON body over 1 MiB to the control surface is cut
// off and refused, not read whole.
func TestControlBodyCap(t *testing.T) {
	s, _ := start(t, Options{Students: 20})
	big := `{"latency":"` + strings.Repeat("1", 1<<20) + `ms"}`
	a := request(t, "PUT", s.URL()+"/emulator/faults", big, "Content-Type", "application/json")
	if a.status != 400 || !strings.Contains(a.json(t)["message"].(string), "request body too large") {
		t.Fatalf("oversized body: %d %.200s", a.status, a.body)
	}
	if s.Faults().Latency != 0 {
		t.Fatalf("faults changed by a refused body: %+v", s.Faults())
	}
}
