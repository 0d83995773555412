// Package cli implements the psctl commands.
package cli

import (
	"fmt"
	"os"
)

// Version is set at build time with -ldflags "-X github.com/pskit/pskit/internal/cli.Version=...".
var Version = "dev"

// Main runs psctl with os.Args and returns the process exit code.
func Main() int {
	fmt.Fprintf(os.Stdout, "psctl %s\n", Version)
	return 0
}
