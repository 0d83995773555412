// Package e2e proves pskit's reliability and security guarantees across
// packages: the real SDK and psctl against the in-process emulator, with
// faults injected through the emulator's controls.
package e2e

import (
	"context"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/pskit/pskit/emulator"
	"github.com/pskit/pskit/internal/cli"
	"github.com/pskit/pskit/powerschool"
)

// quickRetry keeps retry waits short so fault tests run in seconds, with
// enough retries that a seeded run of 5-10% faults never exhausts them.
var quickRetry = powerschool.RetryPolicy{MaxRetries: 25, MinWait: time.Millisecond, MaxWait: 20 * time.Millisecond, MaxRetryAfter: 20 * time.Millisecond}

// district is a running emulator with the default plugin installed.
type district struct {
	srv   *emulator.Server
	creds emulator.Credentials
}

// startDistrict starts an emulator of n students, stopped at cleanup.
func startDistrict(t testing.TB, opts emulator.Options) *district {
	t.Helper()
	srv, err := emulator.Start(context.Background(), opts)
	if err != nil {
		t.Fatalf("starting the emulator: %v", err)
	}
	t.Cleanup(func() { srv.Close() })
	creds, err := srv.InstallPlugin(emulator.DefaultPlugin)
	if err != nil {
		t.Fatalf("installing the plugin: %v", err)
	}
	return &district{srv: srv, creds: creds}
}

// Seeding 20,000 students takes seconds: one large district per test
// binary, shared by the tests that only read it.
var (
	bigOnce sync.Once
	big     *district
	bigErr  error
	bigStop func()
)

const bigStudents = 20_000

func bigDistrict(t *testing.T) *district {
	t.Helper()
	bigOnce.Do(func() {
		srv, err := emulator.Start(context.Background(), emulator.Options{Students: bigStudents, Seed: 42})
		if err != nil {
			bigErr = err
			return
		}
		creds, err := srv.InstallPlugin(emulator.DefaultPlugin)
		if err != nil {
			srv.Close()
			bigErr = err
			return
		}
		big, bigStop = &district{srv: srv, creds: creds}, func() { srv.Close() }
	})
	if bigErr != nil {
		t.Fatalf("starting the %d-student emulator: %v", bigStudents, bigErr)
	}
	return big
}

// runAsPsctl makes the test binary act as psctl in a child process, so
// tests can send it real signals without building a separate binary.
const runAsPsctl = "PSKIT_E2E_RUN_PSCTL"

func TestMain(m *testing.M) {
	if os.Getenv(runAsPsctl) == "1" {
		os.Exit(cli.Main())
	}
	code := m.Run()
	if bigStop != nil {
		bigStop()
	}
	os.Exit(code)
}

// client is an SDK client for d with short retry waits.
func (d *district) client(t testing.TB, opts ...powerschool.Option) *powerschool.Client {
	t.Helper()
	all := append([]powerschool.Option{
		powerschool.WithBaseURL(d.srv.URL()),
		powerschool.WithCredentials(d.creds.ClientID, d.creds.ClientSecret),
		powerschool.WithRetryPolicy(quickRetry),
	}, opts...)
	c, err := powerschool.NewClient(all...)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	return c
}
