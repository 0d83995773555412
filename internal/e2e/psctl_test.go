package e2e

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/pskit/pskit/internal/cli"
	"github.com/pskit/pskit/internal/cli/cmdutil"
	"github.com/pskit/pskit/internal/cli/iostreams"
)

// psctl runs the command line in-process, as separate invocations sharing
// one config directory, and keeps everything printed for leak checks.
type psctl struct {
	t   *testing.T
	dir string // holds config/ and output files
	env map[string]string

	mu  sync.Mutex
	all bytes.Buffer
}

func newPsctl(t *testing.T) *psctl {
	dir := t.TempDir()
	return &psctl{t: t, dir: dir, env: map[string]string{
		"PSCTL_NO_KEYRING": "1",
		"PSCTL_CONFIG_DIR": filepath.Join(dir, "config"),
	}}
}

func (p *psctl) configDir() string { return p.env["PSCTL_CONFIG_DIR"] }

// run executes psctl args with stdin and returns its streams and exit code.
func (p *psctl) run(ctx context.Context, stdin string, args ...string) (stdout, stderr string, code int) {
	ios, in, out, errOut := iostreams.Test()
	in.WriteString(stdin)
	f := &cmdutil.Factory{IOStreams: ios, Version: "e2e", Getenv: func(k string) string { return p.env[k] }}
	code = cli.Run(ctx, f, args)
	p.mu.Lock()
	p.all.WriteString(out.String())
	p.all.WriteString(errOut.String())
	p.mu.Unlock()
	return out.String(), errOut.String(), code
}

// ok runs psctl and fails the test unless it exits 0.
func (p *psctl) ok(stdin string, args ...string) (stdout, stderr string) {
	p.t.Helper()
	out, errOut, code := p.run(context.Background(), stdin, args...)
	if code != 0 {
		p.t.Fatalf("psctl %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, out, errOut)
	}
	return out, errOut
}

// addEnv stores d's credentials as environment name (the secret via stdin).
func (p *psctl) addEnv(d *district, name string, extra ...string) {
	p.t.Helper()
	args := append([]string{"env", "add", name, "--url", d.srv.URL(), "--client-id", d.creds.ClientID, "--client-secret-stdin"}, extra...)
	p.ok(d.creds.ClientSecret+"\n", args...)
}
