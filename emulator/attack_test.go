package emulator

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// The tests in this file are attacks on a running emulator, sent over
// plain HTTP as an attacker would send them.

// queryPlugin is a plugin granted only STUDENTS.DCID whose named queries
// run the given SQL, each declared as returning STUDENTS.DCID.
func queryPlugin(t *testing.T, name string, sqls map[string]string, grants ...string) []byte {
	t.Helper()
	var q strings.Builder
	q.WriteString("<queries>\n")
	for n, s := range sqls {
		fmt.Fprintf(&q, `<query name="org.example.pskit.attack.%s" coreTable="students" flattened="true">
<summary>%s</summary><columns><column column="STUDENTS.DCID">students.dcid</column></columns>
<sql><![CDATA[%s]]></sql></query>
`, n, n, s)
	}
	q.WriteString("</queries>\n")
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("plugin.xml")
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?>
<plugin xmlns="http://plugin.powerschool.pearson.com" name=%q version="1.0" description="attack">
  <oauth/>
  <publisher name="Mallory"><contact email="m@example.org"/></publisher>
  <access_request><field table="STUDENTS" field="DCID" access="ViewOnly"/>%s</access_request>
</plugin>`, name, fieldsXML(grants))
	w, _ = zw.Create("queries_root/attack.named_queries.xml")
	w.Write([]byte(q.String()))
	zw.Close()
	return buf.Bytes()
}

func fieldsXML(grants []string) string {
	var b strings.Builder
	for _, g := range grants {
		t, f, _ := strings.Cut(g, ".")
		fmt.Fprintf(&b, `<field table=%q field=%q access="ViewOnly"/>`, t, f)
	}
	return b.String()
}

func runQuery(t *testing.T, base, tok, name string) answer {
	t.Helper()
	return request(t, "POST", base+"/ws/schema/query/org.example.pskit.attack."+name, "{}",
		"Authorization", "Bearer "+tok, "Content-Type", "application/json", "Accept", "application/json")
}

func TestAttackPowerQueryReadsOnlyItsGrant(t *testing.T) {
	s, victim := start(t, Options{})
	dir := t.TempDir()
	attached := filepath.Join(dir, "pwned.db")
	attack := map[string]string{
		"ok":        `select s.dcid from students s order by s.dcid`,
		"secrets":   `select c.client_secret from emu_oauth_client c`,
		"tokens":    `select t.token from emu_access_token t`,
		"plugindef": `select p.name from plugindef p`,
		"master":    `select name from sqlite_master`,
		"pragma":    `select name from pragma_table_info('EMU_OAUTH_CLIENT')`,
		"cte":       `with x as (select client_secret from emu_oauth_client) select * from x`,
		"update":    `select s.dcid from students s; update students set last_name = 'PWNED'`,
		"attach":    `select s.dcid from students s; attach 'file:` + attached + `' as pwn`,
		"attach2":   `attach 'file:` + attached + `' as pwn`,
		// The statement closes the emulator's wrapping CTE, adds its own,
		// and opens a new CTE for the wrapper's tail.
		"update3":  `select s.dcid from students s) select c0 from pq; update students set last_name = 'PWNED'; with pq(c0) as (select 1`,
		"attach3":  `select s.dcid from students s) select c0 from pq; attach 'file:` + attached + `' as pwn; create table pwn.loot(a); with pq(c0) as (select 1`,
		"lastname": `select s.last_name from students s`,
		"count":    `select count(*) from cc`,
		"teachers": `select t.last_name from teachers t`,
		"where":    `select s.dcid from students s where s.last_name like 'A%'`,
	}
	c, err := s.InstallPlugin(queryPlugin(t, "Mallory", attack))
	if err != nil {
		t.Fatal(err)
	}
	tok := token(t, c)
	victimTok := token(t, victim)

	if a := runQuery(t, s.URL(), tok, "ok"); a.status != 200 {
		t.Fatalf("a query inside the grant: %d %s", a.status, a.body)
	}
	for _, name := range []string{"secrets", "tokens", "plugindef", "master", "pragma", "cte", "update", "attach", "attach2", "update3", "attach3"} {
		a := runQuery(t, s.URL(), tok, name)
		if a.status == 200 {
			t.Errorf("%s: HTTP 200, want a refusal; body %.300s", name, a.body)
		}
		for _, secret := range []string{victim.ClientSecret, c.ClientSecret, victimTok, tok} {
			if bytes.Contains(a.body, []byte(secret)) {
				t.Errorf("%s: the answer holds a secret or token", name)
			}
		}
		if bytes.Contains(a.body, []byte(`"EMU_OAUTH_CLIENT"`)) || bytes.Contains(a.body, []byte(`"sqlite_`)) {
			t.Errorf("%s: the answer lists the emulator's tables: %.300s", name, a.body)
		}
	}
	var pwned int
	if err := s.store.DB.QueryRow(`SELECT COUNT(*) FROM STUDENTS WHERE LAST_NAME = 'PWNED'`).Scan(&pwned); err != nil {
		t.Fatal(err)
	}
	if pwned != 0 {
		t.Errorf("a PowerQuery changed %d students", pwned)
	}
	if _, err := os.Stat(attached); !os.IsNotExist(err) {
		t.Errorf("a PowerQuery's ATTACH created %s (stat: %v)", attached, err)
	}
	// Columns read anywhere in the SQL (not only the declared ones) must be
	// granted: 403 in PowerSchool's shape, naming them.
	for name, field := range map[string]string{"lastname": "STUDENTS.LAST_NAME", "count": "CC.*", "teachers": "TEACHERS.LAST_NAME", "where": "STUDENTS.LAST_NAME"} {
		a := runQuery(t, s.URL(), tok, name)
		if a.status != http.StatusForbidden || !strings.Contains(string(a.body), field) || !strings.Contains(string(a.body), "missing_field_access") {
			t.Errorf("%s: HTTP %d %.300s; want 403 naming %s", name, a.status, a.body, field)
		}
	}
}

