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
	"github.com/pskit/pskit/plugin"
)

func TestEnvName(t *testing.T) {
	req := plugin.RegistrationRequest{PluginName: "Roster Sync!", ServerURL: "https://District.PowerSchool.com:8443/ps"}
	if got := EnvName("reg-", req); got != "reg-roster-sync-district-powerschool-com-8443" {
		t.Errorf("EnvName = %q", got)
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
	o := &ListenOptions{IO: ios, Factory: f, Addr: "127.0.0.1:0", Path: "/register", Prefix: "d-", Ready: func(a string) { addrc <- a }}
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
	resp, err := http.Post("http://"+addr+"/register", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d\n%s", resp.StatusCode, errOut)
	}

	// A separate Factory reads what was saved, as a later psctl run would.
	f2 := &cmdutil.Factory{IOStreams: ios, Getenv: f.Getenv}
	f2.Flags.Env = "d-roster-sync-127-0-0-1-9"
	target, err := f2.Resolve()
	if err != nil {
		t.Fatalf("resolve the saved environment: %v", err)
	}
	if target.URL != "http://127.0.0.1:9" || target.ClientID != "cid" || target.Secret != secret {
		t.Errorf("saved target: url %q client %q secret ok %v", target.URL, target.ClientID, target.Secret == secret)
	}

	// Incomplete: refused, nothing saved.
	resp, err = http.Post("http://"+addr+"/register", "application/json", strings.NewReader(`{"client_secret":"x"}`))
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
	if !strings.Contains(errOut.String(), `as environment "d-roster-sync-127-0-0-1-9"`) {
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
