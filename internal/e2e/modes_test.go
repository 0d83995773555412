package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pskit/pskit/emulator"
)

// Files psctl keeps (config, secrets file, token cache) are 0600 in 0700
// directories; a wider mode found at start is narrowed, with a warning.
func TestWideModesAreFixedAtStart(t *testing.T) {
	d := startDistrict(t, emulator.Options{Students: 10, Seed: 4})
	p := newPsctl(t)
	p.addEnv(d, "dev")
	p.ok("", "district") // caches a token
	cfg := p.configDir()
	tokens, _ := filepath.Glob(filepath.Join(cfg, "tokens", "*.json"))
	if len(tokens) != 1 {
		t.Fatalf("token cache holds %d files, want 1", len(tokens))
	}
	files := []string{filepath.Join(cfg, "config.yml"), filepath.Join(cfg, "secrets.json"), tokens[0]}
	dirs := []string{cfg, filepath.Join(cfg, "tokens")}
	for _, f := range files {
		if err := os.Chmod(f, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, dir := range dirs {
		if err := os.Chmod(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	_, errOut := p.ok("", "district")
	for _, f := range files {
		if fi, err := os.Stat(f); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v after a run, want 0600 (%v)", f, fi.Mode().Perm(), err)
		}
		if !strings.Contains(errOut, f) {
			t.Errorf("no warning names %s:\n%s", f, errOut)
		}
	}
	for _, dir := range dirs {
		if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
			t.Errorf("%s: mode %v after a run, want 0700 (%v)", dir, fi.Mode().Perm(), err)
		}
	}
}