// A view's columns are granted by the view's name, as PowerSchool's
// TEACHERS view is.
func TestPowerQueryReadsAGrantedView(t *testing.T) {
	s, _ := start(t, Options{})
	c, err := s.InstallPlugin(queryPlugin(t, "Viewer", map[string]string{
		"teachers": `select t.last_name from teachers t where t.schoolid > 0 order by t.dcid`,
	}, "TEACHERS.DCID", "TEACHERS.LAST_NAME", "TEACHERS.SCHOOLID"))
	if err != nil {
		t.Fatal(err)
	}
	a := runQuery(t, s.URL(), token(t, c), "teachers")
	if a.status != 200 || !strings.Contains(string(a.body), `"students.dcid"`) {
		t.Fatalf("granted view: %d %.300s", a.status, a.body)
	}
}

// A page in the user's browser (or a DNS-rebinding host name) must not be
// able to drive the control surface.
func TestAttackControlSurfaceFromABrowser(t *testing.T) {
	s, _ := start(t, Options{})
	base := s.URL()
	port := base[strings.LastIndex(base, ":")+1:]
	evil := strings.Replace(string(DefaultPlugin), "pskit Example Plugin", "Evil", 1)
	installed := func() int { return len(s.Plugins()) }
	before := installed()

	// A cross-site form post: text/plain needs no CORS preflight.
	if a := request(t, "POST", base+"/emulator/plugins", evil, "Content-Type", "text/plain"); a.status != http.StatusUnsupportedMediaType {
		t.Errorf("text/plain install: %d %.200s", a.status, a.body)
	}
	if a := request(t, "POST", base+"/emulator/tokens/expire", "", "Content-Type", "application/x-www-form-urlencoded"); a.status != http.StatusUnsupportedMediaType {
		t.Errorf("form-encoded write: %d %.200s", a.status, a.body)
	}
	// A cross-origin fetch, even with a JSON type.
	if a := request(t, "PUT", base+"/emulator/faults", `{"fail_rate":1}`, "Content-Type", "application/json", "Origin", "http://evil.example"); a.status != http.StatusForbidden {
		t.Errorf("cross-origin write: %d %.200s", a.status, a.body)
	}
	if a := request(t, "POST", base+"/emulator/plugins", evil, "Content-Type", "application/xml", "Sec-Fetch-Site", "cross-site"); a.status != http.StatusForbidden {
		t.Errorf("cross-site install: %d %.200s", a.status, a.body)
	}
	// DNS rebinding: the browser thinks it talks to evil.example, whose
	// name now resolves to 127.0.0.1; reads are refused too.
	for _, r := range []struct{ method, path, body, ctype string }{
		{"POST", "/emulator/plugins", evil, "application/xml"},
		{"GET", "/emulator/plugins/1/credentials", "", ""},
		{"GET", "/admin/login", "", ""},
	} {
		req, _ := http.NewRequest(r.method, base+r.path, strings.NewReader(r.body))
		req.Host = "evil.example:" + port
		if r.ctype != "" {
			req.Header.Set("Content-Type", r.ctype)
		}
		if a := do(t, req); a.status != http.StatusMisdirectedRequest || bytes.Contains(a.body, []byte("client_secret")) {
			t.Errorf("%s %s with a rebound Host: %d %.200s", r.method, r.path, a.status, a.body)
		}
	}
	if got := installed(); got != before {
		t.Fatalf("the attacks installed %d plugin(s)", got-before)
	}
	if f := s.Faults(); f.FailRate != 0 {
		t.Fatalf("the attacks set faults: %+v", f)
	}

	// What psctl, the SDK and the emulator's own pages send still works.
	if a := request(t, "POST", base+"/emulator/plugins", evil, "Content-Type", "application/xml"); a.status != http.StatusCreated {
		t.Errorf("install as application/xml: %d %.200s", a.status, a.body)
	}
	if a := request(t, "PUT", base+"/emulator/faults", `{"latency":"1ms"}`, "Content-Type", "application/json", "Origin", base); a.status != 200 {
		t.Errorf("same-origin JSON write: %d %.200s", a.status, a.body)
	}
	localhost := strings.Replace(base, "127.0.0.1", "localhost", 1)
	if a := get(t, localhost, "/emulator/stats", ""); a.status != 200 {
		t.Errorf("Host localhost: %d", a.status)
	}
}

