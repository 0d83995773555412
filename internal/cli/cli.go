// Package cli implements the psctl commands.
package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/pskit/pskit/internal/cli/cmdutil"
	"github.com/pskit/pskit/internal/cli/root"
	"github.com/pskit/pskit/internal/cli/versioncmd"
)

// Version, when set at link time with -ldflags "-X
// github.com/pskit/pskit/internal/cli.Version=v1.2.3", replaces the module
// version from the build information (see versioncmd.Current).
var Version = ""

// Main runs psctl with os.Args and returns the process exit code. Ctrl-C
// or SIGTERM cancels the root context, so long pulls stop promptly.
func Main() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return Run(ctx, cmdutil.New(versioncmd.Current(Version)), os.Args[1:])
}

// Run executes psctl with args against f's streams and returns the exit code.
func Run(ctx context.Context, f *cmdutil.Factory, args []string) int {
	cmd := root.NewCmdRoot(f)
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(ctx)
	if err == nil {
		return cmdutil.ExitOK
	}
	if ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, ctx.Err())) {
		fmt.Fprintln(f.IOStreams.ErrOut, "psctl: interrupted")
		return cmdutil.ExitUsage
	}
	code := cmdutil.ExitCode(err)
	if code == cmdutil.ExitFailure && strings.HasPrefix(err.Error(), "unknown command") {
		code = cmdutil.ExitUsage
	}
	fmt.Fprintf(f.IOStreams.ErrOut, "psctl: %s\n", cmdutil.ErrorMessage(err))
	return code
}
