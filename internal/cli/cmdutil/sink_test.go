package cmdutil

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/pskit/pskit/internal/cli/iostreams"
)

// The --output destination is checked before anything is pulled.
func TestOpenSinkRefusesBadDestinations(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "file"), nil, 0o600)
	for name, path := range map[string]string{
		"directory":        dir,
		"missing parent":   filepath.Join(dir, "no", "such", "out.csv"),
		"parent is a file": filepath.Join(dir, "file", "out.csv"),
	} {
		if _, err := OpenSink(ios, path); err == nil || ExitCode(err) != ExitUsage {
			t.Errorf("%s: OpenSink(%s) = %v, want a usage error", name, path, err)
		}
	}
	if err := os.Symlink(filepath.Join(dir, "gone"), filepath.Join(dir, "dangling")); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenSink(ios, filepath.Join(dir, "dangling")); err == nil {
		t.Error("a dangling symlink was accepted")
	}
}

func TestOpenSinkDashIsStdout(t *testing.T) {
	ios, _, out, _ := iostreams.Test()
	s, err := OpenSink(ios, "-")
	if err != nil {
		t.Fatal(err)
	}
	s.W.Write([]byte("x\n"))
	if err := s.Commit(); err != nil || out.String() != "x\n" {
		t.Fatalf("stdout got %q (%v)", out, err)
	}
	if _, err := os.Stat("-"); err == nil {
		t.Error("a file named - was created")
	}
}

// A symlink keeps being a symlink; its target receives the data.
func TestOpenSinkFollowsSymlinks(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	dir := t.TempDir()
	target, link := filepath.Join(dir, "real.csv"), filepath.Join(dir, "link.csv")
	os.WriteFile(target, []byte("old"), 0o600)
	os.Symlink(target, link)
	s, err := OpenSink(ios, link)
	if err != nil {
		t.Fatal(err)
	}
	s.W.Write([]byte("new"))
	if err := s.Commit(); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Lstat(link); fi.Mode()&os.ModeSymlink == 0 {
		t.Error("the symlink was replaced by a regular file")
	}
	if b, _ := os.ReadFile(target); string(b) != "new" {
		t.Errorf("target holds %q, want new", b)
	}
}

// A named pipe is written through, not replaced.
func TestOpenSinkWritesThroughPipes(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip("no mkfifo:", err)
	}
	got := make(chan string, 1)
	go func() {
		b, _ := os.ReadFile(fifo)
		got <- string(b)
	}()
	s, err := OpenSink(ios, fifo)
	if err != nil {
		t.Fatal(err)
	}
	s.W.Write([]byte("rows\n"))
	if err := s.Commit(); err != nil {
		t.Fatal(err)
	}
	if g := <-got; g != "rows\n" {
		t.Errorf("reader got %q", g)
	}
	if fi, _ := os.Lstat(fifo); fi.Mode()&os.ModeNamedPipe == 0 {
		t.Error("the named pipe was replaced")
	}
}

// Leftovers of a killed run are removed by the next run; a live run's file
// is kept.
func TestOpenSinkRemovesStalePartials(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	dir := t.TempDir()
	out := filepath.Join(dir, "s.csv")
	dead := filepath.Join(dir, ".s.csv.partial-2147480000-123")
	live := filepath.Join(dir, ".s.csv.partial-"+strconv.Itoa(os.Getppid())+"-456")
	os.WriteFile(dead, nil, 0o600)
	os.WriteFile(live, nil, 0o600)
	s, err := OpenSink(ios, out)
	if err != nil {
		t.Fatal(err)
	}
	s.Stop(nil)
	if _, err := os.Stat(dead); err == nil {
		t.Error("a dead run's partial file is still there")
	}
	if _, err := os.Stat(live); err != nil {
		t.Error("a live run's partial file was removed")
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), "partial") && e.Name() != filepath.Base(live) {
			t.Errorf("left behind: %s", e.Name())
		}
	}
}
