package register

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pskit/pskit/internal/cli/cmdutil"
	"github.com/pskit/pskit/internal/cli/iostreams"
	"github.com/pskit/pskit/internal/config"
	"github.com/pskit/pskit/plugin"
)

func TestEnvName(t *testing.T) {
	req := plugin.RegistrationRequest{PluginName: "Roster Sync!", ServerURL: "https://District.PowerSchool.com:8443/ps"}
	if got := EnvName("reg-", req); got != "reg-roster-sync_district.powerschool.com_3a8443" {
		t.Errorf("EnvName = %q", got)
	}
	// Hosts that differ only in '.' against '-' (or anything else) never
	// share a name.
	seen := map[string]string{}
	for _, host := range []string{"district.powerschool.com", "district-powerschool.com", "district_powerschool.com", "district.powerschool.com:443", "district.powerschool.com_3a443", "district.powerschool.co", "district.powerschool.com.", strings.Repeat("x", 80) + ".a", strings.Repeat("x", 80) + ".b"} {
		name := EnvName("", plugin.RegistrationRequest{PluginName: "P", ServerURL: "https://" + host})
		if other, ok := seen[name]; ok {
			t.Errorf("%s and %s both map to %s", host, other, name)
		}
		seen[name] = host
		if err := config.ValidateName(name); err != nil {
			t.Errorf("%s: %v", host, err)
		}
	}
}

