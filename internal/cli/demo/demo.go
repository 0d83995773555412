// Package demo implements psctl demo: the whole integration flow against an
// emulated district, with nothing configured.
package demo

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/pskit/pskit/emulator"
	"github.com/pskit/pskit/internal/cli/cmdutil"
	"github.com/pskit/pskit/internal/cli/data"
	"github.com/pskit/pskit/internal/cli/iostreams"
	"github.com/pskit/pskit/internal/config"
	"github.com/pskit/pskit/internal/output"
	"github.com/spf13/cobra"
)

// EnvName is the environment the demo saves.
const EnvName = "demo"

// Options are the inputs of psctl demo.
type Options struct {
	IO       *iostreams.IOStreams
	Factory  *cmdutil.Factory
	Students int
	Seed     int64
	Output   string
	Serve    bool
	// Ready, when set, is called with the server URL once the tour is done
	// and the demo is serving (tests).
	Ready func(url string)
}

// NewCmdDemo returns psctl demo.
func NewCmdDemo(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	o := &Options{IO: f.IOStreams, Factory: f}
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run the whole flow against a local emulated district (nothing to configure)",
		Long: `Start an emulated PowerSchool district in this process, install an example
plugin, take the client ID and secret it is given, save them as environment
"demo", obtain and validate a token, show the district, and pull every
student into students.csv with a progress bar. An existing file is never
replaced: when students.csv exists, the students go to students-1.csv (or
the next free number), and the same for --output.

The emulator lives as long as this command: with --serve it keeps running
after the tour until Ctrl-C, so the demo environment can be used from
another terminal.`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(o)
			}
			return run(cmd.Context(), o)
		},
	}
	cmd.Flags().IntVar(&o.Students, "students", emulator.DefaultStudents, "number of students in the emulated district")
	cmd.Flags().Int64Var(&o.Seed, "seed", 0, "seed for the emulated district")
	cmd.Flags().StringVar(&o.Output, "output", "students.csv", "where to write the students")
	cmd.Flags().BoolVar(&o.Serve, "serve", false, "keep the emulator running after the tour, until Ctrl-C")
	return cmd
}

// claimOutput creates path, or when it exists the first free path-N.ext
// (students-1.csv, ...), without opening anything that exists: the demo
// then replaces only a file it created itself.
func claimOutput(path string) (string, error) {
	ext := filepath.Ext(path)
	stem := strings.TrimSuffix(path, ext)
	for i := 0; i < 1000; i++ {
		p := path
		if i > 0 {
			p = fmt.Sprintf("%s-%d%s", stem, i, ext)
		}
		f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err == nil {
			return p, f.Close()
		}
		if !errors.Is(err, fs.ErrExist) {
			return "", err
		}
	}
	return "", fmt.Errorf("%s and the next 999 numbered names all exist", path)
}

