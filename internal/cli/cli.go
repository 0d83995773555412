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
)

// Version is set at build time with -ldflags "-X github.com/pskit/pskit/internal/cli.Version=...".
var Version = "dev"

// Main runs psctl with os.Args and returns the process exit code. Ctrl-C
// or SIGTERM cancels the root context, so long pulls stop promptly.
func Main() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return Run(ctx, cmdutil.New(Version), os.Args[1:])
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
	// The SDK prefixes its errors for library users; on the command line
	// the "psctl:" prefix already says who speaks.
	msg := strings.ReplaceAll(strings.TrimPrefix(err.Error(), "powerschool: "), ": powerschool: ", ": ")
	fmt.Fprintf(f.IOStreams.ErrOut, "psctl: %s\n", msg)
	return code
}
