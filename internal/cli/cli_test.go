package cli

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pskit/pskit/emulator"
	"github.com/pskit/pskit/internal/cli/cmdutil"
	"github.com/pskit/pskit/internal/cli/iostreams"
	"github.com/pskit/pskit/powerschool"
)

// runner runs psctl in-process as separate "processes" sharing a config dir.
type runner struct {
	t   *testing.T
	dir string
	env map[string]string
	all bytes.Buffer // everything printed, for secret checks
	// retry replaces fastRetries where a test needs the SDK's real waits
	// (a throttled pull must honour the server's Retry-After).
	retry *powerschool.RetryPolicy
}

func newRunner(t *testing.T) *runner {
	return &runner{t: t, dir: t.TempDir(), env: map[string]string{"PSCTL_NO_KEYRING": "1"}}
}

func (r *runner) run(stdin string, args ...string) (stdout, stderr string, code int) {
	return r.runCtx(context.Background(), stdin, args...)
}

func (r *runner) runCtx(ctx context.Context, stdin string, args ...string) (stdout, stderr string, code int) {
	r.t.Helper()
	ios, in, out, errOut := iostreams.Test()
	in.WriteString(stdin)
	retry := fastRetries
	if r.retry != nil {
		retry = r.retry
	}
	f := &cmdutil.Factory{IOStreams: ios, Version: "test", Retry: retry, Getenv: func(k string) string {
		if k == "PSCTL_CONFIG_DIR" {
			return filepath.Join(r.dir, "config")
		}
		return r.env[k]
	}}
	code = Run(ctx, f, args)
	r.all.WriteString(out.String())
	r.all.WriteString(errOut.String())
	return out.String(), errOut.String(), code
}

func (r *runner) ok(stdin string, args ...string) (string, string) {
	r.t.Helper()
	out, errOut, code := r.run(stdin, args...)
	if code != 0 {
		r.t.Fatalf("psctl %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, out, errOut)
	}
	return out, errOut
}

func TestFlowAgainstEmulator(t *testing.T) {
	ps, _ := newTestPS(t, 25, false)
	id, secret := ps.Credentials()
	r := newRunner(t)
	r.ok(secret+"\n", strings.Fields("env add dev --url "+ps.URL+" --client-id "+id+" --client-secret-stdin")...)

	out, _ := r.ok("", "auth", "status", "-o", "json", "-v")
	if !strings.Contains(out, fmt.Sprintf(`"plugin_id": %d`, ps.pluginID)) || !strings.Contains(out, `"powerschool_version": "`) {
		t.Errorf("auth status: %s", out)
	}
	if n := ps.TokenRequests(); n != 1 {
		t.Errorf("token requests after auth status = %d, want 1", n)
	}

	csvPath := filepath.Join(r.dir, "students.csv")
	r.ok("", "students", "-o", "csv", "--output", csvPath, "-v")
	data, err := os.ReadFile(csvPath)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil || len(rows) != 26 || rows[0][0] != "id" || !slices.Contains(rows[0], "name.last_name") {
		t.Fatalf("students.csv: %d rows, header %v, err %v", len(rows), rows[0], err)
	}
	// The second and third runs reused the cached token.
	if n := ps.TokenRequests(); n != 1 {
		t.Errorf("token requests after a second run = %d, want 1 (cached token)", n)
	}

	out, _ = r.ok("", "students", "--limit", "3", "-o", "ndjson", "--fields", "id")
	if !regexp.MustCompile(`^(\{"id":\d+\}\n){3}$`).MatchString(out) {
		t.Errorf("--limit 3: %q", out)
	}
	out, _ = r.ok("", "count", "students")
	if out != "25\n" {
		t.Errorf("count: %q", out)
	}
	out, _ = r.ok("", "get", "/ws/v1/district", "--fields", "district.name", "-o", "ndjson")
	if !regexp.MustCompile(`^\{"district":\{"name":"[^"]+"\}\}\n$`).MatchString(out) {
		t.Errorf("get: %q", out)
	}
	out, _ = r.ok("", "district", "-o", "table", "--fields", "name")
	if !regexp.MustCompile(`^name\t\S.*\n$`).MatchString(out) {
		t.Errorf("district: %q", out)
	}
	r.ok("", "metadata", "-v")
	r.ok("", "env", "show", "-v")
	r.ok("", "env", "list")

	tokOut, _ := r.ok("", "auth", "token")
	if len(strings.TrimSpace(tokOut)) < 16 {
		t.Errorf("auth token: %q", tokOut)
	}
	r.ok("", "auth", "logout")
	r.ok("", "metadata")
	if n := ps.TokenRequests(); n != 2 {
		t.Errorf("token requests after logout = %d, want 2", n)
	}

	// Secrets appear nowhere except auth token's stdout.
	tok := strings.TrimSpace(tokOut)
	printed := strings.Replace(r.all.String(), tokOut, "", 1)
	for name, s := range map[string]string{"client secret": secret, "access token": tok} {
		if strings.Contains(printed, s) {
			t.Errorf("%s printed:\n%s", name, printed)
		}
		_ = filepath.WalkDir(filepath.Join(r.dir, "config"), func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, _ := os.ReadFile(p)
			fi, _ := d.Info()
			if fi.Mode().Perm()&0o077 != 0 {
				t.Errorf("%s has mode %v", p, fi.Mode().Perm())
			}
			if strings.Contains(string(b), s) && !(name == "client secret" && filepath.Base(p) == "secrets.json") && !(name == "access token" && filepath.Base(filepath.Dir(p)) == "tokens") {
				t.Errorf("%s found in %s", name, p)
			}
			return nil
		})
	}
	if !strings.Contains(r.all.String(), "* ") {
		t.Error("-v printed no console log")
	}
}

