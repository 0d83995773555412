package cmdutil

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/pskit/pskit/internal/cli/iostreams"
	"github.com/pskit/pskit/internal/config"
	"github.com/pskit/pskit/internal/secrets"
	"github.com/pskit/pskit/internal/wire"
	"github.com/pskit/pskit/powerschool"
)

// Environment variables psctl reads.
const (
	EnvURL      = "PS_URL"
	EnvClientID = "PS_CLIENT_ID"
	EnvSecret   = secrets.EnvSecret
	EnvSelect   = "PSCTL_ENV"
	// EnvNoKeyring, when set to a non-empty value, keeps secrets out of the
	// OS keyring (containers, CI, tests): they go to the 0600 file.
	EnvNoKeyring = "PSCTL_NO_KEYRING"
)

// GlobalFlags are the persistent flags of the root command.
type GlobalFlags struct {
	Env       string        // --env
	Verbose   bool          // -v
	ReadOnly  bool          // --read-only
	Insecure  bool          // --insecure: TLS verification off
	CAFile    string        // --ca-file
	AllowHTTP bool          // --allow-http
	Timeout   time.Duration // --timeout: per request attempt
	Rate      time.Duration // --rate: least time between two requests
}

// Factory hands commands their dependencies, each built on first use.
type Factory struct {
	IOStreams *iostreams.IOStreams
	Version   string
	Flags     GlobalFlags
	Getenv    func(string) string

	// SecretOptions configure the secrets store (tests use the file backend).
	SecretOptions []secrets.Option

	// Retry, when set, replaces the SDKs' retry policy for every client
	// this Factory opens. psctl never sets it; tests do, to shorten the
	// backoff waits of runs that meet server errors.
	Retry *powerschool.RetryPolicy

	once    sync.Once
	dir     string
	cfg     *config.Config
	cfgErr  error
	secOnce sync.Once
	sec     *secrets.Store
}

// New returns a Factory over the process's streams and environment.
func New(version string) *Factory {
	return &Factory{IOStreams: iostreams.System(), Version: version, Getenv: os.Getenv}
}

func (f *Factory) getenv(k string) string {
	if f.Getenv == nil {
		return os.Getenv(k)
	}
	return f.Getenv(k)
}

// ConfigDir is the directory holding config, secrets file and token cache.
func (f *Factory) ConfigDir() (string, error) {
	f.load()
	return f.dir, f.cfgErrDir()
}

func (f *Factory) cfgErrDir() error {
	if f.dir == "" {
		return f.cfgErr
	}
	return nil
}

func (f *Factory) load() {
	f.once.Do(func() {
		dir := f.getenv(config.EnvDir)
		if dir == "" {
			d, err := config.Dir()
			if err != nil {
				f.cfgErr = err
				return
			}
			dir = d
		}
		f.dir = dir
		f.cfg, f.cfgErr = config.Load(dir, f.IOStreams.ErrOut)
	})
}

// Config returns the environments file, loaded once.
func (f *Factory) Config() (*config.Config, error) {
	f.load()
	return f.cfg, f.cfgErr
}

// Secrets returns the secrets store.
func (f *Factory) Secrets() (*secrets.Store, error) {
	dir, err := f.ConfigDir()
	if err != nil {
		return nil, err
	}
	f.secOnce.Do(func() {
		opts := []secrets.Option{secrets.WithGetenv(f.getenv)}
		if f.getenv(EnvNoKeyring) != "" {
			opts = append(opts, secrets.WithoutKeyring())
		}
		opts = append(opts, f.SecretOptions...)
		f.sec = secrets.New(dir, f.IOStreams.ErrOut, opts...)
	})
	return f.sec, nil
}

// Target is a resolved server and plugin credentials.
type Target struct {
	// Name is the environment's name, or "" when PS_URL, PS_CLIENT_ID and
	// PS_CLIENT_SECRET alone define the target.
	Name     string
	URL      string
	ClientID string
	Secret   string
	// SecretFrom says where the secret came from.
	SecretFrom secrets.Location
	ReadOnly   bool
	CAFile     string
	AllowHTTP  bool
	// Timeout bounds each request attempt; 0 is the SDK's default.
	Timeout time.Duration
	// Rate is the least time between two requests; 0: none known.
	Rate time.Duration
}

