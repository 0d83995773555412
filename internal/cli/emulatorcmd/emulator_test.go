package emulatorcmd

import (
	"context"
	"net"
	"net/url"
	"strings"
	"testing"

	"github.com/pskit/pskit/internal/cli/cmdutil"
	"github.com/pskit/pskit/internal/cli/iostreams"
)

// A connection opened and never used (an HTTP client's spare dial, a slow
// client on a loaded machine) holds net/http's graceful shutdown for up to
// five seconds. Ctrl-C must still stop the emulator cleanly: its grace
// period running out is not a failure.
func TestCtrlCWithAConnectionStillOpen(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the 5s grace period")
	}
	ios, _, _, errOut := iostreams.Test()
	dir := t.TempDir()
	f := &cmdutil.Factory{IOStreams: ios, Getenv: func(k string) string {
		if k == "PSCTL_CONFIG_DIR" {
			return dir
		}
		return ""
	}}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan string, 1)
	o := &Options{IO: ios, Factory: f, Addr: "127.0.0.1:0", Students: 3, Ready: func(u string) { ready <- u }}
	done := make(chan error, 1)
	go func() { done <- run(ctx, o) }()
	var u string
	select {
	case u = <-ready:
	case err := <-done:
		t.Fatalf("emulator ended early: %v\n%s", err, errOut)
	}
	pu, _ := url.Parse(u)
	conn, err := net.Dial("tcp", pu.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	cancel() // Ctrl-C
	if err := <-done; err != nil {
		t.Fatalf("Ctrl-C with a connection open: %v", err)
	}
	if !strings.Contains(errOut.String(), "Emulator stopped.") {
		t.Errorf("stderr: %s", errOut)
	}
}
