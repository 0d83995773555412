// Package root assembles the psctl command tree.
package root

import (
	"github.com/pskit/pskit/internal/cli/auth"
	benchcmd "github.com/pskit/pskit/internal/cli/bench"
	"github.com/pskit/pskit/internal/cli/cmdutil"
	"github.com/pskit/pskit/internal/cli/data"
	"github.com/pskit/pskit/internal/cli/demo"
	"github.com/pskit/pskit/internal/cli/emulatorcmd"
	"github.com/pskit/pskit/internal/cli/env"
	"github.com/pskit/pskit/internal/cli/grades"
	"github.com/pskit/pskit/internal/cli/oneroster"
	plugincmd "github.com/pskit/pskit/internal/cli/plugin"
	querycmd "github.com/pskit/pskit/internal/cli/query"
	registercmd "github.com/pskit/pskit/internal/cli/register"
	synccmd "github.com/pskit/pskit/internal/cli/sync"
	tablecmd "github.com/pskit/pskit/internal/cli/table"
	"github.com/pskit/pskit/internal/cli/versioncmd"
	"github.com/spf13/cobra"
)

// NewCmdRoot returns the psctl root command with every group attached.
// A new command group is one AddCommand line here.
func NewCmdRoot(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "psctl <command>",
		Short: "PowerSchool SIS from the command line",
		Long: `psctl talks to PowerSchool SIS as a plugin does: OAuth client credentials,
then the /ws APIs. Keep one environment per server, read any resource as
JSON, NDJSON, CSV or a table, and run a local emulated district.

New here? Run: psctl demo`,
		Version:       f.Version,
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	cmd.SetVersionTemplate("psctl version {{.Version}}\n")
	cmd.SetOut(f.IOStreams.Out)
	cmd.SetErr(f.IOStreams.ErrOut)
	cmd.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return cmdutil.UsageError("%v; see %s --help", err, c.CommandPath())
	})
	pf := cmd.PersistentFlags()
	pf.StringVar(&f.Flags.Env, "env", "", "environment to use (default: $PSCTL_ENV, else the current one)")
	_ = cmd.RegisterFlagCompletionFunc("env", f.CompleteEnvNames)
	pf.BoolVarP(&f.Flags.Verbose, "verbose", "v", false, "log token handling and every request to stderr (secrets redacted)")
	pf.BoolVar(&f.Flags.ReadOnly, "read-only", false, "refuse every request that could write")
	pf.BoolVar(&f.Flags.Insecure, "insecure", false, "turn off TLS certificate verification (dangerous; prefer --ca-file)")
	pf.StringVar(&f.Flags.CAFile, "ca-file", "", "PEM file of the CA that signed the server's certificate")
	pf.BoolVar(&f.Flags.AllowHTTP, "allow-http", false, "allow plain http:// to a non-loopback host")
	pf.DurationVar(&f.Flags.Timeout, "timeout", 0, "give up on a request attempt after this long, e.g. 90s (default: the environment's timeout setting, else the SDK's)")
	pf.Var(cmdutil.RateFlag{D: &f.Flags.Rate}, "rate", "least time between two requests, e.g. 200ms: the plugin's minimum interval between API requests (default: the environment's rate setting, else learnt from the server's refusals)")
	cmd.PersistentPreRunE = func(c *cobra.Command, args []string) error {
		if f.Flags.Timeout < 0 {
			return cmdutil.UsageError("--timeout must be a positive duration such as 90s, got %v", f.Flags.Timeout)
		}
		return nil
	}

	cmd.AddCommand(env.NewCmdEnv(f))
	cmd.AddCommand(auth.NewCmdAuth(f))
	cmd.AddCommand(data.NewCmds(f)...)
	cmd.AddCommand(emulatorcmd.NewCmdEmulator(f, nil))
	cmd.AddCommand(demo.NewCmdDemo(f, nil))
	cmd.AddCommand(grades.NewCmdGrades(f))
	cmd.AddCommand(oneroster.NewCmdOneRoster(f))
	cmd.AddCommand(plugincmd.NewCmdPlugin(f))
	cmd.AddCommand(registercmd.NewCmdRegister(f))
	cmd.AddCommand(benchcmd.NewCmdBench(f, nil))
	cmd.AddCommand(querycmd.NewCmdQuery(f, nil))
	cmd.AddCommand(tablecmd.NewCmdTable(f))
	cmd.AddCommand(synccmd.NewCmdSync(f, nil))
	cmd.AddCommand(versioncmd.NewCmdVersion(f))
	return cmd
}
