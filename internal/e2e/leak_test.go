package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/pskit/pskit/emulator"
	"github.com/pskit/pskit/internal/cli/cmdutil"
	"github.com/pskit/pskit/internal/cli/iostreams"
	"github.com/pskit/pskit/internal/cli/root"
	"github.com/spf13/cobra"
)

// syncBuffer is a bytes.Buffer safe for the emulator's concurrent log lines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// notAgainstServer are the commands the sweep does not run, each with why:
// they start a server of their own, so the configured district's secrets
// never reach them.
var notAgainstServer = map[string]string{
	"psctl demo":            "runs its own in-process emulator with its own credentials (covered by the demo script)",
	"psctl emulator":        "is a server; its own credentials file is covered by the emulator script",
	"psctl bench":           "runs its own in-process emulator with throw-away credentials and prints only timings and counts",
	"psctl register listen": "is a server receiving credentials; covered by internal/cli/register tests",
}

// TestNoSecretInAnyOutput runs every psctl command against the emulator with
// -v, through the happy path and the failures (expired tokens, injected
// faults, regenerated credentials), and asserts that no client secret and no
// access token appears in stdout, stderr, the config directory (other than
// the secrets file and the token cache), the output files or the emulator's
// own log. The only exception is psctl auth token's stdout, whose job it is.
func TestNoSecretInAnyOutput(t *testing.T) {
	var emuLog syncBuffer
	d := startDistrict(t, emulator.Options{Students: 120, Seed: 9, MaxPageSize: 25,
		Logger: slog.New(slog.NewTextHandler(&emuLog, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	p := newPsctl(t)
	work := p.dir
	secrets := map[string]string{"client secret": d.creds.ClientSecret}
	tokens := map[string]bool{}
	collectTokens := func() {
		files, _ := filepath.Glob(filepath.Join(p.configDir(), "tokens", "*"))
		for _, f := range files {
			var tok struct {
				AccessToken string `json:"access_token"`
			}
			if b, err := os.ReadFile(f); err == nil && json.Unmarshal(b, &tok) == nil && tok.AccessToken != "" {
				tokens[tok.AccessToken] = true
			}
		}
	}
	write := func(name, content string) string {
		path := filepath.Join(work, name)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	postman := write("postman.json", fmt.Sprintf(`{"name":"District","values":[{"key":"psURL","value":%q},{"key":"psClientID","value":%q},{"key":"psClientSecret","value":%q,"type":"secret"}]}`,
		d.srv.URL(), d.creds.ClientID, d.creds.ClientSecret))
	scores := write("scores.csv", "title,due_date,category,points_possible,1001\nQuiz 1,2025-09-01,Homework,10,9\n")
	forbidden := write("403.json", `{"message":"Access to STUDENTS.SSN is not allowed"}`)
	pluginDir := filepath.Join(work, "plugin")

	type call struct {
		stdin string
		args  []string
	}
	ios, _, _, _ := iostreams.Test()
	tree := root.NewCmdRoot(&cmdutil.Factory{IOStreams: ios})
	covered := map[string]bool{}
	var printed strings.Builder // every stream except auth token's stdout
	run := func(c call) {
		t.Helper()
		args := append(append([]string{}, c.args...), "-v")
		out, errOut, code := p.run(context.Background(), c.stdin, args...)
		if code != 0 && code != cmdutil.ExitFailure && code != cmdutil.ExitAuth {
			t.Errorf("psctl %s: exit %d (a usage error means the sweep calls it wrongly)\n%s", strings.Join(args, " "), code, errOut)
		}
		if cmd, _, err := tree.Find(c.args); err == nil {
			covered[cmd.CommandPath()] = true
		}
		if len(c.args) >= 2 && c.args[0] == "auth" && c.args[1] == "token" {
			tokens[strings.TrimSpace(out)] = true
			out = ""
		}
		printed.WriteString(out)
		printed.WriteString(errOut)
		collectTokens()
	}

	calls := []call{
		{"", []string{"env", "import", postman, "--name", "dev"}},
		{d.creds.ClientSecret + "\n", []string{"env", "add", "dev2", "--url", d.srv.URL(), "--client-id", d.creds.ClientID, "--client-secret-stdin"}},
		{"", []string{"env", "use", "dev"}},
		{"", []string{"env", "list"}},
		{"", []string{"env", "show", "-o", "json"}},
		{"", []string{"auth", "status", "-o", "json"}},
		{"", []string{"metadata"}},
		{"", []string{"district"}},
		{"", []string{"schools", "-o", "ndjson"}},
		{"", []string{"students", "-o", "csv", "--output", filepath.Join(work, "students.csv")}},
		{"", []string{"staff", "--limit", "5"}},
		{"", []string{"sections", "--school", "1", "--limit", "5"}},
		{"", []string{"courses", "--limit", "5"}},
		{"", []string{"terms", "--limit", "2"}},
		{"", []string{"count", "students"}},
		{"", []string{"get", "/ws/v1/district/student", "-p", "pagesize=2"}},
		{"", []string{"oneroster", "get", "orgs", "--limit", "2"}},
		{"", []string{"grades", "push", "--section", "1", "--file", scores, "--dry-run"}},
		{"", []string{"plugin", "init", "--name", "Leak Check", "--publisher", "QA", "--email", "qa@example.org", "--field", "STUDENTS.LASTFIRST", "--output", filepath.Join(pluginDir, "plugin.xml")}},
		{"", []string{"plugin", "validate", filepath.Join(pluginDir, "plugin.xml")}},
		{"", []string{"plugin", "package", pluginDir, "--output", filepath.Join(work, "p.zip")}},
		{"", []string{"version"}},
		{"", []string{"plugin", "access", "--from-error", forbidden}},
		{"", []string{"auth", "token"}},
		{"", []string{"auth", "logout"}},
		{"", []string{"env", "remove", "dev2"}},
	}
	if err := os.MkdirAll(pluginDir, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, c := range calls {
		run(c)
	}
	// Section enrollments need a real section ID; the example plugin may
	// read few fields, so query and table go through their 403 paths.
	section := "1"
	if out, _, code := p.run(context.Background(), "", "sections", "--limit", "1", "-o", "csv", "--fields", "id"); code == 0 {
		if f := strings.Fields(out); len(f) == 2 {
			section = f[1]
		}
	}
	for _, c := range []call{
		{"", []string{"enrollments", "--section", section, "--concurrency", "2"}},
		{"", []string{"count", "enrollments", "--section", section}},
		{"", []string{"query", "com.pearson.core.student.student_dcid_id_map", "--limit", "5"}},
		{"", []string{"table", "list", "U_STUDENTSUSERFIELDS", "--limit", "3"}},
		{"", []string{"table", "get", "U_STUDENTSUSERFIELDS", "4001"}},
		{"", []string{"table", "count", "U_STUDENTSUSERFIELDS"}},
		{"", []string{"table", "insert", "U_STUDENTSUSERFIELDS", "--set", "studentsdcid=4001", "--set", "email=leak@example.org"}},
		{"", []string{"table", "update", "U_STUDENTSUSERFIELDS", "4001", "--set", "bus_route=1"}},
		{"", []string{"table", "delete", "U_STUDENTSUSERFIELDS", "4001", "--yes"}},
		{"", []string{"sync", "--to", "sqlite:" + filepath.Join(work, "sync.db"), "--tables", "students", "-o", "json"}},
	} {
		run(c)
	}

	// Failure paths, where secrets most often slip into messages.
	run(call{"", []string{"district"}}) // a fresh token, cached
	d.srv.ExpireTokens()
	run(call{"", []string{"students", "--limit", "60"}}) // cached token refused, replaced
	d.srv.SetFaults(emulator.Faults{FailRate: 0.3, DropRate: 0.1})
	run(call{"", []string{"students", "-o", "ndjson", "--output", filepath.Join(work, "s.ndjson")}})
	d.srv.SetFaults(emulator.Faults{})
	p.env["PS_URL"], p.env["PS_CLIENT_ID"], p.env["PS_CLIENT_SECRET"] = d.srv.URL(), d.creds.ClientID, "not-the-secret"
	run(call{"", []string{"district"}}) // wrong secret from the environment
	delete(p.env, "PS_URL")
	delete(p.env, "PS_CLIENT_ID")
	delete(p.env, "PS_CLIENT_SECRET")
	regen, err := d.srv.Regenerate(d.creds.PluginID)
	if err != nil {
		t.Fatal(err)
	}
	secrets["regenerated client secret"] = regen.ClientSecret
	run(call{"", []string{"district"}})
	run(call{"", []string{"auth", "status"}})

	// Every command that talks to a server was run.
	var walk func(*cobra.Command)
	walk = func(c *cobra.Command) {
		if !c.HasSubCommands() && c.Name() != "help" && c.Name() != "completion" && !c.Hidden {
			path := c.CommandPath()
			if _, ok := notAgainstServer[path]; !ok && !covered[path] {
				t.Errorf("%s is not run by the leak sweep: add it to the calls above (or to notAgainstServer, saying why)", path)
			}
		}
		for _, s := range c.Commands() {
			walk(s)
		}
	}
	walk(tree)

	if len(tokens) < 2 { // the emulator reuses a live token (as PowerSchool does); expiry forces a second
		t.Errorf("only %d access tokens seen: the sweep did not exercise token renewal", len(tokens))
	}
	i := 0
	for tok := range tokens {
		secrets[fmt.Sprintf("access token #%d", i)] = tok
		i++
	}
	if !strings.Contains(printed.String(), "* ") {
		t.Error("-v printed no log lines: the sweep did not look at the logs")
	}
	check := func(where, text string) {
		for what, s := range secrets {
			if strings.Contains(text, s) {
				t.Errorf("%s appears in %s", what, where)
			}
		}
	}
	check("psctl's stdout or stderr", printed.String())
	check("the emulator's log", emuLog.String())
	allowedHits := 0
	var names []string
	err = filepath.WalkDir(work, func(path string, de fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := de.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(work, path)
		inConfig := strings.HasPrefix(rel, "config")
		if de.IsDir() {
			if inConfig && info.Mode().Perm() != 0o700 {
				t.Errorf("%s has mode %o, want 0700", rel, info.Mode().Perm())
			}
			return nil
		}
		names = append(names, rel)
		if inConfig && info.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %o, want 0600", rel, info.Mode().Perm())
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for what, s := range secrets {
			if !strings.Contains(string(b), s) {
				continue
			}
			switch {
			case rel == "postman.json" && what == "client secret": // the input file
			case de.Name() == "secrets.json" && strings.Contains(what, "client secret"):
				allowedHits++ // the scan does read the files that may hold secrets
			case filepath.Base(filepath.Dir(path)) == "tokens" && strings.HasPrefix(what, "access token"):
			default:
				t.Errorf("%s appears in %s", what, rel)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if allowedHits == 0 {
		t.Error("the client secret was not found even in secrets.json: the file scan is not looking at what psctl wrote")
	}
	sort.Strings(names)
	t.Logf("checked %d invocations, %d files (%s), %d secrets, %d bytes of emulator log", len(covered), len(names), strings.Join(names, ", "), len(secrets), len(emuLog.String()))
}
