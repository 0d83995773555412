package cmdutil

import (
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pskit/pskit/internal/cli/iostreams"
	"github.com/pskit/pskit/internal/config"
	"github.com/pskit/pskit/internal/secrets"
)

func testFactory(t *testing.T, env map[string]string) *Factory {
	t.Helper()
	ios, _, _, _ := iostreams.Test()
	dir := t.TempDir()
	return &Factory{
		IOStreams: ios,
		Version:   "test",
		Getenv: func(k string) string {
			if k == config.EnvDir {
				return dir
			}
			return env[k]
		},
		SecretOptions: []secrets.Option{secrets.WithoutKeyring()},
	}
}

func TestResolve(t *testing.T) {
	f := testFactory(t, nil)
	if _, err := f.Resolve(); ExitCode(err) != ExitUsage || !strings.Contains(err.Error(), "env add") {
		t.Fatalf("no environment: %v", err)
	}
	if _, err := f.SaveEnvironment("dev", &config.Environment{URL: "https://dev.example/", ClientID: "id-dev"}, "sec-dev", SaveOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.SaveEnvironment("prod", &config.Environment{URL: "https://prod.example", ClientID: "id-prod", ReadOnly: true}, "sec-prod", SaveOptions{}); err != nil {
		t.Fatal(err)
	}
	tg, err := f.Resolve()
	if err != nil || tg.Name != "dev" || tg.URL != "https://dev.example" || tg.Secret != "sec-dev" {
		t.Fatalf("current (first added) = %+v, %v", tg, err)
	}
	f.Flags.Env = "prod"
	if tg, err := f.Resolve(); err != nil || tg.ClientID != "id-prod" || !tg.ReadOnly {
		t.Fatalf("--env prod = %+v, %v", tg, err)
	}
	f.Flags.Env = "nope"
	if _, err := f.Resolve(); err == nil || !strings.Contains(err.Error(), "dev, prod") {
		t.Fatalf("unknown env: %v", err)
	}
}

func TestResolveEnvVars(t *testing.T) {
	vars := map[string]string{EnvURL: "https://ci.example", EnvClientID: "ci-id"}
	f := testFactory(t, vars)
	_, err := f.Resolve()
	if ExitCode(err) != ExitUsage || !strings.Contains(err.Error(), "but PS_CLIENT_SECRET is not") {
		t.Fatalf("partial variables: %v", err)
	}
	vars[EnvSecret] = "ci-secret"
	tg, err := f.Resolve()
	if err != nil || tg.Name != "" || tg.URL != "https://ci.example" || tg.Secret != "ci-secret" || tg.SecretFrom.String() != "environment variable PS_CLIENT_SECRET" {
		t.Fatalf("variables alone = %+v, %v", tg, err)
	}
	// A complete set is used as a whole, over the current environment.
	if _, err := f.SaveEnvironment("dev", &config.Environment{URL: "https://dev.example", ClientID: "id-dev"}, "sec-dev", SaveOptions{Use: true}); err != nil {
		t.Fatal(err)
	}
	tg, err = f.Resolve()
	if err != nil || tg.Name != "" || tg.URL != "https://ci.example" || tg.ClientID != "ci-id" || tg.Secret != "ci-secret" {
		t.Fatalf("complete set over current = %+v, %v", tg, err)
	}
	// An explicit environment wins, with nothing taken from the variables.
	for _, how := range []string{"--env", "PSCTL_ENV"} {
		if how == "--env" {
			f.Flags.Env = "dev"
		} else {
			f.Flags.Env = ""
			vars[EnvSelect] = "dev"
		}
		tg, err = f.Resolve()
		if err != nil || tg.Name != "dev" || tg.URL != "https://dev.example" || tg.ClientID != "id-dev" || tg.Secret != "sec-dev" {
			t.Fatalf("%s dev with PS_* set = %+v, %v", how, tg, err)
		}
	}
	delete(vars, EnvSelect)
}

// PS_URL alone never combines with a stored environment's credentials: the
// stored secret only goes to the URL it was stored with.
func TestResolveNeverMixes(t *testing.T) {
	vars := map[string]string{}
	f := testFactory(t, vars)
	if _, err := f.SaveEnvironment("prod", &config.Environment{URL: "https://prod.example", ClientID: "id-prod"}, "sec-prod", SaveOptions{Use: true}); err != nil {
		t.Fatal(err)
	}
	for _, partial := range []map[string]string{
		{EnvURL: "https://other.example"},
		{EnvURL: "https://other.example", EnvClientID: "x"},
		{EnvSecret: "s"},
		{EnvClientID: "x"},
	} {
		clear(vars)
		maps.Copy(vars, partial)
		tg, err := f.Resolve()
		if err == nil {
			t.Fatalf("%v with stored current env resolved to %s with client %s", partial, tg.URL, tg.ClientID)
		}
		if ExitCode(err) != ExitUsage || !strings.Contains(err.Error(), "not") {
			t.Errorf("%v: %v", partial, err)
		}
		for k := range partial {
			if !strings.Contains(err.Error(), k) {
				t.Errorf("%v: error does not name %s: %v", partial, k, err)
			}
		}
	}
}

func TestCheckURL(t *testing.T) {
	for _, ok := range []string{"https://ps.example.org", "http://127.0.0.1:8080", "http://localhost:1", "http://[::1]:2"} {
		if err := CheckURL(ok, false); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []string{"ps.example.org", "ftp://x", "https://u:p@x", "http://ps.example.org"} {
		if err := CheckURL(bad, false); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
	if err := CheckURL("http://ps.example.org", true); err != nil {
		t.Errorf("--allow-http: %v", err)
	}
}

func TestConsoleLoggerRedacts(t *testing.T) {
	var b strings.Builder
	log := NewConsoleLogger(&b, []string{"s3cret-value"})
	log.With("env", "dev").Info("token request", "body", "client_secret=s3cret-value", "status", 200)
	got := b.String()
	if strings.Contains(got, "s3cret-value") || !strings.Contains(got, "[REDACTED]") {
		t.Errorf("log line not redacted: %q", got)
	}
	if !strings.HasPrefix(got, "* token request env=dev ") || !strings.Contains(got, "status=200") {
		t.Errorf("log line format: %q", got)
	}
}

// --timeout and an environment's timeout setting reach the target (and from
// there the SDK, through timeoutOptions); the flag wins.
func TestTimeoutSetting(t *testing.T) {
	f := testFactory(t, nil)
	if _, err := f.SaveEnvironment("slow", &config.Environment{URL: "https://slow.example", ClientID: "id", Timeout: 90 * time.Second}, "s", SaveOptions{}); err != nil {
		t.Fatal(err)
	}
	dir, _ := f.ConfigDir()
	data, _ := os.ReadFile(filepath.Join(dir, config.FileName))
	if !strings.Contains(string(data), "timeout: 1m30s") {
		t.Errorf("config.yml lacks the timeout in words:\n%s", data)
	}
	tg, err := f.Resolve()
	if err != nil || tg.Timeout != 90*time.Second {
		t.Fatalf("Resolve = %+v, %v; want timeout 90s", tg, err)
	}
	f.Flags.Timeout = 5 * time.Second
	if tg, _ := f.Resolve(); tg.Timeout != 5*time.Second {
		t.Errorf("--timeout 5s gave %v", tg.Timeout)
	}
	if _, err := config.Parse([]byte("environments:\n  x:\n    url: https://x\n    client_id: i\n    timeout: -1s\n"), "c.yml"); err == nil {
		t.Error("a negative timeout was accepted")
	}
}
