package bench

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/pskit/pskit/emulator"
)

// MemoryConfig shapes a memory measurement: for each district size, psctl
// writes every student in each format to a file, in a child process whose
// peak resident memory the operating system reports when it exits.
type MemoryConfig struct {
	Sizes   []int    `json:"sizes"`   // default 20,000 and 1,000,000 students
	Formats []string `json:"formats"` // default ndjson and csv
	// PageSize is the plugin's maximum page size (default 1000). The
	// emulator pages with OFFSET, so a page deep in a million students
	// costs a scan of the rows before it; large pages keep that in bounds.
	PageSize int   `json:"page_size"`
	Seed     int64 `json:"seed"`
	// Command returns the psctl process to run with args; the caller's
	// environment is replaced by the one Memory sets. The bench command
	// re-runs its own executable.
	Command func(ctx context.Context, args []string) *exec.Cmd `json:"-"`
}

// MemoryResult is one child process: one size, one format.
type MemoryResult struct {
	Students int           `json:"students"`
	PageSize int           `json:"page_size"`
	Format   string        `json:"format"`
	PeakRSS  int64         `json:"peak_rss_bytes"` // 0 where the platform does not report it
	Wall     time.Duration `json:"wall"`
	Bytes    int64         `json:"file_bytes"`
	Lines    int           `json:"file_lines"`
}

// Memory runs the measurement. Each size needs a seeded district, which
// for a million students takes about half a minute.
func Memory(ctx context.Context, cfg MemoryConfig, log io.Writer) ([]MemoryResult, error) {
	if len(cfg.Sizes) == 0 {
		cfg.Sizes = []int{20_000, 1_000_000}
	}
	if len(cfg.Formats) == 0 {
		cfg.Formats = []string{"ndjson", "csv"}
	}
	if cfg.PageSize == 0 {
		cfg.PageSize = 1000
	}
	if cfg.PageSize < 1 {
		return nil, fmt.Errorf("memory measurement: page size must be at least 1, got %d", cfg.PageSize)
	}
	if cfg.Command == nil {
		return nil, errors.New("memory measurement: no command to run psctl")
	}
	if log == nil {
		log = io.Discard
	}
	dir, err := os.MkdirTemp("", "psctl-bench-memory-")
	if err != nil {
		return nil, fmt.Errorf("memory measurement: %w", err)
	}
	defer os.RemoveAll(dir)
	var out []MemoryResult
	for _, n := range cfg.Sizes {
		fmt.Fprintf(log, "Seeding %d students...\n", n)
		srv, err := emulator.Start(ctx, emulator.Options{Students: n, Seed: cfg.Seed, MaxPageSize: cfg.PageSize, Plugin: emulator.DefaultPlugin})
		if err != nil {
			return nil, fmt.Errorf("starting the emulator with %d students: %w", n, err)
		}
		for _, f := range cfg.Formats {
			fmt.Fprintf(log, "Writing %d students as %s...\n", n, f)
			r, err := memoryRun(ctx, cfg, srv.Credentials(), dir, n, f)
			if err != nil {
				srv.Close()
				return nil, err
			}
			out = append(out, r)
		}
		srv.Close()
	}
	return out, nil
}

func memoryRun(ctx context.Context, cfg MemoryConfig, creds emulator.Credentials, dir string, n int, format string) (MemoryResult, error) {
	file := filepath.Join(dir, fmt.Sprintf("students-%d.%s", n, format))
	cmd := cfg.Command(ctx, []string{"students", "-o", format, "--output", file})
	// Only what the pull needs: the target from the environment, and a
	// private config directory so no user setting or token cache applies.
	env := []string{"PS_URL=" + creds.URL, "PS_CLIENT_ID=" + creds.ClientID, "PS_CLIENT_SECRET=" + creds.ClientSecret,
		"PSCTL_CONFIG_DIR=" + filepath.Join(dir, "config")}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PS_") && !strings.HasPrefix(kv, "PSCTL_") {
			env = append(env, kv)
		}
	}
	cmd.Env = append(cmd.Env, env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return MemoryResult{}, fmt.Errorf("starting psctl: %w", err)
	}
	hwm := watchHWM(cmd.Process.Pid)
	err := cmd.Wait()
	peak := hwm()
	if err != nil {
		return MemoryResult{}, fmt.Errorf("psctl students -o %s for %d students: %w: %s", format, n, err, strings.TrimSpace(stderr.String()))
	}
	if peak == 0 {
		peak = peakRSS(cmd.ProcessState)
	}
	r := MemoryResult{Students: n, PageSize: cfg.PageSize, Format: format, Wall: time.Since(start), PeakRSS: peak}
	fh, err := os.Open(file)
	if err != nil {
		return r, fmt.Errorf("reading what psctl wrote: %w", err)
	}
	defer fh.Close()
	defer os.Remove(file)
	sc := bufio.NewScanner(fh)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		r.Lines++
		r.Bytes += int64(len(sc.Bytes())) + 1
	}
	if err := sc.Err(); err != nil {
		return r, fmt.Errorf("reading what psctl wrote: %w", err)
	}
	want := n
	if format == "csv" {
		want++ // the header
	}
	if r.Lines != want {
		return r, fmt.Errorf("psctl wrote %d lines of %s for %d students, want %d", r.Lines, format, n, want)
	}
	return r, nil
}

// watchHWM polls the process's peak resident memory (VmHWM in
// /proc/PID/status, Linux) until the returned function is called, which
// gives the last value seen: VmHWM only grows, and it belongs to the program
// the process runs now, not to the parent it was forked from. It gives 0
// where /proc is missing. (The kernel's rusage maximum is no use here: a
// child forked from this process counts the emulator's memory before exec.)
func watchHWM(pid int) func() int64 {
	path := fmt.Sprintf("/proc/%d/status", pid)
	stop, done := make(chan struct{}), make(chan int64, 1)
	go func() {
		var peak int64
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			if v := readHWM(path); v > peak {
				peak = v
			}
			select {
			case <-stop:
				done <- peak
				return
			case <-t.C:
			}
		}
	}()
	return func() int64 {
		close(stop)
		return <-done
	}
}

// readHWM returns VmHWM in bytes, or 0.
func readHWM(path string) int64 {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			var kb int64
			fmt.Sscan(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), &kb)
			return kb * 1024
		}
	}
	return 0
}

// WriteMemoryText prints the memory results as a table.
func WriteMemoryText(w io.Writer, rs []MemoryResult) error {
	fmt.Fprintln(w, "peak resident memory of `psctl students -o FORMAT --output FILE` (a child process)")
	for _, r := range rs {
		rss := "not reported on this platform"
		if r.PeakRSS > 0 {
			rss = fmt.Sprintf("%.1f MiB", float64(r.PeakRSS)/(1<<20))
		}
		_, err := fmt.Fprintf(w, "%9d students  page size %d  %-6s  peak RSS %s  wall %s  file %.1f MiB\n", r.Students, r.PageSize, r.Format, rss,
			r.Wall.Round(10*time.Millisecond), float64(r.Bytes)/(1<<20))
		if err != nil {
			return err
		}
	}
	return nil
}
