// Command gendocs writes the psctl command reference, one markdown page per
// command, from the commands themselves. Run it from the module root after
// changing a command, flag or help text:
//
//	go run ./internal/cli/gendocs
//
// A test fails while docs/reference is out of date.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/pskit/pskit/internal/cli/cmdutil"
	"github.com/pskit/pskit/internal/cli/iostreams"
	"github.com/pskit/pskit/internal/cli/root"
	"github.com/spf13/cobra/doc"
)

// Regenerate is the command that brings the reference up to date.
const Regenerate = "go run ./internal/cli/gendocs"

func main() {
	dir := flag.String("dir", filepath.Join("docs", "reference"), "directory to write the pages to (its .md files are replaced)")
	flag.Parse()
	if err := generate(*dir); err != nil {
		fmt.Fprintln(os.Stderr, "gendocs:", err)
		os.Exit(1)
	}
}

// generate replaces dir's markdown pages with the reference.
func generate(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	old, err := filepath.Glob(filepath.Join(dir, "*.md"))
	if err != nil {
		return err
	}
	for _, p := range old {
		if err := os.Remove(p); err != nil {
			return err
		}
	}
	ios, _, _, _ := iostreams.Test()
	// Nothing machine-specific reaches the pages: a fixed version, no
	// environment, no date.
	f := &cmdutil.Factory{IOStreams: ios, Version: "dev", Getenv: func(string) string { return "" }}
	cmd := root.NewCmdRoot(f)
	cmd.InitDefaultHelpCmd()
	cmd.InitDefaultCompletionCmd()
	cmd.InitDefaultVersionFlag()
	cmd.DisableAutoGenTag = true
	return doc.GenMarkdownTree(cmd, dir)
}
