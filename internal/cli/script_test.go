package cli

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestMain lets the test binary act as psctl inside scripts: "exec psctl
// ..." runs cli.Main in a child process, like the installed binary.
// psctl-status does the same but always exits 0 after printing the exit
// code on stderr, so scripts can assert exact codes (2 usage, 4 auth).
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"psctl": func() { os.Exit(Main()) },
		"psctl-status": func() {
			code := Main()
			fmt.Fprintf(os.Stderr, "psctl exit code: %d\n", code)
			os.Exit(0)
		},
	})
}

// scriptServer is the PowerSchool a script talks to.
type scriptServer interface {
	URL() string
	Credentials() (id, secret string)
	Regenerate() error
	TokenRequests() int
}

type serverKey struct{}

// TestScripts runs testdata/script/*.txtar: every command against a
// PowerSchool server started in this process, on a fresh config dir.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		Setup: func(e *testscript.Env) error {
			srv, stop, err := startScriptServer()
			if err != nil {
				return err
			}
			e.Defer(stop)
			e.Values[serverKey{}] = srv
			e.Setenv("PSCTL_CONFIG_DIR", filepath.Join(e.WorkDir, "config"))
			e.Setenv("PSCTL_NO_KEYRING", "1")
			e.Setenv("PS_SERVER", srv.URL())
			return writeCredentialFiles(e.WorkDir, srv)
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"regenerate": func(ts *testscript.TestScript, neg bool, args []string) {
				srv := ts.Value(serverKey{}).(scriptServer)
				ts.Check(srv.Regenerate())
				ts.Check(writeCredentialFiles(ts.Getenv("WORK"), srv))
			},
			"tokenrequests": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) != 1 {
					ts.Fatalf("usage: tokenrequests N")
				}
				want, err := strconv.Atoi(args[0])
				ts.Check(err)
				if got := ts.Value(serverKey{}).(scriptServer).TokenRequests(); (got == want) == neg {
					ts.Fatalf("token requests: got %d, want %d", got, want)
				}
			},
			"nosecrets": cmdNoSecrets,
			// waitfile FILE: wait up to 20s for a background command to write FILE.
			"waitfile": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) != 1 {
					ts.Fatalf("usage: waitfile FILE")
				}
				deadline := time.Now().Add(20 * time.Second)
				for {
					// Non-empty: psctl demo claims its output file empty
					// before the pull fills it.
					if fi, err := os.Stat(ts.MkAbs(args[0])); err == nil && fi.Size() > 0 {
						return
					}
					if time.Now().After(deadline) {
						ts.Fatalf("%s did not appear within 20s", args[0])
					}
					time.Sleep(20 * time.Millisecond)
				}
			},
			// filemode FILE MODE: assert a file's permission bits (octal).
			"filemode": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) != 2 {
					ts.Fatalf("usage: filemode FILE MODE")
				}
				want, err := strconv.ParseUint(args[1], 8, 32)
				ts.Check(err)
				fi, err := os.Stat(ts.MkAbs(args[0]))
				ts.Check(err)
				if got := fi.Mode().Perm(); (uint64(got) == want) == neg {
					ts.Fatalf("%s has mode %o, want %o", args[0], got, want)
				}
			},
		},
	})
}

// writeCredentialFiles writes the server's credentials in each format
// psctl env import reads.
func writeCredentialFiles(dir string, srv scriptServer) error {
	id, secret := srv.Credentials()
	files := map[string]string{
		"secret.txt": secret + "\n",
		"creds.json": fmt.Sprintf(`{"url":%q,"client_id":%q,"client_secret":%q,"plugin_id":1}`, srv.URL(), id, secret),
		"postman.json": fmt.Sprintf(`{"id":"0d6c","name":"District Test","values":[
  {"key":"psURL","value":%q,"type":"default","enabled":true},
  {"key":"psClientID","value":%q,"type":"default","enabled":true},
  {"key":"psClientSecret","value":%q,"type":"secret","enabled":true},
  {"key":"psToken","value":"","type":"any","enabled":true}],
 "_postman_variable_scope":"environment","_postman_exported_using":"Postman/10.0"}`, srv.URL(), id, secret),
		"postman-nosecret.json": fmt.Sprintf(`{"name":"Broken","values":[{"key":"psURL","value":%q},{"key":"psClientID","value":%q}]}`, srv.URL(), id),
		"copied.txt":            fmt.Sprintf("Plugin Registration\nServer URL: %s\nClient ID: %s\nClient Secret: %s\n", srv.URL(), id, secret),
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			return err
		}
	}
	return nil
}

// cmdNoSecrets fails when the client secret or the access token (as saved
// by the script in token.txt) appears in the last stdout or stderr, or in
// any config file other than the ones meant to hold them.
func cmdNoSecrets(ts *testscript.TestScript, neg bool, args []string) {
	leak := findSecrets(ts)
	switch {
	case leak != "" && !neg:
		ts.Fatalf("%s", leak)
	case leak == "" && neg:
		ts.Fatalf("no secret found, but one was expected")
	}
}

// findSecrets describes the first leak it finds, or returns "".
func findSecrets(ts *testscript.TestScript) string {
	_, secret := ts.Value(serverKey{}).(scriptServer).Credentials()
	secrets := map[string]string{"client secret": secret}
	if b, err := os.ReadFile(ts.MkAbs("token.txt")); err == nil && strings.TrimSpace(string(b)) != "" {
		secrets["access token"] = strings.TrimSpace(string(b))
	}
	// Every token psctl has cached counts too, even ones the script never printed.
	cached, _ := filepath.Glob(ts.MkAbs(filepath.Join("config", "tokens", "*.json")))
	for i, p := range cached {
		var tok struct {
			AccessToken string `json:"access_token"`
		}
		if b, err := os.ReadFile(p); err == nil && json.Unmarshal(b, &tok) == nil && tok.AccessToken != "" {
			secrets[fmt.Sprintf("access token (cached #%d)", i)] = tok.AccessToken
		}
	}
	for _, stream := range []string{"stdout", "stderr"} {
		text := ts.ReadFile(stream)
		for what, s := range secrets {
			if strings.Contains(text, s) {
				return fmt.Sprintf("%s appears in %s", what, stream)
			}
		}
	}
	leak := ""
	root := ts.MkAbs("config")
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if info.Mode().Perm()&0o077 != 0 {
			ts.Fatalf("%s has mode %v, want 0600", p, info.Mode().Perm()) // never acceptable
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for what, s := range secrets {
			allowed := (what == "client secret" && d.Name() == "secrets.json") || (strings.HasPrefix(what, "access token") && filepath.Base(filepath.Dir(p)) == "tokens")
			if !allowed && strings.Contains(string(b), s) && leak == "" {
				leak = fmt.Sprintf("%s appears in %s", what, p)
			}
		}
		return nil
	})
	if err != nil && !os.IsNotExist(err) {
		ts.Fatalf("walking %s: %v", root, err)
	}
	return leak
}
