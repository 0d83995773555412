package cmdutil

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/pskit/pskit/internal/cli/iostreams"
	"github.com/pskit/pskit/internal/output"
)

// Sink is stdout, a device or pipe written through, or a temp file renamed
// over --output on success so a failed or interrupted pull never leaves a
// truncated file.
type Sink struct {
	W      interface{ Write([]byte) (int, error) }
	stdout bool // a failed run still shows the whole records it wrote
	commit func() error
	abort  func()
}

// Stop ends a failed run: whole records stay on stdout, a temp file goes.
func (s *Sink) Stop(w output.Writer) {
	if s.stdout && w != nil {
		_ = w.Abort()
	}
	s.abort()
}

// OpenSink checks the --output destination before anything is pulled:
// "" and "-" are stdout; a directory, a missing parent or a dangling
// symlink fail at once; devices and pipes are written through; a symlink
// to a file has its target replaced, never the link itself.
func OpenSink(ios *iostreams.IOStreams, path string) (*Sink, error) {
	if path == "" || path == "-" {
		return &Sink{W: ios.Out, stdout: true, commit: func() error { return nil }, abort: func() {}}, nil
	}
	fi, err := os.Lstat(path)
	switch {
	case err == nil && fi.Mode()&fs.ModeSymlink != 0:
		target, err := filepath.EvalSymlinks(path)
		if err != nil {
			return nil, UsageError("--output %s is a symbolic link whose target cannot be used (%v): give the target's path, or remove the link", path, err)
		}
		return OpenSink(ios, target)
	case err == nil && fi.IsDir():
		return nil, UsageError("--output %s is a directory: give a file name, such as %s", path, filepath.Join(path, "out.json"))
	case err == nil && !fi.Mode().IsRegular():
		// A device, a named pipe or a socket: write through, never replace.
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			return nil, UsageError("cannot write to --output %s: %v", path, err)
		}
		return &Sink{W: f, commit: f.Close, abort: func() { f.Close() }}, nil
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return nil, UsageError("cannot write to --output %s: %v", path, err)
	}
	dir := filepath.Dir(path)
	if di, err := os.Stat(dir); err != nil || !di.IsDir() {
		return nil, UsageError("cannot write to --output %s: the folder %s does not exist; create it first", path, dir)
	}
	removeStalePartials(dir, filepath.Base(path))
	tmp, err := os.CreateTemp(dir, partialPrefix(filepath.Base(path))+strconv.Itoa(os.Getpid())+"-*")
	if err != nil {
		return nil, UsageError("cannot write to --output %s: %v", path, err)
	}
	// Student data: readable by the owner only.
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return nil, err
	}
	s := &Sink{W: tmp}
	s.abort = func() {
		tmp.Close()
		os.Remove(tmp.Name())
	}
	s.commit = func() error {
		if err := tmp.Sync(); err != nil {
			s.abort()
			return fmt.Errorf("writing %s: %w", path, err)
		}
		if err := tmp.Close(); err != nil {
			os.Remove(tmp.Name())
			return fmt.Errorf("writing %s: %w", path, err)
		}
		if err := os.Rename(tmp.Name(), path); err != nil {
			os.Remove(tmp.Name())
			return fmt.Errorf("writing %s: %w", path, err)
		}
		return nil
	}
	return s, nil
}

// partialPrefix names the temp files of an --output file: the writer's
// process ID follows, so a later run can tell a killed run's leftovers
// from a live run's file.
func partialPrefix(base string) string { return "." + base + ".partial-" }

// removeStalePartials deletes temp files of base left by runs that no
// longer exist (killed before they could clean up).
func removeStalePartials(dir, base string) {
	prefix := partialPrefix(base)
	matches, _ := filepath.Glob(filepath.Join(dir, globEscape(prefix)+"*"))
	for _, m := range matches {
		pidText, _, ok := strings.Cut(strings.TrimPrefix(filepath.Base(m), prefix), "-")
		pid, err := strconv.Atoi(pidText)
		if !ok || err != nil || pid == os.Getpid() || processAlive(pid) {
			continue
		}
		os.Remove(m)
	}
}

func globEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, "*", `\*`, "?", `\?`, "[", `\[`).Replace(s)
}

// Commit puts a file in place after a successful run.
func (s *Sink) Commit() error { return s.commit() }
