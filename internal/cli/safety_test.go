package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/pskit/pskit/internal/cli/cmdutil"
	"github.com/pskit/pskit/internal/cli/iostreams"
	"github.com/pskit/pskit/internal/config"
	"github.com/pskit/pskit/internal/secrets"
)

// Twelve env add runs at once keep all twelve environments and secrets.
func TestConcurrentEnvAdd(t *testing.T) {
	r := newRunner(t)
	var wg sync.WaitGroup
	codes := make([]int, 12)
	for i := range 12 {
		wg.Go(func() {
			_, _, codes[i] = r.run(fmt.Sprintf("secret-%d\n", i), "env", "add", fmt.Sprintf("e%d", i), "--url", "https://ps.example.org", "--client-id", fmt.Sprint("id-", i), "--client-secret-stdin", "--no-verify")
		})
	}
	wg.Wait()
	dir := filepath.Join(r.dir, "config")
	cfg, err := config.Load(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	sec := secrets.New(dir, nil, secrets.WithoutKeyring())
	for i := range 12 {
		name := fmt.Sprintf("e%d", i)
		if codes[i] != 0 {
			t.Errorf("%s: exit %d", name, codes[i])
		}
		if e := cfg.Environments[name]; e == nil || e.ClientID != fmt.Sprint("id-", i) {
			t.Errorf("%s missing or wrong in config: %+v", name, e)
		}
		if s, _, err := sec.Get(name, ""); err != nil || s != fmt.Sprintf("secret-%d", i) {
			t.Errorf("%s secret: %q, %v", name, s, err)
		}
	}
}

// env add checks the credentials with the server before saving them.
func TestEnvAddVerifies(t *testing.T) {
	ps, _ := newTestPS(t, 2, false)
	id, secret := ps.Credentials()
	r := newRunner(t)
	_, errOut, code := r.run("wrong-secret\n", "env", "add", "dev", "--url", ps.URL, "--client-id", id, "--client-secret-stdin")
	if code != cmdutil.ExitAuth || !strings.Contains(errOut, "nothing was saved") {
		t.Fatalf("wrong secret: exit %d, %s", code, errOut)
	}
	if cfg, _ := config.Load(filepath.Join(r.dir, "config"), nil); len(cfg.Environments) != 0 {
		t.Fatalf("refused credentials were saved: %v", cfg.Names())
	}
	r.ok(secret+"\n", "env", "add", "dev", "--url", ps.URL, "--client-id", id, "--client-secret-stdin")
	r.ok("wrong\n", "env", "add", "unchecked", "--url", ps.URL, "--client-id", id, "--client-secret-stdin", "--no-verify")
}

// A cached token belongs to the secret it was obtained with: a wrong secret
// saved later fails at once; auth logout of one environment leaves the
// others' tokens.
func TestTokenCacheKeyedBySecret(t *testing.T) {
	ps, _ := newTestPS(t, 2, false)
	id, secret := ps.Credentials()
	r := newRunner(t)
	r.ok(secret+"\n", "env", "add", "dev", "--url", ps.URL, "--client-id", id, "--client-secret-stdin")
	r.ok("", "district")
	r.ok("mistyped\n", "env", "add", "dev", "--url", ps.URL, "--client-id", id, "--client-secret-stdin", "--no-verify", "--force")
	if _, errOut, code := r.run("", "auth", "status"); code != cmdutil.ExitAuth {
		t.Fatalf("a mistyped secret passed auth status on a cached token: exit %d, %s", code, errOut)
	}
	// Another name for the same server and client ID, with a mistyped
	// secret, does not ride on the first one's cached token.
	r.ok(secret+"\n", "env", "add", "good", "--url", ps.URL, "--client-id", id, "--client-secret-stdin")
	r.ok("", "--env", "good", "district")
	r.ok("typo\n", "env", "add", "typo", "--url", ps.URL, "--client-id", id, "--client-secret-stdin", "--no-verify")
	if _, errOut, code := r.run("", "--env", "typo", "auth", "status"); code != cmdutil.ExitAuth {
		t.Fatalf("a mistyped secret passed auth status on another environment's cached token: exit %d, %s", code, errOut)
	}

	r.ok(secret+"\n", "env", "add", "a", "--url", ps.URL, "--client-id", id, "--client-secret-stdin")
	r.ok(secret+"\n", "env", "add", "b", "--url", ps.URL+"/", "--client-id", id, "--client-secret-stdin", "--no-verify")
	r.ok("", "--env", "a", "district")
	tokens := func() int {
		m, _ := filepath.Glob(filepath.Join(r.dir, "config", "tokens", "*.json"))
		return len(m)
	}
	before := tokens()
	r.ok("", "--env", "dev", "auth", "logout")
	if got := tokens(); got != before {
		t.Errorf("logout of dev changed the cached tokens of others: %d -> %d", before, got)
	}
	r.ok("", "--env", "a", "auth", "logout")
	if got := tokens(); got != before-1 {
		t.Errorf("logout of a: %d tokens -> %d, want one fewer", before, got)
	}
}

// Replacing an environment needs --force, says what would change, writes
// nothing without it, and keeps read_only unless told.
func TestReplaceNeedsForce(t *testing.T) {
	r := newRunner(t)
	r.ok("s1\n", "env", "add", "prod", "--url", "https://a.example", "--client-id", "id1", "--client-secret-stdin", "--no-verify", "--read-only")
	cfgPath := filepath.Join(r.dir, "config", "config.yml")
	before, _ := os.ReadFile(cfgPath)
	_, errOut, code := r.run("s2\n", "env", "add", "prod", "--url", "https://b.example", "--client-id", "id2", "--client-secret-stdin", "--no-verify", "--read-only=false")
	if code != cmdutil.ExitUsage {
		t.Fatalf("replace without --force: exit %d", code)
	}
	for _, want := range []string{`"https://a.example" to "https://b.example"`, `"id1" to "id2"`, "the client secret", "read_only (dropped)", "--force", "Nothing was written"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("error lacks %q: %s", want, errOut)
		}
	}
	if after, _ := os.ReadFile(cfgPath); string(after) != string(before) {
		t.Errorf("config changed:\n%s", after)
	}
	// The same values again are no change.
	r.ok("s1\n", "env", "add", "prod", "--url", "https://a.example", "--client-id", "id1", "--client-secret-stdin", "--no-verify")
	// Forced: new credentials, read_only kept.
	r.ok("s2\n", "env", "add", "prod", "--url", "https://a.example", "--client-id", "id2", "--client-secret-stdin", "--no-verify", "--force")
	cfg, _ := config.Load(filepath.Join(r.dir, "config"), nil)
	if e := cfg.Environments["prod"]; e.ClientID != "id2" || !e.ReadOnly {
		t.Errorf("after --force: %+v, want id2 and read_only kept", e)
	}

	// env import takes the name from the file: the same rule.
	imp := filepath.Join(r.dir, "prod.json")
	os.WriteFile(imp, []byte(`{"url":"https://evil.example","client_id":"x\u001b]0;t\u0007","client_secret":"y"}`), 0o600)
	_, errOut, code = r.run("", "env", "import", imp)
	if code != cmdutil.ExitUsage || !strings.Contains(errOut, "--force") {
		t.Fatalf("import over prod: exit %d, %s", code, errOut)
	}
	if strings.ContainsAny(errOut, "\x1b\x07") {
		t.Errorf("control characters from the file reached the terminal: %q", errOut)
	}
	_, errOut = r.ok("", "env", "import", imp, "--name", "other")
	if strings.ContainsAny(errOut, "\x1b\x07") || !strings.Contains(errOut, `x\x1b]0;t\a`) {
		t.Errorf("import output: %q", errOut)
	}
}