func TestRegeneratedCredentials(t *testing.T) {
	ps, _ := newTestPS(t, 3, false)
	id, secret := ps.Credentials()
	r := newRunner(t)
	r.ok(secret, "env", "add", "dev", "--url", ps.URL, "--client-id", id, "--client-secret-stdin")
	r.ok("", "district")
	ps.Regenerate(t)
	_, errOut, code := r.run("", "district")
	if code != cmdutil.ExitAuth {
		t.Fatalf("exit %d, want 4; stderr: %s", code, errOut)
	}
	for _, want := range []string{"rejected the client ID and secret", "regenerated", "psctl env add dev"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q: %s", want, errOut)
		}
	}
	// New credentials fix it, once --force allows the replacement.
	id2, secret2 := ps.Credentials()
	_, errOut, code = r.run(secret2, "env", "add", "dev", "--url", ps.URL, "--client-id", id2, "--client-secret-stdin")
	if code != cmdutil.ExitUsage || !strings.Contains(errOut, "--force") || !strings.Contains(errOut, "client ID") || !strings.Contains(errOut, "client secret") {
		t.Fatalf("replacing without --force: exit %d, %s", code, errOut)
	}
	r.ok(secret2, "env", "add", "dev", "--url", ps.URL, "--client-id", id2, "--client-secret-stdin", "--force")
	r.ok("", "district")
}

func TestFailedPullLeavesNoFile(t *testing.T) {
	ps, _ := newTestPS(t, 25, false)
	ps.FailFromPage.Store(2)
	id, secret := ps.Credentials()
	r := newRunner(t)
	r.ok(secret, "env", "add", "dev", "--url", ps.URL, "--client-id", id, "--client-secret-stdin")
	target := filepath.Join(r.dir, "out.csv")
	_, errOut, code := r.run("", "students", "-o", "csv", "--output", target, "--concurrency", "1")
	if code != cmdutil.ExitFailure {
		t.Fatalf("exit %d; stderr %s", code, errOut)
	}
	if _, err := os.Stat(target); !os.IsNotExist(err) {
		t.Errorf("%s exists after a failed pull", target)
	}
	if !strings.Contains(errOut, "10 records were received before the failure") || !strings.Contains(errOut, "out.csv was not written") {
		t.Errorf("stderr: %s", errOut)
	}
	left, _ := filepath.Glob(filepath.Join(r.dir, ".out.csv*"))
	if len(left) > 0 {
		t.Errorf("temp files left: %v", left)
	}
}

func TestEnvVarsAndUsageErrors(t *testing.T) {
	r := newRunner(t)
	r.env["PS_URL"] = "https://ps.example.org"
	_, errOut, code := r.run("", "district")
	if code != cmdutil.ExitUsage || !strings.Contains(errOut, "PS_CLIENT_ID and PS_CLIENT_SECRET are not") {
		t.Errorf("exit %d: %s", code, errOut)
	}
	delete(r.env, "PS_URL")
	for _, args := range [][]string{{"nosuch"}, {"students", "--nosuch"}, {"env", "use"}, {"students", "-o", "xml"}, {"get", "/api/x"}, {"count", "widgets"}} {
		if _, errOut, code := r.run("", args...); code != cmdutil.ExitUsage || !strings.Contains(errOut, "psctl: ") {
			t.Errorf("psctl %v: exit %d, stderr %q", args, code, errOut)
		}
	}
	if _, errOut, code := r.run("", "district"); code != cmdutil.ExitUsage || !strings.Contains(errOut, "psctl demo") {
		t.Errorf("no env: exit %d, %s", code, errOut)
	}
	if _, errOut, code := r.run("", "env", "add", "x", "--url", "http://ps.example.org", "--client-id", "i"); code != cmdutil.ExitUsage || !strings.Contains(errOut, "--allow-http") {
		t.Errorf("http: exit %d, %s", code, errOut)
	}
	if _, errOut, code := r.run("", "env", "add", "x", "--url", "https://ps.example.org", "--client-id", "i"); code != cmdutil.ExitUsage || !strings.Contains(errOut, "--client-secret-stdin") {
		t.Errorf("no tty: exit %d, %s", code, errOut)
	}
}

