// Package register implements psctl register: the vendor side of
// PowerSchool plugin registration, saving each registration as a psctl
// environment.
package register

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/pskit/pskit/internal/cli/cmdutil"
	"github.com/pskit/pskit/internal/cli/iostreams"
	"github.com/pskit/pskit/internal/config"
	"github.com/pskit/pskit/plugin"
	"github.com/pskit/pskit/plugin/register"
	"github.com/spf13/cobra"
)

// NewCmdRegister returns the register command group.
func NewCmdRegister(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "register",
		Short: "Receive plugin registrations from PowerSchool",
		Long: `When a plugin with <registration url="..."> is installed, PowerSchool can
send its client ID and secret to that URL. psctl register listen receives
them and saves each as an environment.

PowerSchool's own registration payload is not public; psctl accepts the
JSON (or form) Registration Request that pskit defines and its emulator
sends: server_url, plugin_name, plugin_version, plugin_id, client_id,
client_secret, callback_data.`,
	}
	cmd.AddCommand(NewCmdListen(f, nil))
	return cmd
}

// ListenOptions are the inputs of psctl register listen.
type ListenOptions struct {
	IO      *iostreams.IOStreams
	Factory *cmdutil.Factory
	Addr    string
	Path    string
	Prefix  string
	Verify  bool
	Force   bool
	// Token is the shared secret in the registration URL's path; a random
	// one is made when empty.
	Token string
	// Ready, when set, receives the listening address (tests).
	Ready func(addr string)
}

// NewCmdListen returns psctl register listen.
func NewCmdListen(f *cmdutil.Factory, runF func(*ListenOptions) error) *cobra.Command {
	o := &ListenOptions{IO: f.IOStreams, Factory: f}
	cmd := &cobra.Command{
		Use:   "listen [--addr HOST:PORT] [--prefix NAME-] [--verify]",
		Short: "Accept registrations and save each as an environment",
		Long: `Serve POST requests at --path/TOKEN on --addr until interrupted. TOKEN is a
random shared secret made at start (or given with --token / the
PSCTL_REGISTER_TOKEN variable); the full URL to put in the plugin's
<registration url="..."> is printed, and requests to any other path are
refused, so a stranger who finds the port cannot plant credentials.
Requests that carry a browser's Origin or Sec-Fetch-* headers are refused
(403): registrations come from PowerSchool's server, never from a web page.

Each valid registration is saved as the environment PREFIX + plugin name +
"_" + server host (lower case, e.g. reg-roster-sync_district.powerschool.com;
characters other than letters, digits, '.' and '-' in the host are written
as _XX), with the secret in the OS keyring or the 0600 secrets file. An
environment of that name for another URL is never replaced; one for the
same URL is replaced only with --force. With --verify, a token is requested
with the credentials first and the registration is refused (422) when that
fails.

Plain http is served, so keep it on loopback or behind a TLS-terminating
proxy: PowerSchool sends registrations only to https:// URLs.`,
		Example: `  psctl register listen --addr 127.0.0.1:8443 --prefix district-
  psctl register listen --verify`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(o)
			}
			return runListen(cmd.Context(), o)
		},
	}
	cmd.Flags().StringVar(&o.Addr, "addr", "127.0.0.1:8765", "address to listen on")
	cmd.Flags().StringVar(&o.Path, "path", "/register", "URL path that receives registrations")
	cmd.Flags().StringVar(&o.Prefix, "prefix", "", "prefix for the names of saved environments, e.g. district-")
	cmd.Flags().BoolVar(&o.Verify, "verify", false, "obtain a token with the credentials before saving them")
	cmd.Flags().BoolVar(&o.Force, "force", false, "let a registration replace the environment of the same server and plugin (new client ID or secret)")
	cmd.Flags().StringVar(&o.Token, "token", "", "shared secret for the registration URL (default: $"+TokenEnv+", else a random one)")
	return cmd
}

// TokenEnv names the variable that can hold the listener's shared secret.
const TokenEnv = "PSCTL_REGISTER_TOKEN"

var nonSlug = regexp.MustCompile(`[^a-z0-9.]+`)

// EnvName derives the environment name for a registration: prefix, the
// plugin name folded to letters, digits, '.' and '-', "_", and the server's
// host kept exactly (lower case; any other character as _XX), so that two
// different hosts never get the same name. A name over 64 characters is
// cut and ends in a hash of the whole.
func EnvName(prefix string, req plugin.RegistrationRequest) string {
	host := req.ServerURL
	if i := strings.Index(host, "://"); i >= 0 {
		host = host[i+3:]
	}
	host, _, _ = strings.Cut(host, "/")
	var h strings.Builder
	for _, c := range []byte(strings.ToLower(host)) {
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-' {
			h.WriteByte(c)
		} else {
			fmt.Fprintf(&h, "_%02x", c)
		}
	}
	slug := strings.Trim(nonSlug.ReplaceAllString(strings.ToLower(req.PluginName), "-"), "-.")
	if slug == "" {
		slug = "plugin"
	}
	name := prefix + slug + "_" + h.String()
	if len(name) > 64 {
		sum := sha256.Sum256([]byte(name))
		name = name[:55] + "-" + hex.EncodeToString(sum[:4])
	}
	return name
}

