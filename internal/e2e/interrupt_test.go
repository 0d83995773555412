package e2e

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pskit/pskit/emulator"
	"github.com/pskit/pskit/internal/cli/cmdutil"
)

// Ctrl-C during a long pull: psctl (a real child process, a real SIGINT)
// abandons the requests in flight, says how far it got, leaves no output
// file, and exits 2. The emulator then holds every answer for 3 s, so an
// exit sooner than that proves the requests in flight were cancelled
// rather than awaited.
func TestCtrlCEndsPullPromptly(t *testing.T) {
	if testing.Short() {
		t.Skip("runs psctl as a child process")
	}
	const hold = 3 * time.Second
	d := startDistrict(t, emulator.Options{Students: 5000, Seed: 8, MaxPageSize: 20})
	dir := t.TempDir()
	target := filepath.Join(dir, "students.ndjson")
	cmd := exec.Command(os.Args[0], "students", "-o", "ndjson", "--output", target)
	cmd.Env = append(os.Environ(), runAsPsctl+"=1", "PSCTL_NO_KEYRING=1",
		"PSCTL_CONFIG_DIR="+filepath.Join(dir, "config"),
		"PS_URL="+d.srv.URL(), "PS_CLIENT_ID="+d.creds.ClientID, "PS_CLIENT_SECRET="+d.creds.ClientSecret)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			<-exited
		}
	})

	// Once pages flow, hold every further answer, then interrupt.
	deadline := time.Now().Add(20 * time.Second)
	for d.srv.Stats().APIRequests[studentPages] < 1 {
		if time.Now().After(deadline) {
			t.Fatalf("psctl fetched no page within 20s; stderr:\n%s", stderr.String())
		}
		time.Sleep(time.Millisecond)
	}
	if err := d.srv.SetFaults(emulator.Faults{Latency: hold}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // let requests queue behind the hold
	sent := time.Now()
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	var err error
	select {
	case err = <-exited:
	case <-time.After(hold + 10*time.Second):
		t.Fatal("psctl did not exit after SIGINT")
	}
	took := time.Since(sent)
	t.Logf("psctl exited %s after SIGINT", took.Round(time.Millisecond))
	if took >= hold {
		t.Errorf("psctl took %s to exit after SIGINT: it waited for requests in flight instead of cancelling them", took)
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != cmdutil.ExitUsage {
		t.Fatalf("psctl ended with %v, want exit %d; stderr:\n%s", err, cmdutil.ExitUsage, stderr.String())
	}
	msg := stderr.String()
	for _, want := range []string{"interrupted after", "records", "students.ndjson was not written"} {
		if !strings.Contains(msg, want) {
			t.Errorf("stderr lacks %q:\n%s", want, msg)
		}
	}
	if _, err := os.Stat(target); !os.IsNotExist(err) {
		t.Errorf("%s exists after an interrupted pull", target)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "*students.ndjson*")); len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
	if strings.Contains(msg+stdout.String(), d.creds.ClientSecret) {
		t.Error("the client secret was printed")
	}
}