// Label names the target for messages.
func (t *Target) Label() string {
	if t.Name == "" {
		return "the environment given by PS_URL/PS_CLIENT_ID/PS_CLIENT_SECRET"
	}
	return fmt.Sprintf("environment %q", t.Name)
}

// SelectedEnv returns the environment name chosen by --env, PSCTL_ENV or the
// config's current one, and how it was chosen ("" when none is).
func (f *Factory) SelectedEnv() (name, how string, err error) {
	if name, how := f.explicitEnv(); name != "" {
		return name, how, nil
	}
	cfg, err := f.Config()
	if err != nil {
		return "", "", err
	}
	if cfg.Current != "" {
		return cfg.Current, "current", nil
	}
	return "", "", nil
}

// explicitEnv is the environment named by --env or PSCTL_ENV.
func (f *Factory) explicitEnv() (name, how string) {
	if f.Flags.Env != "" {
		return f.Flags.Env, "--env"
	}
	if v := f.getenv(EnvSelect); v != "" {
		return v, EnvSelect
	}
	return "", ""
}

// Resolve finds the server and credentials to use. An environment named by
// --env (or PSCTL_ENV) wins and the PS_* variables are ignored; otherwise a
// complete PS_URL + PS_CLIENT_ID + PS_CLIENT_SECRET set is used as a whole;
// a partial set is an error naming what is missing; otherwise the current
// environment. Values are never mixed, so a stored secret only ever goes
// to the URL it was stored with.
func (f *Factory) Resolve() (*Target, error) {
	vars := []struct{ k, v string }{{EnvURL, f.getenv(EnvURL)}, {EnvClientID, f.getenv(EnvClientID)}, {EnvSecret, f.getenv(EnvSecret)}}
	var set, missing []string
	for _, v := range vars {
		if v.v == "" {
			missing = append(missing, v.k)
		} else {
			set = append(set, v.k)
		}
	}
	if name, how := f.explicitEnv(); name != "" {
		if len(set) > 0 {
			fmt.Fprintf(f.IOStreams.ErrOut, "note: %s selects environment %q; %s %s ignored\n", how, name, strings.Join(set, ", "), plural(len(set), "is", "are"))
		}
		return f.resolveStored(name)
	}
	if len(set) > 0 {
		if len(missing) > 0 {
			return nil, UsageError("%s %s set but %s %s not: set %s too, unset %s to use a stored environment, or select one with --env NAME", strings.Join(set, " and "), plural(len(set), "is", "are"), strings.Join(missing, " and "), plural(len(missing), "is", "are"), strings.Join(missing, " and "), strings.Join(set, " and "))
		}
		t := &Target{URL: normalizeURL(vars[0].v), ClientID: vars[1].v, Secret: vars[2].v, SecretFrom: secrets.Location{Kind: "env"}}
		f.applyFlags(t)
		return t, nil
	}
	name, _, err := f.SelectedEnv()
	if err != nil {
		return nil, err
	}
	if name == "" {
		return nil, UsageError("no environment selected: add one with psctl env add NAME --url URL --client-id ID (or try psctl demo), pick one with --env NAME or psctl env use NAME, or set %s, %s and %s", EnvURL, EnvClientID, EnvSecret)
	}
	return f.resolveStored(name)
}

// resolveStored is a stored environment with its own URL, client ID and
// secret, nothing taken from the PS_* variables.
func (f *Factory) resolveStored(name string) (*Target, error) {
	cfg, err := f.Config()
	if err != nil {
		return nil, err
	}
	env, err := cfg.Get(name)
	if err != nil {
		return nil, UsageError("%v", err)
	}
	t := &Target{Name: name, URL: env.URL, ClientID: env.ClientID, ReadOnly: env.ReadOnly, CAFile: env.CAFile, AllowHTTP: env.AllowHTTP, Timeout: env.Timeout, Rate: env.Rate}
	sec, err := f.Secrets()
	if err != nil {
		return nil, err
	}
	t.Secret, t.SecretFrom, err = sec.Get(name, env.SecretStore)
	if err != nil {
		return nil, err
	}
	f.applyFlags(t)
	return t, nil
}