func TestInterruptedPull(t *testing.T) {
	ps, _ := newTestPS(t, 25, false)
	id, secret := ps.Credentials()
	r := newRunner(t)
	r.ok(secret, "env", "add", "dev", "--url", ps.URL, "--client-id", id, "--client-secret-stdin")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	block := make(chan struct{})
	t.Cleanup(func() { close(block) })
	ps.OnPage = func(page int) {
		if page >= 2 {
			cancel() // Ctrl-C while page 2 is in flight
			select {
			case <-block:
			case <-time.After(5 * time.Second):
			}
		}
	}
	target := filepath.Join(r.dir, "s.ndjson")
	_, errOut, code := r.runCtx(ctx, "", "students", "-o", "ndjson", "--output", target)
	if code != cmdutil.ExitUsage || !strings.Contains(errOut, "interrupted after") || !strings.Contains(errOut, "s.ndjson was not written") {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
	if _, err := os.Stat(target); !os.IsNotExist(err) {
		t.Error("file left after an interrupted pull")
	}
}

func TestTLSOptions(t *testing.T) {
	ps, caPEM := newTestPS(t, 2, true)
	id, secret := ps.Credentials()
	r := newRunner(t)
	r.ok(secret, "env", "add", "tls", "--url", ps.URL, "--client-id", id, "--client-secret-stdin", "--no-verify")

	_, errOut, code := r.run("", "district")
	if code != cmdutil.ExitFailure || !strings.Contains(errOut, "certificate") || !strings.Contains(errOut, "pass --ca-file") {
		t.Errorf("self-signed server without --ca-file: exit %d, %s", code, errOut)
	}
	ca := filepath.Join(r.dir, "ca.pem")
	if err := os.WriteFile(ca, caPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	r.ok("", "district", "--ca-file", ca)
	if _, errOut := r.ok("", "district", "--insecure"); !strings.Contains(errOut, "WARNING: --insecure") {
		t.Errorf("--insecure without a warning: %q", errOut)
	}
	if _, errOut, code := r.run("", "district", "--ca-file", filepath.Join(r.dir, "missing.pem")); code != cmdutil.ExitUsage || !strings.Contains(errOut, "--ca-file") {
		t.Errorf("missing CA file: exit %d, %s", code, errOut)
	}
}

func TestReadOnlyEnvironment(t *testing.T) {
	ps, _ := newTestPS(t, 2, false)
	id, secret := ps.Credentials()
	r := newRunner(t)
	r.ok(secret, "env", "add", "ro", "--url", ps.URL, "--client-id", id, "--client-secret-stdin", "--read-only")
	out, _ := r.ok("", "env", "show", "-o", "json", "--fields", "read_only")
	if !strings.Contains(out, `"read_only": true`) {
		t.Errorf("env show: %s", out)
	}
	out, _ = r.ok("", "auth", "status", "-o", "json", "--fields", "read_only")
	if !strings.Contains(out, `"read_only": true`) {
		t.Errorf("auth status: %s", out)
	}
}

// SDK errors reach the user in psctl's words: the flag or setting to
// change, never an SDK option.
func TestErrorsNameFlags(t *testing.T) {
	ps, _ := newTestPS(t, 2, false)
	id, secret := ps.Credentials()
	r := newRunner(t)
	r.ok(secret, "env", "add", "dev", "--url", ps.URL, "--client-id", id, "--client-secret-stdin")
	r.ok("", "district") // token cached before the server slows down
	if err := ps.srv.SetFaults(emulator.Faults{Latency: 500 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	_, errOut, code := r.run("", "district", "--timeout", "20ms")
	if code != cmdutil.ExitFailure || !strings.Contains(errOut, "within the 20ms timeout") || !strings.Contains(errOut, "--timeout") || strings.Contains(errOut, "WithTimeout") {
		t.Errorf("timeout: exit %d, %s", code, errOut)
	}
	if err := ps.srv.SetFaults(emulator.Faults{}); err != nil {
		t.Fatal(err)
	}
	_, errOut, code = r.run("", "--read-only", "table", "insert", "U_STUDENTSUSERFIELDS", "--set", "studentsdcid=1")
	if code == 0 || !strings.Contains(errOut, "--read-only") || strings.Contains(errOut, "WithReadOnly") {
		t.Errorf("read-only: exit %d, %s", code, errOut)
	}
}
