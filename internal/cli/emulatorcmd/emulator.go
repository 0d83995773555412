// Package emulatorcmd implements psctl emulator: the pskit PowerSchool
// emulator as a long-running local server.
package emulatorcmd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/pskit/pskit/emulator"
	"github.com/pskit/pskit/internal/cli/cmdutil"
	"github.com/pskit/pskit/internal/cli/iostreams"
	"github.com/pskit/pskit/internal/config"
	"github.com/spf13/cobra"
)

// Options are the inputs of psctl emulator.
type Options struct {
	IO              *iostreams.IOStreams
	Factory         *cmdutil.Factory
	Addr            string
	Students        int
	Seed            int64
	DB              string
	PluginFile      string
	CredentialsFile string
	SaveEnv         string
	Force           bool
	TokenTTL        time.Duration
	Latency         time.Duration
	FailRate        float64
	MinInterval     time.Duration
	MaxPageSize     int
	Jitter          time.Duration
	DropRate        float64
	AllowRemote     bool
	AdminUser       string
	TLS             bool
	TLSCAFile       string
	// Ready, when set, is called once the server is listening (tests).
	Ready func(url string)
}

// NewCmdEmulator returns psctl emulator.
func NewCmdEmulator(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	o := &Options{IO: f.IOStreams, Factory: f}
	cmd := &cobra.Command{
		Use:   "emulator",
		Short: "Run a local emulated PowerSchool district until Ctrl-C",
		Long: `Run the pskit PowerSchool emulator: OAuth client credentials, /ws/v1/metadata
and the /ws/v1 resources over a synthetic district, on loopback. A plugin is
installed at start (--plugin, or an example plugin with <oauth/>); its
credentials are written to --credentials-file (mode 0600) and/or saved as a
psctl environment with --save-env. With --tls it serves https, as PowerSchool
does, and writes the CA it made to a file that the credentials file and the
saved environment name, so psctl trusts it without --insecure. Stops cleanly
on Ctrl-C or SIGTERM.`,
		Example: `  psctl emulator --credentials-file emu.json &
  psctl env import emu.json --name local
  psctl --env local students --limit 5 -o table

  psctl emulator --students 100000 --db district.db --save-env local

  psctl emulator --tls --save-env local   # https; the environment trusts its CA`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(o)
			}
			return run(cmd.Context(), o)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&o.Addr, "addr", "127.0.0.1:8080", "address to listen on (loopback)")
	fl.IntVar(&o.Students, "students", emulator.DefaultStudents, "number of students in the synthetic district")
	fl.Int64Var(&o.Seed, "seed", 0, "seed for the synthetic district and faults")
	fl.StringVar(&o.DB, "db", "", "keep the district and installed plugins in this SQLite file")
	fl.StringVar(&o.PluginFile, "plugin", "", "plugin.xml or plugin zip to install (default: an example plugin)")
	fl.StringVar(&o.CredentialsFile, "credentials-file", "", `write {"url","client_id","client_secret","plugin_id"} here, mode 0600`)
	fl.StringVar(&o.SaveEnv, "save-env", "", "save the plugin's credentials as this psctl environment")
	fl.BoolVar(&o.Force, "force", false, "let --save-env replace an existing environment of that name")
	fl.DurationVar(&o.TokenTTL, "token-ttl", 0, "access token lifetime (default 30 days)")
	fl.DurationVar(&o.Latency, "latency", 0, "delay added to every API answer")
	fl.Float64Var(&o.FailRate, "fail-rate", 0, "fraction (0..1) of API requests answered with 500/502/503")
	fl.DurationVar(&o.MinInterval, "min-interval", 0, "minimum time between a plugin's requests; sooner ones get 429")
	fl.IntVar(&o.MaxPageSize, "max-page-size", 0, "maximum (and default) page size (default 100)")
	fl.DurationVar(&o.Jitter, "jitter", 0, "random extra delay, up to this much, added to every API answer")
	fl.Float64Var(&o.DropRate, "drop-rate", 0, "fraction (0..1) of connections closed without an answer")
	fl.BoolVar(&o.AllowRemote, "allow-remote", false, "allow a non-loopback --addr (requires "+adminKeyEnv+" for /emulator/)")
	fl.BoolVar(&o.TLS, "tls", false, "serve https with a certificate for localhost, 127.0.0.1 and ::1 signed by a CA made at start")
	fl.StringVar(&o.TLSCAFile, "tls-ca-file", "", "with --tls, write the CA certificate here (default: beside --credentials-file, else emulator-ca.pem in the psctl config directory)")
	fl.StringVar(&o.AdminUser, "admin-user", emulator.DefaultAdminUser, "user name for the admin pages at /admin/ (password from "+adminPasswordEnv+", else generated)")
	return cmd
}

// Secrets of the emulator itself come from the environment, never from flag
// values, which other users of the machine can read in the process list.
const (
	adminPasswordEnv = "PSCTL_EMULATOR_ADMIN_PASSWORD"
	adminKeyEnv      = "PSCTL_EMULATOR_ADMIN_KEY"
)

