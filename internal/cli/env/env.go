// Package env implements psctl env: named PowerSchool environments (server
// URL, plugin client ID, secret kept in the OS keyring or a 0600 file).
package env

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/pskit/pskit/internal/cli/cmdutil"
	"github.com/pskit/pskit/internal/cli/iostreams"
	"github.com/pskit/pskit/internal/config"
	"github.com/pskit/pskit/internal/output"
	"github.com/pskit/pskit/powerschool"
	"github.com/spf13/cobra"
)

// NewCmdEnv returns the env command group.
func NewCmdEnv(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "env",
		Short: "Manage PowerSchool environments (server, client ID, secret)",
		Long: `An environment is one PowerSchool server with the credentials of one plugin:
development, staging, production, or one per district. The client secret is
kept in the OS keyring, or in a 0600 file when there is none.`,
	}
	cmd.AddCommand(NewCmdAdd(f, nil), NewCmdList(f, nil), NewCmdUse(f, nil), NewCmdShow(f, nil), NewCmdRemove(f, nil), NewCmdImport(f, nil))
	return cmd
}

// AddOptions are the inputs of psctl env add.
type AddOptions struct {
	IO          *iostreams.IOStreams
	Factory     *cmdutil.Factory
	Name        string
	URL         string
	ClientID    string
	SecretStdin bool
	ReadOnly    bool
	CAFile      string
	AllowHTTP   bool
	Use         bool
	Force       bool
	NoVerify    bool
	// ReadOnlyGiven is set when --read-only was on the command line.
	ReadOnlyGiven bool
	// Timeout is the environment's timeout setting (0: none).
	Timeout time.Duration
	// Rate is the environment's rate setting (0: none).
	Rate time.Duration
}

// NewCmdAdd returns psctl env add.
func NewCmdAdd(f *cmdutil.Factory, runF func(*AddOptions) error) *cobra.Command {
	o := &AddOptions{IO: f.IOStreams, Factory: f}
	cmd := &cobra.Command{
		Use:   "add NAME --url URL --client-id ID",
		Short: "Add an environment (or replace one, with --force)",
		Long: `Add an environment. The client secret is read from a prompt that does not
echo it, or from standard input with --client-secret-stdin; it is never a
flag value, so it stays out of shell history and process lists.

Before saving, a token is requested with the credentials, so a mistyped
secret fails now (--no-verify skips this, e.g. for a server not reachable
from here). An existing environment is replaced only with --force; without
it psctl says what would change and writes nothing. A replaced environment
keeps its read_only, ca_file, allow_http and timeout settings unless new
ones are given (--read-only=false drops read_only).

Find the client ID and secret in PowerSchool under System > System Settings >
Plugin Management Configuration > [plugin] > Data Provider Configuration.`,
		Example: `  psctl env add prod --url https://district.powerschool.com --client-id 99702fda-...
  echo "$SECRET" | psctl env add ci --url https://ps.example.org --client-id ID --client-secret-stdin`,
		Args: cmdutil.ExactArgs(1, "an environment name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Name = args[0]
			o.ReadOnlyGiven = cmd.Flags().Changed("read-only")
			if runF != nil {
				return runF(o)
			}
			return runAdd(cmd.Context(), o)
		},
	}
	cmd.Flags().StringVar(&o.URL, "url", "", "PowerSchool server URL, e.g. https://district.powerschool.com (required)")
	cmd.Flags().StringVar(&o.ClientID, "client-id", "", "the plugin's client ID (required)")
	cmd.Flags().BoolVar(&o.SecretStdin, "client-secret-stdin", false, "read the client secret from standard input")
	cmd.Flags().BoolVar(&o.ReadOnly, "read-only", false, "refuse every request that could write, for this environment")
	cmd.Flags().StringVar(&o.CAFile, "ca-file", "", "PEM file of the CA that signed the server's certificate (on-premises servers)")
	cmd.Flags().BoolVar(&o.AllowHTTP, "allow-http", false, "allow a plain http:// URL to a non-loopback host")
	cmd.Flags().BoolVar(&o.Use, "use", false, "make it the current environment")
	cmd.Flags().BoolVar(&o.Force, "force", false, "replace an existing environment of that name")
	cmd.Flags().BoolVar(&o.NoVerify, "no-verify", false, "save without first requesting a token with the credentials")
	cmd.Flags().DurationVar(&o.Timeout, "timeout", 0, "give up on a request attempt to this environment after this long, e.g. 90s")
	cmd.Flags().Var(cmdutil.RateFlag{D: &o.Rate}, "rate", "least time between two requests to this environment, e.g. 200ms (the plugin's minimum interval between API requests)")
	return cmd
}

