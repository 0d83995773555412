// Package register implements psctl register: the vendor side of
// PowerSchool plugin registration, saving each registration as a psctl
// environment.
package register

import (
	"context"
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
	// Ready, when set, receives the listening address (tests).
	Ready func(addr string)
}

// NewCmdListen returns psctl register listen.
func NewCmdListen(f *cmdutil.Factory, runF func(*ListenOptions) error) *cobra.Command {
	o := &ListenOptions{IO: f.IOStreams, Factory: f}
	cmd := &cobra.Command{
		Use:   "listen [--addr HOST:PORT] [--prefix NAME-] [--verify]",
		Short: "Accept registrations and save each as an environment",
		Long: `Serve POST requests at --path on --addr until interrupted. Each valid
registration is saved as the environment PREFIX + plugin name + server
host (lower case, e.g. reg-roster-sync-district-powerschool-com), with the
secret in the OS keyring or the 0600 secrets file. With --verify, a token
is requested with the credentials first and the registration is refused
(422) when that fails.

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
	return cmd
}

var nonName = regexp.MustCompile(`[^a-z0-9]+`)

// EnvName derives the environment name for a registration.
func EnvName(prefix string, req plugin.RegistrationRequest) string {
	host := req.ServerURL
	if i := strings.Index(host, "://"); i >= 0 {
		host = host[i+3:]
	}
	host, _, _ = strings.Cut(host, "/")
	name := strings.Trim(nonName.ReplaceAllString(strings.ToLower(req.PluginName+"-"+host), "-"), "-")
	return prefix + name
}

func runListen(ctx context.Context, o *ListenOptions) error {
	if ctx == nil {
		ctx = context.Background()
	}
	if !strings.HasPrefix(o.Path, "/") {
		return cmdutil.UsageError("--path %q must start with /", o.Path)
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
	mux := http.NewServeMux()
	mux.Handle(o.Path, h)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second}
	fmt.Fprintf(o.IO.ErrOut, "Listening for registrations on http://%s%s (Ctrl-C to stop)\n", ln.Addr(), o.Path)
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

// saveMu serialises saves: the config file is rewritten on each one.
var saveMu sync.Mutex

func save(o *ListenOptions, req plugin.RegistrationRequest) error {
	name := EnvName(o.Prefix, req)
	// Plain http is accepted only for loopback servers (an emulator):
	// SaveEnvironment refuses it elsewhere.
	env := &config.Environment{URL: req.ServerURL, ClientID: req.ClientID}
	saveMu.Lock()
	defer saveMu.Unlock()
	loc, err := o.Factory.SaveEnvironment(name, env, req.ClientSecret, false)
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