// A few KiB of zip inflating to 4 MiB of text split by comments used to
// cost minutes of CPU in the plugin.xml parser (each piece re-copied all
// the text before it). The install must now get its answer; the request's
// deadline is far above what a linear parse needs.
func TestAttackPluginTextBomb(t *testing.T) {
	s, _ := start(t, Options{})
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("plugin.xml")
	bomb := strings.Repeat("ab<!---->", (4<<20-len(DefaultPlugin)-64)/9)
	xml := strings.Replace(string(DefaultPlugin), "</plugin>", "<notes>"+bomb+"</notes></plugin>", 1)
	w.Write([]byte(xml))
	zw.Close()
	if buf.Len() > 32<<10 {
		t.Fatalf("the bomb is %d bytes; it should be small", buf.Len())
	}
	req, _ := http.NewRequest("POST", s.URL()+"/emulator/plugins", &buf)
	req.Header.Set("Content-Type", "application/zip")
	hc := &http.Client{Timeout: 30 * time.Second}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatalf("no answer to a %d-byte zip: %v", buf.Len(), err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("text bomb: HTTP %d", resp.StatusCode)
	}
}

// zipWithWeb is a plugin zip named name whose web_root holds size bytes
// that compress to almost nothing.
func zipWithWeb(t *testing.T, name string, size int) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("plugin.xml")
	w.Write([]byte(strings.Replace(string(DefaultPlugin), "pskit Example Plugin", name, 1)))
	w, _ = zw.Create("web_root/admin/big.html")
	chunk := bytes.Repeat([]byte{' '}, 1<<20)
	for n := 0; n < size; n += len(chunk) {
		w.Write(chunk[:min(len(chunk), size-n)])
	}
	zw.Close()
	return buf.Bytes()
}

// Small uploads that inflate to tens of MiB used to stay resident, and the
// number of plugins had no cap.
func TestAttackPluginMemory(t *testing.T) {
	s, _ := start(t, Options{MaxPlugins: 3})
	const inflated = 32 << 20
	for i := range 2 {
		body := zipWithWeb(t, fmt.Sprintf("Bloat %d", i), inflated)
		if a := request(t, "POST", s.URL()+"/emulator/plugins", string(body), "Content-Type", "application/zip"); a.status != http.StatusCreated {
			t.Fatalf("install %d: %d %.200s", i, a.status, a.body)
		}
	}
	s.mu.RLock()
	for _, p := range s.plugins {
		held := 0
		for _, f := range p.bundle.Files {
			held += len(f)
		}
		if held > 0 {
			t.Errorf("plugin %d keeps %d bytes of files in memory", p.id, held)
		}
	}
	s.mu.RUnlock()
	a := request(t, "POST", s.URL()+"/emulator/plugins", string(zipWithWeb(t, "One Too Many", 1)), "Content-Type", "application/zip")
	if a.status != http.StatusBadRequest || !strings.Contains(string(a.body), "limit") {
		t.Fatalf("plugin beyond the cap: %d %.200s", a.status, a.body)
	}
	if n := len(s.Plugins()); n != 3 {
		t.Fatalf("%d plugins installed, want the cap of 3", n)
	}
}