// ReadSecret gets a client secret from stdin or a no-echo prompt.
// Ctrl-C and Ctrl-D abort (exit 2) before anything is saved.
func ReadSecret(ctx context.Context, ios *iostreams.IOStreams, fromStdin bool) (string, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	var s string
	var err error
	if fromStdin {
		s, err = ios.ReadLine(ctx)
		if errors.Is(err, iostreams.ErrAborted) {
			return "", cmdutil.UsageError("the client secret is empty: pipe it in on standard input with --client-secret-stdin")
		}
	} else {
		s, err = ios.ReadSecret(ctx, "Client secret (input hidden): ")
		if errors.Is(err, iostreams.ErrNoTTY) {
			return "", cmdutil.UsageError("no terminal to prompt for the client secret: pipe it in with --client-secret-stdin")
		}
		if errors.Is(err, iostreams.ErrAborted) {
			return "", &cmdutil.ExitError{Code: cmdutil.ExitUsage, Err: errors.New("cancelled: nothing was saved")}
		}
	}
	if err != nil {
		return "", err
	}
	if s == "" {
		return "", cmdutil.UsageError("the client secret is empty: copy it from the plugin's Data Provider Configuration page")
	}
	return s, nil
}

func runAdd(ctx context.Context, o *AddOptions) error {
	if o.URL == "" || o.ClientID == "" {
		return cmdutil.UsageError("psctl env add needs --url and --client-id (the client secret is then prompted for)")
	}
	if err := config.ValidateName(o.Name); err != nil {
		return cmdutil.UsageError("%v", err)
	}
	if err := cmdutil.CheckURL(o.URL, o.AllowHTTP); err != nil {
		return err
	}
	secret, err := ReadSecret(ctx, o.IO, o.SecretStdin)
	if err != nil {
		return err
	}
	if o.Timeout < 0 {
		return cmdutil.UsageError("--timeout must be a positive duration such as 90s")
	}
	env := &config.Environment{URL: o.URL, ClientID: o.ClientID, ReadOnly: o.ReadOnly, CAFile: o.CAFile, AllowHTTP: o.AllowHTTP, Timeout: o.Timeout, Rate: o.Rate}
	if !o.NoVerify {
		if err := verifyCredentials(ctx, o, env, secret); err != nil {
			return err
		}
	}
	loc, err := o.Factory.SaveEnvironment(o.Name, env, secret, cmdutil.SaveOptions{Use: o.Use, Force: o.Force, ReadOnlyGiven: o.ReadOnlyGiven})
	if err != nil {
		return err
	}
	cfg, _ := o.Factory.Config()
	fmt.Fprintf(o.IO.ErrOut, "Saved environment %q (%s); secret stored in %s.\n", o.Name, env.URL, loc)
	if cfg.Current == o.Name {
		fmt.Fprintf(o.IO.ErrOut, "It is the current environment. Check it with: psctl auth status\n")
	} else {
		fmt.Fprintf(o.IO.ErrOut, "Use it with --env %s, or make it current with: psctl env use %s\n", o.Name, o.Name)
	}
	return nil
}

// verifyCredentials requests a token with the new credentials; nothing is
// saved when the server refuses them or cannot be reached.
func verifyCredentials(ctx context.Context, o *AddOptions, env *config.Environment, secret string) error {
	if ctx == nil {
		ctx = context.Background()
	}
	t := &cmdutil.Target{Name: o.Name, URL: strings.TrimRight(env.URL, "/"), ClientID: env.ClientID, Secret: secret, CAFile: env.CAFile, AllowHTTP: env.AllowHTTP, Timeout: env.Timeout, Rate: env.Rate}
	c, err := o.Factory.ClientFor(t)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if _, err := c.Token(ctx); err != nil {
		if errors.Is(err, context.Canceled) {
			return cmdutil.ErrCancelled
		}
		if powerschool.IsAuthError(err) {
			return cmdutil.AuthError(fmt.Errorf("%s refused the client ID and secret (%v); nothing was saved: copy them again from the plugin's Data Provider Configuration page", t.URL, err))
		}
		return fmt.Errorf("could not check the credentials with %s: %w\nnothing was saved: fix the URL, or save without checking with --no-verify", t.URL, t.Explain(err))
	}
	return nil
}

