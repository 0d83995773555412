package admin

import (
	"fmt"
	"testing"
	"time"
)

func TestLockoutPerClientAndPerUser(t *testing.T) {
	l := newLockout()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for range clientBurst {
		l.failed("10.0.0.1", "admin", now)
	}
	if l.allowed("10.0.0.1", "admin", now) {
		t.Fatal("a client past its failures is still allowed")
	}
	if !l.allowed("10.0.0.2", "admin", now) {
		t.Fatal("one client's failures locked out another")
	}
	if !l.allowed("10.0.0.1", "admin", now.Add(refillEvery)) {
		t.Fatal("the client is not let back after the refill interval")
	}
	// Guessing spread over many addresses is slowed per user name.
	for i := range userBurst {
		l.failed(fmt.Sprintf("10.1.0.%d", i), "Teacher", now)
	}
	if l.allowed("10.2.0.1", "teacher", now) {
		t.Fatal("a user name past its failures is still allowed from a new address")
	}
	if !l.allowed("10.2.0.1", "someone-else", now) {
		t.Fatal("one user's failures locked out another user")
	}
}