// adminClient is a browser on a given loopback address: its own cookies,
// no redirects followed.
type adminClient struct {
	t      *testing.T
	base   string
	hc     *http.Client
	cookie *http.Cookie
}

func newAdminClient(t *testing.T, base, localIP string) *adminClient {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(localIP)}, Timeout: 5 * time.Second}
	return &adminClient{t: t, base: base, hc: &http.Client{
		Timeout:       10 * time.Second,
		Transport:     &http.Transport{DialContext: d.DialContext},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

func (c *adminClient) do(method, path string, form url.Values) (int, string) {
	c.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, c.base+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if c.cookie != nil {
		req.AddCookie(c.cookie)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for _, ck := range resp.Cookies() {
		if ck.Name == "pskit_admin_session" {
			c.cookie = ck
		}
	}
	return resp.StatusCode, string(b)
}

var csrfRe = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// login signs in and returns the final status (303 on success).
func (c *adminClient) login(user, pass string) int {
	c.t.Helper()
	_, page := c.do("GET", "/admin/login", nil)
	m := csrfRe.FindStringSubmatch(page)
	if m == nil {
		c.t.Fatalf("no CSRF token on the login page")
	}
	st, _ := c.do("POST", "/admin/login", url.Values{"csrf_token": {m[1]}, "username": {user}, "password": {pass}, "next": {"/admin/plugins"}})
	return st
}

func TestAttackAnonymousSessionsDoNotEvictALogin(t *testing.T) {
	s, _ := start(t, Options{})
	user, pass := s.AdminLogin()
	admin := newAdminClient(t, s.URL(), "127.0.0.1")
	if st := admin.login(user, pass); st != http.StatusSeeOther {
		t.Fatalf("login: %d", st)
	}
	if st, _ := admin.do("GET", "/admin/plugins", nil); st != 200 {
		t.Fatalf("logged-in page: %d", st)
	}
	flood := &http.Client{Timeout: 10 * time.Second}
	for i := 0; i < 10050; i++ {
		resp, err := flood.Get(s.URL() + "/admin/login")
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	if st, _ := admin.do("GET", "/admin/plugins", nil); st != 200 {
		t.Fatalf("after 10,050 anonymous visits the administrator's session is gone: %d", st)
	}
}

func TestAttackLoginLockoutIsPerClient(t *testing.T) {
	s, _ := start(t, Options{})
	user, pass := s.AdminLogin()
	attacker := newAdminClient(t, s.URL(), "127.0.0.2")
	last := 0
	for range 12 {
		last = attacker.login(user, "guess")
	}
	if last != http.StatusTooManyRequests {
		t.Fatalf("the guessing client is not slowed down: %d", last)
	}
	admin := newAdminClient(t, s.URL(), "127.0.0.1")
	if st := admin.login(user, pass); st != http.StatusSeeOther {
		t.Fatalf("another client's failures locked the administrator out: %d", st)
	}
}

// Clients that send their body a byte at a time used to hold their
// connections forever. The server's timeouts are shortened here so the
// test need not wait a minute; each connection gets ten seconds to be
// closed by the server.
func TestAttackSlowBodyIsCutOff(t *testing.T) {
	s, err := New(Options{Students: 10})
	if err != nil {
		t.Fatal(err)
	}
	s.timeouts = timeouts{readHeader: 200 * time.Millisecond, read: 500 * time.Millisecond, write: 2 * time.Second, idle: 500 * time.Millisecond}
	if err := s.Listen(""); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	addr := strings.TrimPrefix(s.URL(), "http://")

	const conns = 5
	done := make(chan error, conns)
	for range conns {
		go func() {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				done <- err
				return
			}
			defer c.Close()
			fmt.Fprintf(c, "PUT /emulator/faults HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n", addr)
			closed := make(chan error, 1)
			go func() {
				// Drain whatever the server answers until it hangs up; a
				// read that times out means it never did.
				c.SetReadDeadline(time.Now().Add(10 * time.Second))
				_, err := io.Copy(io.Discard, c)
				var ne net.Error
				if errors.As(err, &ne) && ne.Timeout() {
					closed <- fmt.Errorf("the server kept a slow-body connection open")
					return
				}
				closed <- nil
			}()
			tick := time.NewTicker(50 * time.Millisecond)
			defer tick.Stop()
			for {
				select {
				case err := <-closed:
					done <- err
					return
				case <-tick.C:
					c.Write([]byte{' '}) // fails once the server has hung up
				}
			}
		}()
	}
	for range conns {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}