// ListOptions are the inputs of psctl env list.
type ListOptions struct {
	IO      *iostreams.IOStreams
	Factory *cmdutil.Factory
	Output  cmdutil.OutputFlags
}

// NewCmdList returns psctl env list.
func NewCmdList(f *cmdutil.Factory, runF func(*ListOptions) error) *cobra.Command {
	o := &ListOptions{IO: f.IOStreams, Factory: f}
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List environments; * marks the current one",
		Args:    cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(o)
			}
			return runList(o)
		},
	}
	cmdutil.AddOutputFlags(cmd, &o.Output, output.Table)
	return cmd
}

type envRecord struct {
	Current  string `json:"current"`
	Name     string `json:"name"`
	URL      string `json:"url"`
	ClientID string `json:"client_id"`
	ReadOnly bool   `json:"read_only"`
}

func runList(o *ListOptions) error {
	cfg, err := o.Factory.Config()
	if err != nil {
		return err
	}
	if len(cfg.Environments) == 0 {
		fmt.Fprintln(o.IO.ErrOut, "No environments yet. Add one with psctl env add NAME --url URL --client-id ID, import one with psctl env import FILE, or run psctl demo.")
		return nil
	}
	w, err := o.Output.Open(o.IO)
	if err != nil {
		return err
	}
	for _, name := range cfg.Names() {
		e := cfg.Environments[name]
		mark := ""
		if name == cfg.Current {
			mark = "*"
		}
		if err := w.Write(envRecord{mark, name, e.URL, e.ClientID, e.ReadOnly}); err != nil {
			w.Abort()
			return err
		}
	}
	return w.Finish()
}

// UseOptions are the inputs of psctl env use.
type UseOptions struct {
	IO      *iostreams.IOStreams
	Factory *cmdutil.Factory
	Name    string
}

// NewCmdUse returns psctl env use.
func NewCmdUse(f *cmdutil.Factory, runF func(*UseOptions) error) *cobra.Command {
	o := &UseOptions{IO: f.IOStreams, Factory: f}
	return &cobra.Command{
		Use:               "use NAME",
		ValidArgsFunction: firstArg(f.CompleteEnvNames),
		Short:             "Make an environment the current one",
		Args:              cmdutil.ExactArgs(1, "an environment name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Name = args[0]
			if runF != nil {
				return runF(o)
			}
			err := o.Factory.UpdateConfig(func(cfg *config.Config) error {
				if _, err := cfg.Get(o.Name); err != nil {
					return cmdutil.UsageError("%v", err)
				}
				cfg.Current = o.Name
				return nil
			})
			if err != nil {
				return err
			}
			fmt.Fprintf(o.IO.ErrOut, "Now using environment %q.\n", o.Name)
			return nil
		},
	}
}

// ShowOptions are the inputs of psctl env show.
type ShowOptions struct {
	IO      *iostreams.IOStreams
	Factory *cmdutil.Factory
	Name    string
	Output  cmdutil.OutputFlags
}

// NewCmdShow returns psctl env show.
func NewCmdShow(f *cmdutil.Factory, runF func(*ShowOptions) error) *cobra.Command {
	o := &ShowOptions{IO: f.IOStreams, Factory: f}
	cmd := &cobra.Command{
		Use:               "show [NAME]",
		ValidArgsFunction: firstArg(f.CompleteEnvNames),
		Short:             "Show an environment (secret masked) and where its secret is stored",
		Args:              cmdutil.MaxArgs(1, "one environment name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				o.Name = args[0]
			}
			if runF != nil {
				return runF(o)
			}
			return runShow(o)
		},
	}
	cmdutil.AddOutputFlags(cmd, &o.Output, output.Table)
	return cmd
}

