package secrets

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pskit/pskit/internal/config"
	"github.com/zalando/go-keyring"
)

func noEnv(string) string { return "" }

func TestFileBackend(t *testing.T) {
	dir := t.TempDir()
	var warn bytes.Buffer
	s := New(dir, &warn, WithoutKeyring(), WithGetenv(noEnv))
	loc, err := s.Set("dev", "s3cret-dev")
	if err != nil {
		t.Fatal(err)
	}
	if loc.Kind != config.SecretFile || loc.String() != "file "+s.FilePath() {
		t.Errorf("location = %v", loc)
	}
	if _, err := s.Set("prod", "s3cret-prod"); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(warn.String(), "no OS keyring"); n != 1 {
		t.Errorf("fallback warned %d times, want once: %q", n, warn.String())
	}
	if strings.Contains(warn.String(), "s3cret") {
		t.Error("warning contains the secret")
	}
	fi, err := os.Stat(s.FilePath())
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("secrets file mode: %v, %v", fi, err)
	}
	// A new Store (a new psctl run) reads what the first wrote.
	s2 := New(dir, nil, WithoutKeyring(), WithGetenv(noEnv))
	got, loc, err := s2.Get("dev", config.SecretFile)
	if err != nil || got != "s3cret-dev" || loc.Kind != config.SecretFile {
		t.Fatalf("Get = %q, %v, %v", got, loc, err)
	}
	if err := s2.Delete("dev"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s2.Get("dev", ""); err == nil || !strings.Contains(err.Error(), "env add dev") {
		t.Errorf("Get after delete: %v", err)
	}
	if got, _, _ := s2.Get("prod", ""); got != "s3cret-prod" {
		t.Errorf("delete removed the other secret too")
	}
}

// PS_CLIENT_SECRET never stands in for a stored secret: it belongs to the
// PS_* set, which is used only as a whole.
func TestEnvSecretNotConsulted(t *testing.T) {
	s := New(t.TempDir(), nil, WithoutKeyring(), WithGetenv(func(k string) string {
		if k == EnvSecret {
			return "from-env"
		}
		return ""
	}))
	if _, err := s.Set("prod", "stored"); err != nil {
		t.Fatal(err)
	}
	got, _, err := s.Get("prod", "")
	if err != nil || got != "stored" {
		t.Errorf("Get = %q, %v; want the stored secret", got, err)
	}
	if got, _, err := s.Get("anything", ""); err == nil {
		t.Errorf("Get of an unknown environment = %q from PS_CLIENT_SECRET", got)
	}
}

func TestKeyringBackend(t *testing.T) {
	keyring.MockInit()
	dir := t.TempDir()
	var warn bytes.Buffer
	s := New(dir, &warn, WithGetenv(noEnv))
	loc, err := s.Set("dev", "kr-secret")
	if err != nil || loc.String() != "keyring" {
		t.Fatalf("Set = %v, %v", loc, err)
	}
	if warn.Len() != 0 {
		t.Errorf("warned with a working keyring: %q", warn.String())
	}
	if _, err := os.Stat(s.FilePath()); !errors.Is(err, os.ErrNotExist) {
		t.Error("secrets file written although the keyring works")
	}
	got, loc, err := s.Get("dev", config.SecretKeyring)
	if err != nil || got != "kr-secret" || loc.Kind != config.SecretKeyring {
		t.Fatalf("Get = %q, %v, %v", got, loc, err)
	}
	if err := s.Delete("dev"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Get("dev", config.SecretKeyring); err == nil || !strings.Contains(err.Error(), "keyring") {
		t.Errorf("Get after delete: %v", err)
	}
}

func TestKeyringErrorFallsBackToFile(t *testing.T) {
	keyring.MockInitWithError(errors.New("dbus: no session bus"))
	t.Cleanup(keyring.MockInit)
	var warn bytes.Buffer
	s := New(t.TempDir(), &warn, WithGetenv(noEnv))
	loc, err := s.Set("dev", "x")
	if err != nil || loc.Kind != config.SecretFile {
		t.Fatalf("Set = %v, %v", loc, err)
	}
	if !strings.Contains(warn.String(), "no session bus") || !strings.Contains(warn.String(), s.FilePath()) {
		t.Errorf("warning does not say why and where: %q", warn.String())
	}
	if got, _, err := s.Get("dev", ""); err != nil || got != "x" {
		t.Errorf("Get = %q, %v", got, err)
	}
}

type hangingKeyring struct{ calls atomic.Int32 }

func (h *hangingKeyring) Set(string, string, string) error {
	h.calls.Add(1)
	select {}
}
func (h *hangingKeyring) Get(string, string) (string, error) { h.calls.Add(1); select {} }
func (h *hangingKeyring) Delete(string, string) error        { h.calls.Add(1); select {} }

func TestKeyringTimeout(t *testing.T) {
	var warn bytes.Buffer
	h := &hangingKeyring{}
	s := New(t.TempDir(), &warn, WithTimeout(20*time.Millisecond), WithGetenv(noEnv))
	s.ring = h
	loc, err := s.Set("dev", "x")
	if err != nil || loc.Kind != config.SecretFile {
		t.Fatalf("Set = %v, %v", loc, err)
	}
	if !strings.Contains(warn.String(), "did not answer") {
		t.Errorf("warning: %q", warn.String())
	}
	// Later calls do not wait on the keyring again.
	if got, _, err := s.Get("dev", ""); err != nil || got != "x" {
		t.Errorf("Get = %q, %v", got, err)
	}
	if h.calls.Load() != 1 {
		t.Errorf("keyring called %d times after it hung, want 1", h.calls.Load())
	}
}

func TestEmptySecretRejected(t *testing.T) {
	s := New(t.TempDir(), nil, WithoutKeyring())
	if _, err := s.Set("dev", ""); err == nil {
		t.Error("empty secret accepted")
	}
}
