package config

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/oauth2"
)

func TestSaveLoadRoundTrip(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "psctl")
	cfg, err := Load(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Environments) != 0 || cfg.Current != "" {
		t.Fatalf("fresh config not empty: %+v", cfg)
	}
	if err := cfg.Set("dev", &Environment{URL: "https://dev.example.org", ClientID: "id1", SecretStore: SecretFile}); err != nil {
		t.Fatal(err)
	}
	if err := cfg.Set("prod", &Environment{URL: "https://ps.example.org", ClientID: "id2", ReadOnly: true}); err != nil {
		t.Fatal(err)
	}
	if err := cfg.Save(); err != nil {
		t.Fatal(err)
	}
	assertMode(t, dir, 0o700)
	assertMode(t, filepath.Join(dir, FileName), 0o600)

	got, err := Load(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.Current != "dev" {
		t.Errorf("current = %q, want dev (the first added)", got.Current)
	}
	if diff := cmp.Diff(cfg.Environments, got.Environments); diff != "" {
		t.Errorf("round trip (-saved +loaded):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"dev", "prod"}, got.Names()); diff != "" {
		t.Error(diff)
	}
	if err := got.Remove("dev"); err != nil {
		t.Fatal(err)
	}
	if got.Current != "" {
		t.Errorf("removing the current environment left current = %q", got.Current)
	}
	if _, err := got.Get("dev"); err == nil || !strings.Contains(err.Error(), "prod") {
		t.Errorf("Get of a removed env: err = %v, want one listing the known environments", err)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("temp file left behind: %s", e.Name())
		}
	}
}

func TestLoadFixesWidePermissions(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, FileName)
	if err := os.WriteFile(path, []byte("environments:\n  a:\n    url: https://a.example\n    client_id: x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	var warn bytes.Buffer
	if _, err := Load(dir, &warn); err != nil {
		t.Fatal(err)
	}
	assertMode(t, dir, 0o700)
	assertMode(t, path, 0o600)
	if !strings.Contains(warn.String(), path) || !strings.Contains(warn.String(), "-rw-------") {
		t.Errorf("warning does not name the file and new mode: %q", warn.String())
	}
	warn.Reset()
	if _, err := Load(dir, &warn); err != nil || warn.Len() != 0 {
		t.Errorf("second load warned again: %q, %v", warn.String(), err)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, yaml string
		want       []string
	}{
		{"syntax", "environments:\n  dev:\n    url: [unclosed\n", []string{"cfg.yml", "line"}},
		{"unknown field", "environments:\n  dev:\n    url: https://x\n    client_id: a\n    clientsecret: oops\n", []string{"cfg.yml", "line 5", "clientsecret"}},
		{"bad name", "environments:\n  \"has space\":\n    url: https://x\n    client_id: a\n", []string{"has space", "letters"}},
		{"missing id", "environments:\n  dev:\n    url: https://x\n", []string{"dev", "client_id"}},
		{"empty env", "environments:\n  dev:\n", []string{"dev", "empty"}},
		{"dangling current", "current: gone\n", []string{"gone", "env use"}},
		{"bad store", "environments:\n  dev:\n    url: https://x\n    client_id: a\n    secret_store: vault\n", []string{"vault"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.yaml), "cfg.yml")
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestDirFromEnv(t *testing.T) {
	t.Setenv(EnvDir, "/some/where")
	if d, err := Dir(); err != nil || d != "/some/where" {
		t.Errorf("Dir() = %q, %v", d, err)
	}
	t.Setenv(EnvDir, "")
	t.Setenv("XDG_CONFIG_HOME", "/xdg")
	t.Setenv("HOME", "/home/u")
	if d, err := Dir(); err != nil || !strings.HasSuffix(d, "/psctl") {
		t.Errorf("Dir() = %q, %v; want <user config dir>/psctl", d, err)
	}
}

func TestValidateName(t *testing.T) {
	for _, ok := range []string{"dev", "district-42", "prod.v2", "A_b"} {
		if err := ValidateName(ok); err != nil {
			t.Errorf("%q rejected: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "-x", "a/b", "../x", "a b", strings.Repeat("x", 65)} {
		if err := ValidateName(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestTokenCache(t *testing.T) {
	dir := t.TempDir()
	c := &TokenCache{Dir: dir}
	ctx := context.Background()
	if tok, err := c.Load(ctx, "https://a id"); tok != nil || err != nil {
		t.Fatalf("empty cache: %v, %v", tok, err)
	}
	exp := time.Now().Add(time.Hour).Round(time.Second)
	if err := c.Store(ctx, "https://a id", &oauth2.Token{AccessToken: "tok-1", TokenType: "Bearer", Expiry: exp}); err != nil {
		t.Fatal(err)
	}
	tok, err := c.Load(ctx, "https://a id")
	if err != nil || tok == nil || tok.AccessToken != "tok-1" || !tok.Expiry.Equal(exp) {
		t.Fatalf("Load = %+v, %v", tok, err)
	}
	// Another client ID (regenerated credentials) or server sees nothing.
	if tok, _ := c.Load(ctx, "https://a id2"); tok != nil {
		t.Error("token shared across client IDs")
	}
	if tok, _ := c.Load(ctx, "https://b id"); tok != nil {
		t.Error("token shared across servers")
	}
	files, _ := filepath.Glob(filepath.Join(dir, "tokens", "*"))
	if len(files) != 1 {
		t.Fatalf("token files: %v", files)
	}
	assertMode(t, files[0], 0o600)
	assertMode(t, filepath.Join(dir, "tokens"), 0o700)

	// Expired tokens are not returned.
	if err := c.Store(ctx, "https://a id", &oauth2.Token{AccessToken: "old", Expiry: time.Now().Add(-time.Minute)}); err != nil {
		t.Fatal(err)
	}
	if tok, _ := c.Load(ctx, "https://a id"); tok != nil {
		t.Error("expired token returned")
	}
	// A damaged file means "no token", not an error.
	if err := os.WriteFile(files[0], []byte("{garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	if tok, err := c.Load(ctx, "https://a id"); tok != nil || err != nil {
		t.Errorf("damaged cache: %v, %v", tok, err)
	}
	if err := c.Delete(ctx, "https://a id"); err != nil {
		t.Fatal(err)
	}
	if err := c.Delete(ctx, "https://a id"); err != nil {
		t.Errorf("second delete: %v", err)
	}
}

func assertMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != want {
		t.Errorf("%s mode = %v, want %v", path, got, want)
	}
}
