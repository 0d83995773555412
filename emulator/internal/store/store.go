// Package store holds the emulated district in embedded SQLite: PowerSchool's
// core tables, the emulator's plugin and token state, and the deterministic
// generator that fills them.
package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"runtime"
	"sync"
	"time"

	"modernc.org/libc"
	_ "modernc.org/sqlite" // registers the "sqlite" driver
	sqlite3 "modernc.org/sqlite/lib"
)

// memdbMaxSize caps an in-memory database. SQLite's default, 1 GiB, is
// too small for the largest district (a million students take about
// 1.64 GiB with their enrolments and indexes) and fails as "database or
// disk is full". An in-memory database is one allocation, and SQLite
// allocates at most just under 2 GiB at once, so that is the cap. Memory is
// only used as the district needs it.
const memdbMaxSize = 0x7fff0000

// memdbLimitErr is why the cap could not be raised (nil when it was).
var memdbLimitErr = raiseMemdbLimit()

// raiseMemdbLimit must run before SQLite is first used: sqlite3_config
// refuses once the library is initialised.
func raiseMemdbLimit() error {
	tls := libc.NewTLS()
	defer tls.Close()
	va := libc.NewVaList(int64(memdbMaxSize))
	defer libc.Xfree(tls, va)
	if rc := sqlite3.Xsqlite3_config(tls, sqlite3.SQLITE_CONFIG_MEMDB_MAXSIZE, va); rc != sqlite3.SQLITE_OK {
		return fmt.Errorf("SQLite refused a larger in-memory limit (code %d)", rc)
	}
	return nil
}

// Store is an open district database. DB is safe for concurrent use; reads
// run in parallel on separate connections. Writes go through Write.
type Store struct {
	DB   *sql.DB
	path string
	uri  string    // the database as an SQLite URI, for seeding's own connection
	keep *sql.Conn // holds an in-memory database open between requests

	wmu sync.Mutex // one writer at a time (see Write)

	seek seekCache // page boundaries (see PageKeys)

	cmu    sync.Mutex // guards base and offset
	base   func() time.Time
	offset time.Duration
}

// Open opens the database at path, creating it (mode 0600) and its schema
// when needed. An empty path gives a private in-memory database that lives
// until Close.
func Open(ctx context.Context, path string) (*Store, error) {
	var dsn, uri string
	if path == "" {
		// memdb with a leading "/" is shared by every connection of this
		// process, so the pool can serve reads in parallel.
		var b [8]byte
		if _, err := rand.Read(b[:]); err != nil {
			return nil, fmt.Errorf("naming the in-memory database: %w", err)
		}
		uri = "file:/pskit-emulator-" + hex.EncodeToString(b[:]) + "?vfs=memdb"
		dsn = uri + "&_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=synchronous(OFF)"
	} else {
		// The file holds client secrets: create it private before SQLite does.
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			return nil, fmt.Errorf("opening the emulator database %s: %w (check the directory exists and is writable)", path, err)
		}
		f.Close()
		uri = "file:" + (&url.URL{Path: path}).EscapedPath()
		dsn = uri + "?_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)"
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("opening the emulator database: %w", err)
	}
	n := max(4, 2*runtime.GOMAXPROCS(0)) + 1
	db.SetMaxOpenConns(n)
	db.SetMaxIdleConns(n)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	if _, err := db.ExecContext(ctx, schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("creating the emulator schema in %q: %w", path, err)
	}
	st := &Store{DB: db, path: path, uri: uri}
	if path == "" {
		// memdb drops its data when its last connection closes.
		if st.keep, err = db.Conn(ctx); err != nil {
			db.Close()
			return nil, fmt.Errorf("opening the in-memory database: %w", err)
		}
	}
	return st, nil
}

// Close releases the database; an in-memory one is gone afterwards.
func (s *Store) Close() error {
	if s.keep != nil {
		s.keep.Close()
	}
	return s.DB.Close()
}

// Persistent reports whether the store lives in a file.
func (s *Store) Persistent() bool { return s.path != "" }

// Seeded reports whether the district already holds data (a reopened file).
func (s *Store) Seeded(ctx context.Context) (bool, error) {
	var n int
	err := s.DB.QueryRowContext(ctx, "SELECT COUNT(*) FROM SCHOOLS").Scan(&n)
	if err != nil {
		return false, fmt.Errorf("checking for existing data: %w", err)
	}
	return n > 0, nil
}

// ErrNotFound is returned when a looked-up record does not exist.
var ErrNotFound = errors.New("not found")