func runListen(ctx context.Context, o *ListenOptions) error {
	if ctx == nil {
		ctx = context.Background()
	}
	if !strings.HasPrefix(o.Path, "/") {
		return cmdutil.UsageError("--path %q must start with /", o.Path)
	}
	if o.Prefix != "" && config.ValidateName(o.Prefix+"x") != nil {
		return cmdutil.UsageError("--prefix %q cannot start an environment name: use letters, digits, '.', '_' or '-', starting with a letter or digit", o.Prefix)
	}
	// Open the stores before serving, so a broken config fails now.
	if _, err := o.Factory.Config(); err != nil {
		return err
	}
	if _, err := o.Factory.Secrets(); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", o.Addr)
	if err != nil {
		return cmdutil.UsageError("cannot listen on %s: %v; pick another --addr", o.Addr, err)
	}
	h := &register.Handler{
		Save:   func(ctx context.Context, req plugin.RegistrationRequest) error { return save(o, req) },
		Logger: slog.New(slog.NewTextHandler(o.IO.ErrOut, nil)),
	}
	if o.Verify {
		h.Verify = func(ctx context.Context, req plugin.RegistrationRequest) error { return verify(ctx, o, req) }
	}
	token := o.Token
	if token == "" {
		token = o.Factory.Getenv(TokenEnv)
	}
	if token == "" {
		b := make([]byte, 24)
		if _, err := rand.Read(b); err != nil {
			return err
		}
		token = hex.EncodeToString(b)
	}
	if len(token) < 16 || strings.ContainsAny(token, "/?#% ") {
		ln.Close()
		return cmdutil.UsageError("--token must be at least 16 characters without / ? # %% or spaces; leave it out to get a random one")
	}
	path := strings.TrimRight(o.Path, "/") + "/" + token
	srv := &http.Server{Handler: tokenGate(path, h), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second}
	fmt.Fprintf(o.IO.ErrOut, "Listening for registrations (Ctrl-C to stop). Put this URL, which holds a shared secret, in the plugin's <registration url=\"...\"> (behind your https proxy):\n  http://%s%s\n", ln.Addr(), path)
	if o.Ready != nil {
		o.Ready(ln.Addr().String())
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(shutdownCtx); err != nil {
			return err
		}
		if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		fmt.Fprintln(o.IO.ErrOut, "Stopped.")
		return nil
	}
}

// tokenGate passes on only requests for exactly path (which holds the
// shared secret), compared in constant time.
func tokenGate(path string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if subtle.ConstantTimeCompare([]byte(r.URL.Path), []byte(path)) != 1 {
			http.Error(w, "not found: the registration URL holds a token; use the exact URL psctl register listen printed", http.StatusNotFound)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// saveMu serialises saves: the config file is rewritten on each one.
var saveMu sync.Mutex

func save(o *ListenOptions, req plugin.RegistrationRequest) error {
	name := EnvName(o.Prefix, req)
	// Plain http is accepted only for loopback servers (an emulator):
	// SaveEnvironment refuses it elsewhere.
	env := &config.Environment{URL: req.ServerURL, ClientID: req.ClientID}
	saveMu.Lock()
	defer saveMu.Unlock()
	cfg, err := o.Factory.Config()
	if err != nil {
		return err
	}
	if old, ok := cfg.Environments[name]; ok && old.URL != strings.TrimRight(strings.TrimSpace(req.ServerURL), "/") {
		return fmt.Errorf("environment %q exists for %s, not %s: it is never replaced by a registration; remove or rename it to accept this one", name, old.URL, req.ServerURL)
	}
	loc, err := o.Factory.SaveEnvironment(name, env, req.ClientSecret, cmdutil.SaveOptions{Force: o.Force})
	if err != nil {
		return fmt.Errorf("saving environment %q: %w", name, err)
	}
	fmt.Fprintf(o.IO.ErrOut, "Saved registration of %q from %s as environment %q (secret in %s). Use it with: psctl --env %s auth status\n",
		req.PluginName, req.ServerURL, name, loc, name)
	return nil
}

// verify obtains a token with the registration's credentials.
func verify(ctx context.Context, o *ListenOptions, req plugin.RegistrationRequest) error {
	t := &cmdutil.Target{URL: strings.TrimRight(req.ServerURL, "/"), ClientID: req.ClientID, Secret: req.ClientSecret}
	c, err := o.Factory.ClientFor(t)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if _, err := c.Token(ctx); err != nil {
		return fmt.Errorf("no token from %s: %v", req.ServerURL, err)
	}
	return nil
}