func (f *Factory) applyFlags(t *Target) {
	if f.Flags.ReadOnly {
		t.ReadOnly = true
	}
	if f.Flags.CAFile != "" {
		t.CAFile = f.Flags.CAFile
	}
	if f.Flags.AllowHTTP {
		t.AllowHTTP = true
	}
	if f.Flags.Timeout > 0 {
		t.Timeout = f.Flags.Timeout
	}
	if f.Flags.Rate > 0 {
		t.Rate = f.Flags.Rate
	}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func normalizeURL(u string) string { return strings.TrimRight(strings.TrimSpace(u), "/") }

// CheckURL validates a server URL: http(s) with a host, and http only to a
// loopback host unless allowHTTP.
func CheckURL(raw string, allowHTTP bool) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return UsageError("invalid server URL %q: give the address you open PowerSchool at, such as https://district.powerschool.com", raw)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return UsageError("invalid server URL %q: give only scheme, host and optional path, no credentials or query", raw)
	}
	if u.Scheme == "http" && !allowHTTP && !isLoopback(u.Hostname()) {
		return UsageError("refusing plain http to %s: credentials and student data would cross the network unencrypted; use https, or pass --allow-http if you really mean it", u.Host)
	}
	return nil
}

// IsLoopbackURL reports whether raw points at this machine.
func IsLoopbackURL(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && isLoopback(u.Hostname())
}

// isLoopback is the SDKs' one loopback rule, so the CLI and the SDK agree
// on which plain-http URLs need --allow-http.
func isLoopback(host string) bool { return wire.IsLoopback(host) }

// Client opens an SDK client for the selected environment, with the token
// cache, verbose log and TLS settings wired in. The client is not bound to
// ctx (the SDK keeps its own long-lived context for token refreshes); pass
// ctx to each call made with it.
func (f *Factory) Client(_ context.Context) (*powerschool.Client, *Target, error) {
	t, err := f.Resolve()
	if err != nil {
		return nil, nil, err
	}
	c, err := f.ClientFor(t)
	return c, t, err
}

// ClientFor opens an SDK client for an already resolved target.
func (f *Factory) ClientFor(t *Target) (*powerschool.Client, error) {
	if err := CheckURL(t.URL, t.AllowHTTP); err != nil {
		return nil, err
	}
	dir, err := f.ConfigDir()
	if err != nil {
		return nil, err
	}
	opts := []powerschool.Option{
		powerschool.WithBaseURL(t.URL),
		powerschool.WithCredentials(t.ClientID, t.Secret),
		powerschool.WithUserAgent("psctl/" + f.Version),
		powerschool.WithTokenCache(&config.TokenCache{Dir: dir, Secret: t.Secret}),
	}
	opts = append(opts, timeoutOptions(t.Timeout)...)
	if f.Retry != nil {
		opts = append(opts, powerschool.WithRetryPolicy(*f.Retry))
	}
	if t.Rate > 0 {
		opts = append(opts, powerschool.WithRateLimit(t.Rate))
	}
	if t.AllowHTTP {
		opts = append(opts, powerschool.WithInsecureHTTP())
	}
	if t.ReadOnly {
		opts = append(opts, powerschool.WithReadOnly())
	}
	if f.Flags.Verbose {
		opts = append(opts, powerschool.WithLogger(NewConsoleLogger(f.IOStreams.ErrOut, []string{t.Secret})))
	}
	switch {
	case f.Flags.Insecure:
		fmt.Fprintf(f.IOStreams.ErrOut, "WARNING: --insecure: TLS certificate verification is OFF for %s. Anyone on the network path can read the client secret, the tokens and student data. Use --ca-file with your server's CA instead.\n", t.URL)
		opts = append(opts, powerschool.WithTLSConfig(&tls.Config{InsecureSkipVerify: true})) //nolint:gosec // explicit user opt-in, warned above
	case t.CAFile != "":
		pem, err := os.ReadFile(t.CAFile)
		if err != nil {
			return nil, UsageError("cannot read --ca-file: %v; give a PEM file with your server's CA certificate", err)
		}
		opts = append(opts, powerschool.WithRootCAPEM(pem))
	}
	c, err := powerschool.NewClient(opts...)
	if err != nil {
		return nil, UsageError("%v", err)
	}
	return c, nil
}

