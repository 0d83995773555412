package emulator

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestTrailingSlashIsTheSameResource(t *testing.T) {
	s, c := start(t, Options{Students: 50})
	tok := token(t, c)
	for _, p := range []string{
		"/ws/v1/district/school",
		"/ws/v1/district/student/count",
		"/ws/v1/metadata",
		"/ws/schema/table/students/count",
		"/ws/schema/area",
		"/ims/oneroster/v1p1/orgs",
	} {
		plain := get(t, s.URL(), p, tok)
		if plain.status != 200 {
			t.Fatalf("GET %s = %d %s", p, plain.status, plain.body)
		}
		slash := get(t, s.URL(), p+"/", tok)
		wantSame := p[:4] == "/ws/"
		if wantSame && (slash.status != 200 || string(slash.body) != string(plain.body)) {
			t.Errorf("GET %s/ = %d %s, want the same answer as without the slash", p, slash.status, slash.body)
		}
	}
	// A POST with the slash reaches the same handler too.
	req, _ := http.NewRequest("POST", s.URL()+"/ws/schema/query/com.pearson.core.student.student_dcid_id_map/", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	if a := do(t, req); a.status == 404 || a.status == 405 {
		t.Errorf("POST a PowerQuery with a trailing slash = %d %s", a.status, a.body)
	}
	// Unknown paths stay 404 with or without it.
	if a := get(t, s.URL(), "/ws/v1/nothing/", tok); a.status != 404 {
		t.Errorf("GET /ws/v1/nothing/ = %d, want 404", a.status)
	}
}

func TestSchemaAreas(t *testing.T) {
	s, c := start(t, Options{Students: 50})
	tok := token(t, c)
	a := get(t, s.URL(), "/ws/schema/area", tok)
	if a.status != 200 {
		t.Fatalf("GET /ws/schema/area = %d %s", a.status, a.body)
	}
	var areas struct {
		Areas []struct {
			Name   string `json:"name"`
			Tables int    `json:"tables"`
		} `json:"areas"`
	}
	if err := json.Unmarshal(a.body, &areas); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, ar := range areas.Areas {
		names = append(names, ar.Name)
		if ar.Tables <= 0 {
			t.Errorf("area %s lists %d tables", ar.Name, ar.Tables)
		}
	}
	for _, want := range []string{"District", "Students", "Staff", "Scheduling", "Gradebook", "Extensions"} {
		if !slices.Contains(names, want) {
			t.Errorf("areas %v lack %s", names, want)
		}
	}

	a = get(t, s.URL(), "/ws/schema/area/students/table", tok)
	if a.status != 200 {
		t.Fatalf("GET /ws/schema/area/students/table = %d %s", a.status, a.body)
	}
	var tables struct {
		Name   string `json:"name"`
		Tables []struct {
			Name      string `json:"name"`
			Extension bool   `json:"extension"`
		} `json:"tables"`
	}
	if err := json.Unmarshal(a.body, &tables); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, tb := range tables.Tables {
		got = append(got, tb.Name)
		if tb.Name == "STUDENTCOREFIELDS" && !tb.Extension {
			t.Errorf("STUDENTCOREFIELDS is an extension table")
		}
	}
	if tables.Name != "Students" || !slices.Contains(got, "STUDENTS") || !slices.Contains(got, "STUDENTCOREFIELDS") || slices.Contains(got, "USERS") {
		t.Errorf("students area = %s %v", tables.Name, got)
	}
	a = get(t, s.URL(), "/ws/schema/area/Extensions/table", tok)
	if a.status != 200 || !json.Valid(a.body) || !strings.Contains(string(a.body), `"U_STUDENTSUSERFIELDS"`) {
		t.Errorf("extensions area = %d %s", a.status, a.body)
	}
	if a := get(t, s.URL(), "/ws/schema/area/nowhere/table", tok); a.status != 404 || a.json(t)["message"] == "" {
		t.Errorf("unknown area = %d %s, want 404 with a message", a.status, a.body)
	}
	if a := get(t, s.URL(), "/ws/schema/area", ""); a.status != 401 {
		t.Errorf("no token = %d, want 401", a.status)
	}
}

func TestTLSServesHTTPSForLoopbackNames(t *testing.T) {
	s, c := start(t, Options{Students: 20, TLS: true})
	if !strings.HasPrefix(s.URL(), "https://127.0.0.1:") || c.URL != s.URL() {
		t.Fatalf("URL %q, credentials URL %q: want https://127.0.0.1:port for both", s.URL(), c.URL)
	}
	block, _ := pem.Decode(s.CACertPEM())
	if block == nil || block.Type != "CERTIFICATE" {
		t.Fatalf("CACertPEM is not a PEM certificate: %q", s.CACertPEM())
	}
	ca, err := x509.ParseCertificate(block.Bytes)
	if err != nil || !ca.IsCA {
		t.Fatalf("CA certificate: %v (IsCA %v)", err, ca != nil && ca.IsCA)
	}
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(s.URL(), "https://"))

	// A plain client that trusts only the written CA reaches every loopback
	// name; the token request and an API call work over it.
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(s.CACertPEM()) {
		t.Fatal("the CA PEM does not load into a pool")
	}
	trusting := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	for _, host := range []string{"127.0.0.1", "localhost"} {
		res, err := trusting.Get("https://" + net.JoinHostPort(host, port) + "/ws/v1/metadata")
		if err != nil {
			t.Fatalf("GET over https via %s: %v", host, err)
		}
		res.Body.Close()
		if res.StatusCode != 401 && res.StatusCode != 200 {
			t.Errorf("via %s: status %d", host, res.StatusCode)
		}
	}
	// ::1 is named in the certificate even where IPv6 loopback is missing.
	leaf := s.tls.config.Certificates[0].Leaf
	if leaf == nil {
		leaf, _ = x509.ParseCertificate(s.tls.config.Certificates[0].Certificate[0])
	}
	for _, h := range []string{"localhost", "127.0.0.1", "::1"} {
		if err := leaf.VerifyHostname(h); err != nil {
			t.Errorf("certificate does not cover %s: %v", h, err)
		}
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: pool, DNSName: "localhost"}); err != nil {
		t.Errorf("certificate does not chain to the CA: %v", err)
	}

	tok := func(cl *http.Client) (int, error) {
		req, _ := http.NewRequest("POST", s.URL()+"/oauth/access_token", strings.NewReader("grant_type=client_credentials"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(c.ClientID, c.ClientSecret)
		res, err := cl.Do(req)
		if err != nil {
			return 0, err
		}
		res.Body.Close()
		return res.StatusCode, nil
	}
	if code, err := tok(s.Client()); err != nil || code != 200 {
		t.Errorf("token over Server.Client: %d %v", code, err)
	}
	// A client that does not trust the CA is refused: the certificate is
	// not one any system trusts.
	var unknown x509.UnknownAuthorityError
	if _, err := tok(&http.Client{Timeout: 10 * time.Second}); !errors.As(err, &unknown) {
		t.Errorf("untrusting client: err %v, want an unknown-authority error", err)
	}
	// Plain http on the TLS port gets no API answer.
	res, err := http.Get("http://127.0.0.1:" + port + "/ws/v1/metadata")
	if err == nil {
		res.Body.Close()
		if res.StatusCode != http.StatusBadRequest {
			t.Errorf("plain http on the https port: status %d, want 400", res.StatusCode)
		}
	}
}

func TestWithoutTLSThereIsNoCA(t *testing.T) {
	s, _ := start(t, Options{Students: 20})
	if !strings.HasPrefix(s.URL(), "http://") || s.CACertPEM() != nil || s.CertPool() != nil {
		t.Errorf("plain server: URL %s, CA %q", s.URL(), s.CACertPEM())
	}
}

// A student created through POST /ws/v1/student has no web id and no
// middle name: its OneRoster user carries neither "username" nor
// "middleName", rather than empty strings.
func TestOneRosterUserOfAWrittenStudent(t *testing.T) {
	s, c := start(t, Options{Students: 40, Seed: 2, Plugin: schemaPluginZip(t)})
	tok := token(t, c)
	school := path(t, get(t, c.URL, "/ws/v1/district/school", tok).json(t), "schools", "school").([]any)[0].(map[string]any)["school_number"]
	body := fmt.Sprintf(`{"students":{"student":{"client_uid":"1","action":"INSERT","name":{"first_name":"Ada","last_name":"Quill"},
		"school_enrollment":{"grade_level":"7","entry_date":"2025-08-25","exit_date":"2026-06-05","school_number":%v,"enroll_status":"A"}}}}`, school)
	a := send(t, "POST", c.URL+"/ws/v1/student", tok, body)
	if a.status != 200 || !strings.Contains(string(a.body), `"status":"SUCCESS"`) {
		t.Fatalf("insert: %d %s", a.status, a.body)
	}
	id := fmt.Sprint(path(t, a.json(t), "results", "result", "success_message", "id"))
	u := get(t, s.URL(), "/ims/oneroster/v1p1/users/"+id, tok)
	if u.status != 200 {
		t.Fatalf("GET users/%s: %d %s", id, u.status, u.body)
	}
	user := path(t, u.json(t), "user").(map[string]any)
	if user["givenName"] != "Ada" {
		t.Fatalf("user %s = %v", id, user)
	}
	for _, k := range []string{"username", "middleName"} {
		if v, ok := user[k]; ok {
			t.Errorf("user %s carries %s = %q; want it left out", id, k, v)
		}
	}
}
