// Package auth implements psctl auth: token status, printing and logout.
package auth

import (
	"context"
	"fmt"
	"time"

	"github.com/pskit/pskit/internal/cli/cmdutil"
	"github.com/pskit/pskit/internal/cli/iostreams"
	"github.com/pskit/pskit/internal/config"
	"github.com/pskit/pskit/internal/output"
	"github.com/pskit/pskit/powerschool"
	"github.com/spf13/cobra"
)

// NewCmdAuth returns the auth command group.
func NewCmdAuth(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "auth",
		Short: "Check, print or drop the access token of an environment",
	}
	cmd.AddCommand(NewCmdStatus(f, nil), NewCmdToken(f, nil), NewCmdLogout(f, nil))
	return cmd
}

// StatusOptions are the inputs of psctl auth status.
type StatusOptions struct {
	IO      *iostreams.IOStreams
	Factory *cmdutil.Factory
	Output  cmdutil.OutputFlags
}

// NewCmdStatus returns psctl auth status.
func NewCmdStatus(f *cmdutil.Factory, runF func(*StatusOptions) error) *cobra.Command {
	o := &StatusOptions{IO: f.IOStreams, Factory: f}
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Validate the token and show server, plugin, version, expiry and secret source",
		Long: `Obtain (or reuse the cached) access token, validate it against
/ws/v1/metadata, and show what the server says about it. Exits 4 when the
credentials or the token are refused.`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(o)
			}
			return runStatus(cmd.Context(), o)
		},
	}
	cmdutil.AddOutputFlags(cmd, &o.Output, output.Table)
	return cmd
}

type statusRecord struct {
	Environment        string `json:"environment"`
	Server             string `json:"server"`
	ClientID           string `json:"client_id"`
	PluginID           int    `json:"plugin_id"`
	PowerSchoolVersion string `json:"powerschool_version"`
	TokenExpires       string `json:"token_expires"`
	SecretFrom         string `json:"secret_from"`
	ReadOnly           bool   `json:"read_only"`
}

func runStatus(ctx context.Context, o *StatusOptions) error {
	client, t, err := o.Factory.Client(ctx)
	if err != nil {
		return err
	}
	info, err := client.ValidateToken(ctx)
	if err != nil {
		return t.Explain(err)
	}
	if !info.Valid {
		// The SDK already replaced an invalid cached token; a fresh one
		// refused by /ws/v1/metadata means the plugin has no API access.
		client.InvalidateToken(ctx)
		return cmdutil.AuthError(fmt.Errorf("%s: the server issued a token but /ws/v1/metadata does not accept it (no plugin_id): the plugin may be disabled or lack API access; check it under System > System Settings > Plugin Management Configuration", t.Label()))
	}
	tok, err := client.Token(ctx)
	if err != nil {
		return t.Explain(err)
	}
	rec := statusRecord{
		Environment: t.Name, Server: t.URL, ClientID: t.ClientID,
		PluginID: info.PluginID, PowerSchoolVersion: info.PowerSchoolVersion,
		SecretFrom: t.SecretFrom.String(), ReadOnly: t.ReadOnly,
	}
	if rec.Environment == "" {
		rec.Environment = "(from PS_URL, PS_CLIENT_ID, PS_CLIENT_SECRET)"
	}
	if !tok.Expiry.IsZero() {
		rec.TokenExpires = fmt.Sprintf("%s (in %s)", tok.Expiry.Local().Format(time.RFC3339), time.Until(tok.Expiry).Round(time.Minute))
	}
	return o.Output.WriteOne(o.IO, rec)
}

// TokenOptions are the inputs of psctl auth token.
type TokenOptions struct {
	IO      *iostreams.IOStreams
	Factory *cmdutil.Factory
}

// NewCmdToken returns psctl auth token.
func NewCmdToken(f *cmdutil.Factory, runF func(*TokenOptions) error) *cobra.Command {
	o := &TokenOptions{IO: f.IOStreams, Factory: f}
	return &cobra.Command{
		Use:   "token",
		Short: "Print the access token, for piping into other tools",
		Long: `Print the environment's access token on stdout, obtaining one if needed.
Treat it like a password: anyone holding it reads the district's data
until it expires.`,
		Example: `  curl -H "Authorization: Bearer $(psctl auth token)" https://district.powerschool.com/ws/v1/district`,
		Args:    cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(o)
			}
			client, t, err := o.Factory.Client(cmd.Context())
			if err != nil {
				return err
			}
			tok, err := client.Token(cmd.Context())
			if err != nil {
				return t.Explain(err)
			}
			fmt.Fprintln(o.IO.Out, tok.AccessToken)
			return nil
		},
	}
}

// LogoutOptions are the inputs of psctl auth logout.
type LogoutOptions struct {
	IO      *iostreams.IOStreams
	Factory *cmdutil.Factory
}

// NewCmdLogout returns psctl auth logout.
func NewCmdLogout(f *cmdutil.Factory, runF func(*LogoutOptions) error) *cobra.Command {
	o := &LogoutOptions{IO: f.IOStreams, Factory: f}
	return &cobra.Command{
		Use:   "logout",
		Short: "Drop the cached access token (the next command gets a new one)",
		Args:  cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(o)
			}
			t, err := o.Factory.Resolve()
			if err != nil {
				return err
			}
			dir, err := o.Factory.ConfigDir()
			if err != nil {
				return err
			}
			// The cache entry is this environment's alone (keyed by its URL,
			// client ID and secret): other environments keep their tokens.
			tc := &config.TokenCache{Dir: dir, Secret: t.Secret}
			if err := tc.Delete(cmd.Context(), powerschool.CacheKey(t.URL, t.ClientID)); err != nil {
				return err
			}
			fmt.Fprintf(o.IO.ErrOut, "Dropped the cached token of %s. The credentials stay; remove them with psctl env remove.\n", t.Label())
			return nil
		},
	}
}