func run(ctx context.Context, o *Options) error {
	say := func(format string, a ...any) { fmt.Fprintf(o.IO.ErrOut, format+"\n", a...) }
	step := 0
	next := func(format string, a ...any) {
		step++
		fmt.Fprintf(o.IO.ErrOut, "\n%d. %s\n", step, fmt.Sprintf(format, a...))
	}

	next("Starting an emulated PowerSchool district (%d students) on this machine", o.Students)
	started := time.Now()
	srv, err := emulator.Start(ctx, emulator.Options{Students: o.Students, Seed: o.Seed})
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("starting the emulator: %w", err)
	}
	defer srv.Close()
	say("   listening on %s (ready in %s)", srv.URL(), time.Since(started).Round(time.Millisecond))

	next("Installing an example plugin, as a district administrator would")
	creds, err := srv.InstallPlugin(emulator.DefaultPlugin)
	if err != nil {
		return fmt.Errorf("installing the example plugin: %w", err)
	}
	say("   PowerSchool generated plugin ID %d with client ID %s and a client secret", creds.PluginID, creds.ClientID)

	next("Saving them as environment %q", EnvName)
	cfg, err := o.Factory.Config()
	if err != nil {
		return err
	}
	makeCurrent := cfg.Current == "" || cfg.Current == EnvName
	if old, ok := cfg.Environments[EnvName]; ok && !cmdutil.IsLoopbackURL(old.URL) {
		return cmdutil.UsageError("an environment named %q already exists for %s, which is not a demo emulator; the demo leaves it alone: rename it (psctl env import) or remove it (psctl env remove %s) first", EnvName, old.URL, EnvName)
	}
	// The demo environment always points at a throw-away local emulator:
	// each run replaces the last run's.
	loc, err := o.Factory.SaveEnvironment(EnvName, &config.Environment{URL: srv.URL(), ClientID: creds.ClientID}, creds.ClientSecret, cmdutil.SaveOptions{Use: makeCurrent, Force: true})
	if err != nil {
		return err
	}
	say("   secret stored in %s", loc)
	// Use exactly these credentials, whatever PS_* variables say.
	target := &cmdutil.Target{Name: EnvName, URL: srv.URL(), ClientID: creds.ClientID, Secret: creds.ClientSecret, SecretFrom: loc}

	next("Obtaining an access token and validating it against /ws/v1/metadata")
	client, err := o.Factory.ClientFor(target)
	if err != nil {
		return err
	}
	info, err := client.ValidateToken(ctx)
	if err != nil {
		return target.Explain(err)
	}
	if !info.Valid {
		return cmdutil.AuthError(fmt.Errorf("the emulator did not accept its own token; this is a bug in pskit"))
	}
	tok, err := client.Token(ctx)
	if err != nil {
		return target.Explain(err)
	}
	say("   token valid for plugin ID %d on PowerSchool %s, expires %s", info.PluginID, info.PowerSchoolVersion, tok.Expiry.Local().Format(time.RFC1123))

	next("The district (GET /ws/v1/district):")
	raw, err := client.Get(ctx, "/ws/v1/district", nil)
	if err != nil {
		return target.Explain(err)
	}
	district := data.Unwrap(raw, "district")
	if err := output.WriteOne(o.IO.Out, output.Options{Format: output.Table, TTY: o.IO.IsStdoutTTY(), Fields: []string{"name", "district_number", "uuid"}}, district); err != nil {
		return err
	}

	outFile, err := claimOutput(o.Output)
	if err != nil {
		return cmdutil.UsageError("cannot create %s: %v; choose another file with --output", o.Output, err)
	}
	if outFile != o.Output {
		say("\n   %s already exists and is left alone.", o.Output)
	}
	next("Pulling every student into %s", outFile)
	pullStart := time.Now()
	res, err := data.Pull(ctx, &data.ListOptions{
		IO: o.IO, Factory: o.Factory, Resource: "students", Target: target,
		Output: cmdutil.OutputFlags{Format: string(output.CSV), File: outFile},
	})
	if err != nil {
		os.Remove(outFile) // the empty file claimed above
		return err
	}
	say("   %d students in %s", res.Records, time.Since(pullStart).Round(time.Millisecond))

	say("\nDone. The environment %q now holds the emulator's URL and credentials.", EnvName)
	if !makeCurrent {
		say("Your current environment (%s) is unchanged.", cfg.Current)
	}
	tryNext := fmt.Sprintf(`Commands to try against it (while an emulator serves it):
  psctl --env %[1]s auth status
  psctl --env %[1]s students --limit 5 -o table --fields id,name.first_name,name.last_name
  psctl --env %[1]s count students --q 'name.last_name==S*'
  psctl --env %[1]s get /ws/v1/district/school -v`, EnvName)
	if !o.Serve {
		say(`
The emulator stops with this command, so the %[1]q environment only works while
one serves it. To keep going:
  psctl demo --serve                the same tour, then serve until Ctrl-C
  psctl emulator --save-env local   a long-running emulator saved as environment "local"

%[2]s

For a real server: psctl env add NAME --url https://... --client-id ID (see docs/cli.md).`, EnvName, tryNext)
		return nil
	}
	say("\nServing %s until Ctrl-C.\n%s", srv.URL(), tryNext)
	if o.Ready != nil {
		o.Ready(srv.URL())
	}
	<-ctx.Done()
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("stopping the emulator: %w", err)
	} else if err != nil {
		say("Connections still open after 5s were closed.")
	}
	say("Emulator stopped.")
	return nil
}