func run(ctx context.Context, o *Options) error {
	if o.FailRate < 0 || o.FailRate > 1 {
		return cmdutil.UsageError("--fail-rate must be between 0 and 1, got %v", o.FailRate)
	}
	if o.DropRate < 0 || o.DropRate > 1 {
		return cmdutil.UsageError("--drop-rate must be between 0 and 1, got %v", o.DropRate)
	}
	getenv := os.Getenv
	if o.Factory != nil && o.Factory.Getenv != nil {
		getenv = o.Factory.Getenv
	}
	adminKey := getenv(adminKeyEnv)
	if o.AllowRemote && adminKey == "" {
		return cmdutil.UsageError("--allow-remote needs an admin key for /emulator/: set %s to a long random value", adminKeyEnv)
	}
	adminPassword := getenv(adminPasswordEnv)
	if o.TLSCAFile != "" && !o.TLS {
		return cmdutil.UsageError("--tls-ca-file needs --tls")
	}
	plugin := emulator.DefaultPlugin
	if o.PluginFile != "" {
		b, err := os.ReadFile(o.PluginFile)
		if err != nil {
			return cmdutil.UsageError("cannot read --plugin: %v", err)
		}
		plugin = b
	}
	fmt.Fprintf(o.IO.ErrOut, "Starting the emulator (%d students, seed %d)...\n", o.Students, o.Seed)
	srv, err := emulator.Start(ctx, emulator.Options{
		Addr: o.Addr, TLS: o.TLS, Students: o.Students, Seed: o.Seed, DBPath: o.DB, Plugin: plugin,
		TokenTTL: o.TokenTTL, Latency: o.Latency, FailRate: o.FailRate,
		MinInterval: o.MinInterval, MaxPageSize: o.MaxPageSize,
		Jitter: o.Jitter, DropRate: o.DropRate,
		AllowRemote: o.AllowRemote, AdminKey: adminKey,
		AdminUser: o.AdminUser, AdminPassword: adminPassword,
	})
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return cmdutil.UsageError("%v", err)
	}
	defer srv.Close()
	creds := srv.Credentials()
	creds.URL = srv.URL()

	fmt.Fprintf(o.IO.ErrOut, "PowerSchool emulator listening on %s\n", creds.URL)
	fmt.Fprintf(o.IO.ErrOut, "Plugin ID %d, client ID %s.\n", creds.PluginID, creds.ClientID)
	if o.TLS {
		if creds.CAFile, err = writeCA(o, srv.CACertPEM()); err != nil {
			return err
		}
		fmt.Fprintf(o.IO.ErrOut, "TLS CA certificate written to %s; clients trust it with --ca-file (psctl environments saved or imported from this run already do).\n", creds.CAFile)
	}
	user, password := srv.AdminLogin()
	if adminPassword == "" {
		// A generated password is shown once, so the admin pages can be used;
		// it only guards this throw-away local server.
		fmt.Fprintf(o.IO.ErrOut, "Admin pages: %s/admin/ (user %q, generated password %s; set %s to choose one)\n", creds.URL, user, password, adminPasswordEnv)
	} else {
		fmt.Fprintf(o.IO.ErrOut, "Admin pages: %s/admin/ (user %q, password from %s)\n", creds.URL, user, adminPasswordEnv)
	}
	// The environment is saved before the credentials file is written, so
	// a script that waits for the file finds both.
	if o.SaveEnv != "" {
		loc, err := o.Factory.SaveEnvironment(o.SaveEnv, &config.Environment{URL: creds.URL, ClientID: creds.ClientID, CAFile: creds.CAFile}, creds.ClientSecret, cmdutil.SaveOptions{Force: o.Force})
		if err != nil {
			return err
		}
		fmt.Fprintf(o.IO.ErrOut, "Saved as environment %q (secret in %s). Try:\n  psctl --env %s auth status\n", o.SaveEnv, loc, o.SaveEnv)
	}
	if o.CredentialsFile != "" {
		if err := emulator.WriteCredentials(o.CredentialsFile, creds); err != nil {
			return cmdutil.UsageError("%v", err)
		}
		fmt.Fprintf(o.IO.ErrOut, "Credentials written to %s (mode 0600). Use them with:\n  psctl env import %s --name local\n", o.CredentialsFile, o.CredentialsFile)
	}
	if o.CredentialsFile == "" && o.SaveEnv == "" {
		fmt.Fprintln(o.IO.ErrOut, "To use it from psctl, restart with --save-env NAME, or with --credentials-file FILE and then psctl env import FILE.")
	}
	fmt.Fprintln(o.IO.ErrOut, "Press Ctrl-C to stop.")
	if o.Ready != nil {
		o.Ready(creds.URL)
	}
	<-ctx.Done()
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("stopping the emulator: %w", err)
	} else if err != nil {
		// Connections still open after the grace period were cut: the
		// emulator is stopped all the same.
		fmt.Fprintln(o.IO.ErrOut, "Connections still open after 5s were closed.")
	}
	fmt.Fprintln(o.IO.ErrOut, "Emulator stopped.")
	return nil
}

// writeCA writes the emulator's CA certificate (public, mode 0644) where
// --tls-ca-file says, else beside the credentials file, else in the psctl
// config directory, and returns its absolute path.
func writeCA(o *Options, pemBytes []byte) (string, error) {
	path := o.TLSCAFile
	switch {
	case path != "":
	case o.CredentialsFile != "":
		path = strings.TrimSuffix(o.CredentialsFile, filepath.Ext(o.CredentialsFile)) + "-ca.pem"
	default:
		dir, err := o.Factory.ConfigDir()
		if err != nil {
			return "", cmdutil.UsageError("cannot find the psctl config directory for the TLS CA (%v): give --tls-ca-file FILE", err)
		}
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return "", cmdutil.UsageError("cannot create %s for the TLS CA (%v): give --tls-ca-file FILE", dir, err)
		}
		path = filepath.Join(dir, "emulator-ca.pem")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", cmdutil.UsageError("--tls-ca-file %s: %v", path, err)
	}
	if err := os.WriteFile(abs, pemBytes, 0o644); err != nil {
		return "", cmdutil.UsageError("cannot write the TLS CA to %s (%v): give --tls-ca-file FILE in a writable directory", abs, err)
	}
	if err := os.Chmod(abs, 0o644); err != nil {
		return "", cmdutil.UsageError("cannot set the mode of %s: %v", abs, err)
	}
	return abs, nil
}