// Ctrl-C and Ctrl-D at the hidden secret prompt abort with exit 2 and
// change nothing, whatever is typed afterwards.
func TestSecretPromptAborts(t *testing.T) {
	r := newRunner(t)
	r.ok("keep\n", "env", "add", "prod", "--url", "https://a.example", "--client-id", "id1", "--client-secret-stdin", "--no-verify")
	cfgPath := filepath.Join(r.dir, "config", "config.yml")
	secPath := filepath.Join(r.dir, "config", "secrets.json")
	cfgBefore, _ := os.ReadFile(cfgPath)
	secBefore, _ := os.ReadFile(secPath)
	for name, read := range map[string]func(ctx context.Context, cancel func()) ([]byte, error){
		"ctrl-d": func(context.Context, func()) ([]byte, error) { return nil, io.EOF },
		"ctrl-c": func(ctx context.Context, cancel func()) ([]byte, error) {
			cancel() // SIGINT cancels the root context
			<-ctx.Done()
			return []byte("rm -rf ~"), nil // the next line typed
		},
	} {
		ctx, cancel := context.WithCancel(context.Background())
		ios, _, _, errOut := iostreams.Test()
		ios.SetSecretReader(func() ([]byte, error) { return read(ctx, cancel) })
		f := &cmdutil.Factory{IOStreams: ios, Version: "test", Getenv: func(k string) string {
			if k == "PSCTL_CONFIG_DIR" {
				return filepath.Join(r.dir, "config")
			}
			return r.env[k]
		}}
		code := Run(ctx, f, []string{"env", "add", "prod", "--url", "https://a.example", "--client-id", "id1", "--no-verify", "--force"})
		cancel()
		if code != cmdutil.ExitUsage {
			t.Errorf("%s: exit %d, want 2; %s", name, code, errOut)
		}
		if b, _ := os.ReadFile(cfgPath); string(b) != string(cfgBefore) {
			t.Errorf("%s: config changed", name)
		}
		if b, _ := os.ReadFile(secPath); string(b) != string(secBefore) {
			t.Errorf("%s: secrets changed: %s", name, b)
		}
	}
}