// timeoutOptions bounds each request attempt at d (0: the SDK's default).
// This is the one place the --timeout flag and the per-environment timeout
// setting reach the SDK.
func timeoutOptions(d time.Duration) []powerschool.Option {
	if d <= 0 {
		return nil
	}
	return []powerschool.Option{powerschool.WithTimeout(d)}
}

// SaveOptions say how SaveEnvironment may treat an existing environment.
type SaveOptions struct {
	// Use makes the environment current.
	Use bool
	// Force replaces an existing environment whose URL, client ID, secret
	// or settings differ. Without it such a save fails, naming what would
	// change, and writes nothing.
	Force bool
	// ReadOnlyGiven means env.ReadOnly was set explicitly (--read-only or
	// --read-only=false); otherwise a replaced environment keeps its own.
	ReadOnlyGiven bool
}

// SaveEnvironment stores env under name with its secret (keyring, else the
// 0600 file) and saves the config, holding the config lock so concurrent
// runs lose nothing. It makes name current when opts.Use is set or when it
// is the first environment. Replacing an environment keeps its settings
// (read_only, ca_file, allow_http, timeout) unless new ones are given. It
// reports where the secret went.
func (f *Factory) SaveEnvironment(name string, env *config.Environment, secret string, opts SaveOptions) (secrets.Location, error) {
	if err := config.ValidateName(name); err != nil {
		return secrets.Location{}, UsageError("%v", err)
	}
	env.URL = normalizeURL(env.URL)
	if strings.TrimSpace(env.ClientID) == "" {
		return secrets.Location{}, UsageError("the client ID is empty: copy it from the plugin's Data Provider Configuration page")
	}
	if secret == "" {
		return secrets.Location{}, UsageError("the client secret is empty: copy it from the plugin's Data Provider Configuration page")
	}
	dir, err := f.ConfigDir()
	if err != nil {
		return secrets.Location{}, err
	}
	sec, err := f.Secrets()
	if err != nil {
		return secrets.Location{}, err
	}
	var loc secrets.Location
	cfg, err := config.Update(dir, f.IOStreams.ErrOut, func(cfg *config.Config) error {
		old, exists := cfg.Environments[name]
		if exists {
			keepSettings(env, old, opts.ReadOnlyGiven)
		}
		if err := CheckURL(env.URL, env.AllowHTTP); err != nil {
			return err
		}
		var oldSecret string
		if exists {
			oldSecret, _, _ = sec.Get(name, old.SecretStore)
			if changes := Changes(old, env, oldSecret != secret); len(changes) > 0 && !opts.Force {
				return UsageError("environment %q already exists; saving would change %s. Nothing was written: add --force to replace it, or choose another name", name, strings.Join(changes, ", "))
			}
		}
		l, err := sec.Set(name, secret)
		if err != nil {
			return err
		}
		loc = l
		env.SecretStore = l.Kind
		if err := cfg.Set(name, env); err != nil {
			return UsageError("%v", err)
		}
		if opts.Use {
			cfg.Current = name
		}
		if exists {
			// The old credentials' token is of no use any more.
			tc := &config.TokenCache{Dir: dir, Secret: oldSecret}
			_ = tc.Delete(context.Background(), powerschool.CacheKey(old.URL, old.ClientID))
		}
		return nil
	})
	if err != nil {
		return secrets.Location{}, err
	}
	f.cfg = cfg
	return loc, nil
}

// UpdateConfig changes the config on disk under its lock (see config.Update)
// and makes the result the Factory's config.
func (f *Factory) UpdateConfig(change func(*config.Config) error) error {
	dir, err := f.ConfigDir()
	if err != nil {
		return err
	}
	cfg, err := config.Update(dir, f.IOStreams.ErrOut, change)
	if err != nil {
		return err
	}
	f.cfg = cfg
	return nil
}

