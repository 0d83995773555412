// Command psctl is the pskit command line: PowerSchool environments, data,
// plugin tooling and a local emulator in one binary.
package main

import (
	"os"

	"github.com/pskit/pskit/internal/cli"
)

func main() { os.Exit(cli.Main()) }
