package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// StampFormat is how TRANSACTION_DATE and WHENMODIFIED values are written:
// UTC, to the second, so they sort as text and a FIQL =ge= with a date
// ("transaction_date=ge=2026-01-05") compares as a client expects.
const StampFormat = time.RFC3339

// Write runs fn in a transaction, one writer at a time. Every write in the
// emulator goes through here: SQLite has a single writer, and a deferred
// transaction that upgrades to a write while another writer holds the lock
// fails with SQLITE_BUSY at once, whatever the busy timeout.
//
// Before fn runs, the transaction records the emulator's clock in
// EMU_CLOCK, which the change triggers read for TRANSACTION_DATE and
// WHENMODIFIED.
func (s *Store) Write(ctx context.Context, fn func(tx *sql.Tx) error) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	tx, err := s.DB.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `UPDATE EMU_CLOCK SET NOW = ?`, s.Now().Format(StampFormat)); err != nil {
		return fmt.Errorf("stamping the write: %w", err)
	}
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// SetBaseClock replaces the clock the emulator's time follows (time.Now by
// default); AdvanceClock and SetClock shift it.
func (s *Store) SetBaseClock(now func() time.Time) {
	s.cmu.Lock()
	defer s.cmu.Unlock()
	s.base = now
}

// Now is the emulator's data clock, in UTC: the base clock shifted by
// AdvanceClock or SetClock.
func (s *Store) Now() time.Time {
	s.cmu.Lock()
	defer s.cmu.Unlock()
	base := time.Now
	if s.base != nil {
		base = s.base
	}
	return base().Add(s.offset).UTC().Truncate(time.Second)
}

// AdvanceClock moves the data clock forward by d (backward when negative)
// and returns the new time.
func (s *Store) AdvanceClock(d time.Duration) time.Time {
	s.cmu.Lock()
	s.offset += d
	s.cmu.Unlock()
	return s.Now()
}

// SetClock sets the data clock to t; it runs on from there.
func (s *Store) SetClock(t time.Time) time.Time {
	s.cmu.Lock()
	base := time.Now
	if s.base != nil {
		base = s.base
	}
	s.offset = t.Sub(base())
	s.cmu.Unlock()
	return s.Now()
}
