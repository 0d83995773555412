// Package versioncmd says which psctl is running: psctl version and
// --version, from the module's build information.
package versioncmd

import (
	"fmt"
	"runtime/debug"

	"github.com/pskit/pskit/internal/cli/cmdutil"
	"github.com/spf13/cobra"
)

// Current is this binary's version: the module version go install
// recorded (v1.2.3, or a pseudo-version), else "dev", followed by the
// commit it was built from and whether the tree had uncommitted changes.
// A version set at link time (-ldflags -X) wins over the module's.
func Current(linked string) string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		bi = nil
	}
	return Describe(bi, linked)
}

// Describe formats bi (nil when the binary has none).
func Describe(bi *debug.BuildInfo, linked string) string {
	v := linked
	if v == "" && bi != nil && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		v = bi.Main.Version
	}
	if v == "" {
		v = "dev"
	}
	if bi == nil {
		return v
	}
	var rev, modified string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value
		}
	}
	if rev == "" {
		return v
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if modified == "true" {
		return fmt.Sprintf("%s (commit %s, modified)", v, rev)
	}
	return fmt.Sprintf("%s (commit %s)", v, rev)
}

// NewCmdVersion returns psctl version.
func NewCmdVersion(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Show psctl's version and the commit it was built from",
		Args:  cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			_, err := fmt.Fprintf(f.IOStreams.Out, "psctl version %s\n", f.Version)
			return err
		},
	}
}