// The prompt function itself: Ctrl-C returns at once even while the
// terminal read is still blocked.
func TestReadSecretInterrupt(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	block := make(chan struct{})
	defer close(block)
	ios.SetSecretReader(func() ([]byte, error) { <-block; return []byte("late"), nil })
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := ios.ReadSecret(ctx, "? "); !errors.Is(err, iostreams.ErrAborted) {
		t.Fatalf("ReadSecret after Ctrl-C = %v", err)
	}
}

// A symlinked config directory still gets secrets.json narrowed to 0600.
func TestSymlinkedConfigDirPermissions(t *testing.T) {
	real := t.TempDir()
	link := filepath.Join(t.TempDir(), "cfg")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(real, "secrets.json"), []byte(`{"x":"y"}`), 0o644)
	if _, err := config.Load(link, io.Discard); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(filepath.Join(real, "secrets.json")); fi.Mode().Perm() != 0o600 {
		t.Errorf("secrets.json mode %v through a symlinked dir", fi.Mode().Perm())
	}
	os.Chmod(filepath.Join(real, "secrets.json"), 0o644)
	s := secrets.New(link, io.Discard, secrets.WithoutKeyring())
	if _, _, err := s.Get("x", config.SecretFile); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(filepath.Join(real, "secrets.json")); fi.Mode().Perm() != 0o600 {
		t.Errorf("secrets store read a 0644 secrets.json without narrowing it")
	}
}

// table delete: Ctrl-D at the confirmation deletes nothing, exit 2.
func TestDeleteConfirmationEOF(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	if _, err := ios.ReadLine(context.Background()); !errors.Is(err, iostreams.ErrAborted) {
		t.Fatalf("ReadLine at end of input = %v, want ErrAborted", err)
	}
}

// A pull to stdout that fails mid-way leaves exactly the records received,
// each whole, flushed before the exit.
func TestFailedPullToStdoutLeavesWholeRecords(t *testing.T) {
	ps, _ := newTestPS(t, 25, false)
	ps.FailFromPage.Store(3)
	id, secret := ps.Credentials()
	r := newRunner(t)
	r.ok(secret+"\n", "env", "add", "dev", "--url", ps.URL, "--client-id", id, "--client-secret-stdin")
	out, errOut, code := r.run("", "students", "-o", "ndjson", "--concurrency", "1", "--limit", "0")
	if code == 0 {
		t.Fatalf("the pull did not fail: %s", errOut)
	}
	var received int
	if _, err := fmt.Sscanf(errOut[strings.LastIndex(errOut, "\n(")+2:], "%d records were received", &received); err != nil {
		t.Fatalf("no record count in %q", errOut)
	}
	if received == 0 {
		t.Fatalf("nothing received before the failure; the test needs a later FailPage: %s", errOut)
	}
	if !strings.HasSuffix(out, "\n") {
		t.Fatalf("stdout ends in a cut record: %q", out)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != received {
		t.Errorf("stdout has %d records, stderr says %d were received", len(lines), received)
	}
	for _, l := range lines {
		if !strings.HasPrefix(l, "{") || !strings.HasSuffix(l, "}") {
			t.Errorf("not a whole record: %q", l)
		}
	}
}
