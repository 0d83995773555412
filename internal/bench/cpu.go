package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/pskit/pskit/emulator"
)

// CPUResult is the CPU time (user + system) one psctl child process spent
// writing every student to a file, through one API.
type CPUResult struct {
	Command   string        `json:"command"`
	Records   int           `json:"records"`
	CPU       time.Duration `json:"cpu"`
	PerRecord time.Duration `json:"cpu_per_record"`
	// VsStudents is this command's CPU per record over psctl students'.
	VsStudents float64 `json:"vs_students"`
}

// cpuCommands are the pulls compared: the /ws/v1 student list, the table
// API and a PowerQuery, all writing NDJSON to a file.
var cpuCommands = [][]string{
	{"students"},
	{"table", "list", "students"},
	{"query", "com.pearson.core.student.search.get_student_basic_info"},
}

// CPU runs each command of cpuCommands in a child psctl against an
// emulated district of cfg.Sizes[0] students (default 20,000; page size
// cfg.PageSize, default 100) and reports the child's CPU time, the median
// of runs. Only the client's own work is counted: the emulator runs in
// this process.
func CPU(ctx context.Context, cfg MemoryConfig, runs int, log io.Writer) ([]CPUResult, error) {
	n := DefaultStudents
	if len(cfg.Sizes) > 0 {
		n = cfg.Sizes[0]
	}
	if cfg.PageSize == 0 {
		cfg.PageSize = DefaultPageSize
	}
	if runs < 1 {
		runs = 1
	}
	if cfg.Command == nil {
		return nil, fmt.Errorf("CPU measurement: no command to run psctl")
	}
	dir, err := os.MkdirTemp("", "psctl-bench-cpu-")
	if err != nil {
		return nil, fmt.Errorf("CPU measurement: %w", err)
	}
	defer os.RemoveAll(dir)
	fmt.Fprintf(log, "Seeding %d students...\n", n)
	srv, err := emulator.Start(ctx, emulator.Options{Students: n, Seed: cfg.Seed, MaxPageSize: cfg.PageSize, Plugin: emulator.DefaultPlugin})
	if err != nil {
		return nil, fmt.Errorf("starting the emulator with %d students: %w", n, err)
	}
	defer srv.Close()
	creds := srv.Credentials()
	env := []string{"PS_URL=" + creds.URL, "PS_CLIENT_ID=" + creds.ClientID, "PS_CLIENT_SECRET=" + creds.ClientSecret,
		"PSCTL_CONFIG_DIR=" + filepath.Join(dir, "config")}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PS_") && !strings.HasPrefix(kv, "PSCTL_") {
			env = append(env, kv)
		}
	}
	var out []CPUResult
	for _, args := range cpuCommands {
		name := "psctl " + strings.Join(args, " ")
		var cpus []time.Duration
		for i := range runs {
			fmt.Fprintf(log, "%s: run %d of %d\n", name, i+1, runs)
			file := filepath.Join(dir, "out.ndjson")
			cmd := cfg.Command(ctx, append(append([]string(nil), args...), "-o", "ndjson", "--output", file))
			cmd.Env = env
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Run(); err != nil {
				return nil, fmt.Errorf("%s: %w: %s", name, err, strings.TrimSpace(stderr.String()))
			}
			cpus = append(cpus, cmd.ProcessState.UserTime()+cmd.ProcessState.SystemTime())
			b, err := os.ReadFile(file)
			if err != nil {
				return nil, fmt.Errorf("%s: reading what it wrote: %w", name, err)
			}
			if lines := bytes.Count(b, []byte("\n")); lines != n {
				return nil, fmt.Errorf("%s wrote %d records, want %d", name, lines, n)
			}
		}
		r := CPUResult{Command: name, Records: n, CPU: median(cpus)}
		r.PerRecord = r.CPU / time.Duration(n)
		out = append(out, r)
	}
	for i := range out {
		out[i].VsStudents = float64(out[i].CPU) / float64(out[0].CPU)
	}
	return out, nil
}

func median(ds []time.Duration) time.Duration {
	s := append([]time.Duration(nil), ds...)
	for i := range s {
		for j := i + 1; j < len(s); j++ {
			if s[j] < s[i] {
				s[i], s[j] = s[j], s[i]
			}
		}
	}
	return s[len(s)/2]
}

// TargetCPU is the goal: the table API's and PowerQuery's CPU per
// record within 1.5x of the student list's.
const TargetCPU = 1.5

// WriteCPUText prints CPU results as an aligned table and the target.
func WriteCPUText(w io.Writer, rs []CPUResult) error {
	for _, r := range rs {
		mark := ""
		if r.VsStudents > 1 {
			mark = "  MISSED"
			if r.VsStudents <= TargetCPU {
				mark = "  met"
			}
			mark = fmt.Sprintf("  (target: within %.1fx of psctl students:%s)", TargetCPU, mark)
		}
		if _, err := fmt.Fprintf(w, "%-80s %d records  CPU %8s  %6s/record  %.2fx%s\n", r.Command, r.Records,
			r.CPU.Round(time.Millisecond), r.PerRecord.Round(100*time.Nanosecond), r.VsStudents, mark); err != nil {
			return err
		}
	}
	return nil
}
