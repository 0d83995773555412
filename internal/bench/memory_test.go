package bench_test

import (
	"context"
	"os"
	"os/exec"
	"runtime"
	"testing"

	"github.com/pskit/pskit/internal/bench"
	"github.com/pskit/pskit/internal/cli"
)

// The test binary doubles as psctl for Memory's child processes.
func TestMain(m *testing.M) {
	if os.Getenv("PSKIT_BENCH_TEST_PSCTL") == "1" {
		os.Exit(cli.Main())
	}
	os.Exit(m.Run())
}

func TestMemoryRunsPsctlAndChecksItsOutput(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cfg := bench.MemoryConfig{Sizes: []int{120, 250}, Seed: 2, Command: func(ctx context.Context, args []string) *exec.Cmd {
		cmd := exec.CommandContext(ctx, exe, args...)
		cmd.Env = []string{"PSKIT_BENCH_TEST_PSCTL=1"}
		return cmd
	}}
	rs, err := bench.Memory(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 4 {
		t.Fatalf("%d results, want 4 (2 sizes x ndjson, csv)", len(rs))
	}
	for _, r := range rs {
		want := r.Students
		if r.Format == "csv" {
			want++
		}
		if r.Lines != want || r.Bytes == 0 {
			t.Errorf("%d students as %s: %d lines, %d bytes", r.Students, r.Format, r.Lines, r.Bytes)
		}
		if runtime.GOOS == "linux" && r.PeakRSS < 1<<20 {
			t.Errorf("%d students as %s: peak RSS %d bytes; the kernel reports more for any Go process", r.Students, r.Format, r.PeakRSS)
		}
	}
}