func TestListenSavesEnvironment(t *testing.T) {
	dir := t.TempDir()
	ios, _, _, errOut := iostreams.Test()
	f := &cmdutil.Factory{IOStreams: ios, Version: "test", Getenv: func(k string) string {
		switch k {
		case "PSCTL_CONFIG_DIR":
			return filepath.Join(dir, "config")
		case cmdutil.EnvNoKeyring:
			return "1"
		}
		return ""
	}}
	ctx, cancel := context.WithCancel(context.Background())
	addrc := make(chan string, 1)
	done := make(chan error, 1)
	const token = "shared-token-0123456789"
	o := &ListenOptions{IO: ios, Factory: f, Addr: "127.0.0.1:0", Path: "/register", Prefix: "d-", Token: token, Ready: func(a string) { addrc <- a }}
	go func() { done <- runListen(ctx, o) }()
	var addr string
	select {
	case addr = <-addrc:
	case err := <-done:
		t.Fatalf("listen ended early: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("listen: %v", err)
		}
	})

	const secret = "cli-registration-secret"
	body, _ := json.Marshal(plugin.RegistrationRequest{ServerURL: "http://127.0.0.1:9", PluginName: "Roster Sync", PluginID: "3", ClientID: "cid", ClientSecret: secret})
	url := "http://" + addr + "/register/" + token
	// Without the token (or with a wrong one): refused, nothing saved.
	for _, bad := range []string{"http://" + addr + "/register", url + "x", "http://" + addr + "/register/shared-token-0123456788"} {
		resp, err := http.Post(bad, "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("POST %s: status %d, want 404", bad, resp.StatusCode)
		}
	}
	// A browser's form post (a web page the admin visits): refused.
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader("server_url=http://127.0.0.1:9&plugin_name=Roster+Sync&plugin_id=3&client_id=evil&client_secret=evil"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://evil.example")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("browser form post: status %d, want 403", resp.StatusCode)
	}
	if cfg, _ := config.Load(filepath.Join(dir, "config"), nil); len(cfg.Environments) != 0 {
		t.Fatalf("refused posts saved %v", cfg.Names())
	}

	resp, err = http.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d\n%s", resp.StatusCode, errOut)
	}

	// A separate Factory reads what was saved, as a later psctl run would.
	f2 := &cmdutil.Factory{IOStreams: ios, Getenv: f.Getenv}
	f2.Flags.Env = "d-roster-sync_127.0.0.1_3a9"
	target, err := f2.Resolve()
	if err != nil {
		t.Fatalf("resolve the saved environment: %v", err)
	}
	if target.URL != "http://127.0.0.1:9" || target.ClientID != "cid" || target.Secret != secret {
		t.Errorf("saved target: url %q client %q secret ok %v", target.URL, target.ClientID, target.Secret == secret)
	}

	// The same server and plugin with new credentials: replaced only with
	// --force, so here the old ones stay.
	body2, _ := json.Marshal(plugin.RegistrationRequest{ServerURL: "http://127.0.0.1:9", PluginName: "Roster Sync", PluginID: "3", ClientID: "cid2", ClientSecret: "other-secret"})
	resp, err = http.Post(url, "application/json", bytes.NewReader(body2))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		t.Error("a second registration replaced the environment without --force")
	}
	f3 := &cmdutil.Factory{IOStreams: ios, Getenv: f.Getenv}
	f3.Flags.Env = f2.Flags.Env
	if target, err := f3.Resolve(); err != nil || target.ClientID != "cid" || target.Secret != secret {
		t.Errorf("after a refused replacement: %+v, %v", target, err)
	}

	// Incomplete: refused, nothing saved.
	resp, err = http.Post(url, "application/json", strings.NewReader(`{"client_secret":"x"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("incomplete: status %d", resp.StatusCode)
	}
	if strings.Contains(errOut.String(), secret) {
		t.Errorf("stderr leaks the secret:\n%s", errOut)
	}
	if !strings.Contains(errOut.String(), `as environment "d-roster-sync_127.0.0.1_3a9"`) {
		t.Errorf("stderr: %s", errOut)
	}
}

func TestListenVerifyRefusesBadCredentials(t *testing.T) {
	// A server whose token endpoint refuses everything.
	ps := http.NewServeMux()
	ps.HandleFunc("/oauth/access_token", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		w.Write([]byte(`{"error":"invalid_client"}`))
	})
	psrv := newTestServer(t, ps)

	dir := t.TempDir()
	ios, _, _, errOut := iostreams.Test()
	f := &cmdutil.Factory{IOStreams: ios, Getenv: func(k string) string {
		if k == "PSCTL_CONFIG_DIR" {
			return filepath.Join(dir, "config")
		}
		if k == cmdutil.EnvNoKeyring {
			return "1"
		}
		return ""
	}}
	o := &ListenOptions{IO: ios, Factory: f}
	err := verify(context.Background(), o, plugin.RegistrationRequest{ServerURL: psrv, ClientID: "cid", ClientSecret: "verify-secret-xyz"})
	if err == nil {
		t.Fatal("verify accepted credentials the server refused")
	}
	if strings.Contains(err.Error(), "verify-secret-xyz") || strings.Contains(errOut.String(), "verify-secret-xyz") {
		t.Errorf("secret leaked: %v", err)
	}
}

// An environment of the same name for another URL is never replaced, even
// with --force.
func TestSaveNeverReplacesAnotherURL(t *testing.T) {
	dir := t.TempDir()
	ios, _, _, _ := iostreams.Test()
	f := &cmdutil.Factory{IOStreams: ios, Getenv: func(k string) string {
		switch k {
		case "PSCTL_CONFIG_DIR":
			return dir
		case cmdutil.EnvNoKeyring:
			return "1"
		}
		return ""
	}}
	req := plugin.RegistrationRequest{ServerURL: "http://127.0.0.1:9", PluginName: "P", ClientID: "a", ClientSecret: "s1"}
	name := EnvName("", req)
	if _, err := f.SaveEnvironment(name, &config.Environment{URL: "http://127.0.0.2:9", ClientID: "keep"}, "keep-secret", cmdutil.SaveOptions{}); err != nil {
		t.Fatal(err)
	}
	o := &ListenOptions{IO: ios, Factory: f, Force: true}
	if err := save(o, req); err == nil || !strings.Contains(err.Error(), "never replaced") {
		t.Fatalf("save over another URL: %v", err)
	}
	cfg, _ := config.Load(dir, nil)
	if e := cfg.Environments[name]; e.URL != "http://127.0.0.2:9" || e.ClientID != "keep" {
		t.Errorf("environment changed: %+v", e)
	}
}