// keepSettings carries an existing environment's settings over to its
// replacement where the replacement does not give them.
func keepSettings(env, old *config.Environment, readOnlyGiven bool) {
	if !readOnlyGiven {
		env.ReadOnly = env.ReadOnly || old.ReadOnly
	}
	if env.CAFile == "" {
		env.CAFile = old.CAFile
	}
	if !env.AllowHTTP {
		env.AllowHTTP = old.AllowHTTP
	}
	if env.Timeout == 0 {
		env.Timeout = old.Timeout
	}
	if env.Rate == 0 {
		env.Rate = old.Rate
	}
}

// Changes lists, in words, what replacing old by env would change; nil
// when nothing would. Secrets are compared, never shown.
func Changes(old, env *config.Environment, secretChanged bool) []string {
	var c []string
	if old.URL != env.URL {
		c = append(c, fmt.Sprintf("the URL (%q to %q)", old.URL, env.URL))
	}
	if old.ClientID != env.ClientID {
		c = append(c, fmt.Sprintf("the client ID (%q to %q)", old.ClientID, env.ClientID))
	}
	if secretChanged {
		c = append(c, "the client secret")
	}
	if old.ReadOnly && !env.ReadOnly {
		c = append(c, "read_only (dropped)")
	}
	if !old.ReadOnly && env.ReadOnly {
		c = append(c, "read_only (added)")
	}
	if old.CAFile != env.CAFile {
		c = append(c, "ca_file")
	}
	if old.AllowHTTP != env.AllowHTTP {
		c = append(c, "allow_http")
	}
	if old.Timeout != env.Timeout {
		c = append(c, "timeout")
	}
	if old.Rate != env.Rate {
		c = append(c, "rate")
	}
	return c
}

// NewConsoleLogger mirrors the Postman collection's console on w: one line per
// event, secrets replaced by [REDACTED] as a last line of defence.
func NewConsoleLogger(w interface{ Write([]byte) (int, error) }, secrets []string) *slog.Logger {
	red := &wire.Redactor{}
	for _, s := range secrets {
		red.AddSecret(s)
	}
	return slog.New(&consoleHandler{w: w, red: red, mu: &sync.Mutex{}})
}

type consoleHandler struct {
	w     interface{ Write([]byte) (int, error) }
	red   *wire.Redactor // whole values only, as in the SDKs' errors
	attrs []slog.Attr
	mu    *sync.Mutex
}

func (h *consoleHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h *consoleHandler) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString("* ")
	b.WriteString(r.Message)
	write := func(a slog.Attr) bool {
		v := a.Value.Resolve()
		s := v.String()
		if v.Kind() == slog.KindDuration {
			s = v.Duration().Round(time.Millisecond).String()
		}
		fmt.Fprintf(&b, " %s=%s", a.Key, s)
		return true
	}
	for _, a := range h.attrs {
		write(a)
	}
	r.Attrs(write)
	line := h.red.Text(b.String())
	h.mu.Lock()
	defer h.mu.Unlock()
	_, err := h.w.Write([]byte(line + "\n"))
	return err
}

func (h *consoleHandler) WithAttrs(as []slog.Attr) slog.Handler {
	c := *h
	c.attrs = append(append([]slog.Attr{}, h.attrs...), as...)
	return &c
}

func (h *consoleHandler) WithGroup(string) slog.Handler { return h }

// Explain adds what to do to an authentication failure for this target,
// and marks it for exit code 4. Other errors pass through.
func (t *Target) Explain(err error) error {
	if err == nil {
		return nil
	}
	if !powerschool.IsAuthError(err) {
		if strings.Contains(err.Error(), "x509: ") || strings.Contains(err.Error(), "tls: ") {
			return fmt.Errorf("%w\nif %s uses a certificate from a private CA, pass --ca-file FILE with that CA (PEM)", err, t.URL)
		}
		return err
	}
	fix := "check PS_URL, PS_CLIENT_ID and PS_CLIENT_SECRET"
	if t.Name != "" {
		fix = fmt.Sprintf("if the client ID and secret were regenerated, save the new ones with psctl env add %s --url %s --client-id NEW_ID --force (or psctl env import FILE --name %s --force)", t.Name, t.URL, t.Name)
	}
	return AuthError(fmt.Errorf("%s: %w\n%s", t.Label(), err, fix))
}