type showRecord struct {
	Name         string `json:"name"`
	Current      bool   `json:"current"`
	URL          string `json:"url"`
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
	SecretStored string `json:"secret_stored_in"`
	ReadOnly     bool   `json:"read_only"`
	CAFile       string `json:"ca_file,omitempty"`
	AllowHTTP    bool   `json:"allow_http,omitempty"`
	Timeout      string `json:"timeout,omitempty"`
	Rate         string `json:"rate,omitempty"`
	TokenCached  bool   `json:"token_cached"`
}

func runShow(o *ShowOptions) error {
	cfg, err := o.Factory.Config()
	if err != nil {
		return err
	}
	name := o.Name
	if name == "" {
		name, _, err = o.Factory.SelectedEnv()
		if err != nil {
			return err
		}
		if name == "" {
			return cmdutil.UsageError("no current environment: name one (psctl env show NAME) or pick one with psctl env use NAME")
		}
	}
	env, err := cfg.Get(name)
	if err != nil {
		return cmdutil.UsageError("%v", err)
	}
	rec := showRecord{Name: name, Current: cfg.Current == name, URL: env.URL, ClientID: env.ClientID, ReadOnly: env.ReadOnly, CAFile: env.CAFile, AllowHTTP: env.AllowHTTP}
	if env.Timeout > 0 {
		rec.Timeout = env.Timeout.String()
	}
	if env.Rate > 0 {
		rec.Rate = env.Rate.String()
	}
	sec, err := o.Factory.Secrets()
	if err != nil {
		return err
	}
	secret, loc, err := sec.Get(name, env.SecretStore)
	if err != nil {
		rec.ClientSecret = "(missing)"
		rec.SecretStored = err.Error()
	} else {
		rec.ClientSecret = "********"
		rec.SecretStored = loc.String()
	}
	dir, _ := o.Factory.ConfigDir()
	tc := &config.TokenCache{Dir: dir, Secret: secret}
	if tok, _ := tc.Load(context.Background(), powerschool.CacheKey(env.URL, env.ClientID)); tok != nil {
		rec.TokenCached = true
	}
	return o.Output.WriteOne(o.IO, rec)
}

// RemoveOptions are the inputs of psctl env remove.
type RemoveOptions struct {
	IO      *iostreams.IOStreams
	Factory *cmdutil.Factory
	Name    string
}

// NewCmdRemove returns psctl env remove.
func NewCmdRemove(f *cmdutil.Factory, runF func(*RemoveOptions) error) *cobra.Command {
	o := &RemoveOptions{IO: f.IOStreams, Factory: f}
	return &cobra.Command{
		Use:               "remove NAME",
		ValidArgsFunction: firstArg(f.CompleteEnvNames),
		Aliases:           []string{"rm"},
		Short:             "Remove an environment, its stored secret and its cached token",
		Args:              cmdutil.ExactArgs(1, "an environment name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Name = args[0]
			if runF != nil {
				return runF(o)
			}
			return runRemove(o)
		},
	}
}

func runRemove(o *RemoveOptions) error {
	cfg, err := o.Factory.Config()
	if err != nil {
		return err
	}
	env, err := cfg.Get(o.Name)
	if err != nil {
		return cmdutil.UsageError("%v", err)
	}
	sec, err := o.Factory.Secrets()
	if err != nil {
		return err
	}
	secret, _, _ := sec.Get(o.Name, env.SecretStore)
	if err := sec.Delete(o.Name); err != nil {
		return err
	}
	dir, _ := o.Factory.ConfigDir()
	tc := &config.TokenCache{Dir: dir, Secret: secret}
	if err := tc.Delete(context.Background(), powerschool.CacheKey(env.URL, env.ClientID)); err != nil {
		return err
	}
	wasCurrent := cfg.Current == o.Name
	err = o.Factory.UpdateConfig(func(cfg *config.Config) error { return cfg.Remove(o.Name) })
	if err != nil {
		return err
	}
	cfg, _ = o.Factory.Config()
	fmt.Fprintf(o.IO.ErrOut, "Removed environment %q, its secret and its cached token.\n", o.Name)
	if wasCurrent && len(cfg.Environments) > 0 {
		fmt.Fprintln(o.IO.ErrOut, "It was the current environment; pick another with psctl env use NAME.")
	}
	return nil
}

// firstArg completes the first argument with fn, and nothing after it.
func firstArg(fn cobra.CompletionFunc) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return fn(cmd, args, toComplete)
	}
}
