// Package secrets stores client secrets: in the OS keyring when there is one
// (every call under a timeout, because a headless Linux session without a
// Secret Service can hang on D-Bus), else in a 0600 file in the config
// directory.
package secrets

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/pskit/pskit/internal/config"
	"github.com/zalando/go-keyring"
)

// EnvSecret overrides the stored secret of whichever environment is used.
const EnvSecret = "PS_CLIENT_SECRET"

// Service is the keyring service name entries are stored under.
const Service = "psctl"

// FileName is the fallback file inside the config directory.
const FileName = "secrets.json"

// DefaultTimeout bounds each keyring call.
const DefaultTimeout = 3 * time.Second

// Location says where a secret is kept.
type Location struct {
	Kind string // config.SecretKeyring, config.SecretFile or "env"
	Path string // the file, for Kind == file
}

// String is the human description shown by psctl env show and auth status.
func (l Location) String() string {
	switch l.Kind {
	case config.SecretKeyring:
		return "keyring"
	case config.SecretFile:
		return "file " + l.Path
	case "env":
		return "environment variable " + EnvSecret
	}
	return "nowhere"
}

// ErrNotFound means no secret is stored for the environment.
var ErrNotFound = errors.New("secret not found")

// Store reads and writes client secrets. The zero value is not usable; use New.
type Store struct {
	dir     string
	warn    io.Writer
	timeout time.Duration
	getenv  func(string) string
	ring    backend

	mu            sync.Mutex
	keyringBroken error // set after the first keyring failure: later calls go straight to the file
	warned        bool
}

// Option configures a Store.
type Option func(*Store)

// WithTimeout bounds each keyring call (default DefaultTimeout).
func WithTimeout(d time.Duration) Option { return func(s *Store) { s.timeout = d } }

// WithoutKeyring uses the file backend only.
func WithoutKeyring() Option {
	return func(s *Store) { s.keyringBroken = errors.New("the OS keyring is turned off") }
}

// WithGetenv replaces os.Getenv (tests).
func WithGetenv(f func(string) string) Option { return func(s *Store) { s.getenv = f } }

// New returns a Store keeping its fallback file in dir and writing its
// one-time fallback warning to warn.
func New(dir string, warn io.Writer, opts ...Option) *Store {
	s := &Store{dir: dir, warn: warn, timeout: DefaultTimeout, getenv: os.Getenv, ring: osKeyring{}}
	for _, o := range opts {
		o(s)
	}
	return s
}

// FilePath is the fallback secrets file.
func (s *Store) FilePath() string { return filepath.Join(s.dir, FileName) }

// Set stores the secret of environment name, in the keyring when it works,
// else in the file (warning once), and reports where it went.
func (s *Store) Set(name, secret string) (Location, error) {
	if secret == "" {
		return Location{}, errors.New("the client secret is empty: paste the Client Secret shown on the plugin's Data Provider Configuration page")
	}
	if err := s.keyringCall(func() error { return s.ring.Set(Service, name, secret) }); err == nil {
		// A stale file copy would shadow nothing but is still a copy: drop it.
		_ = s.fileDelete(name)
		return Location{Kind: config.SecretKeyring}, nil
	}
	if err := s.fileSet(name, secret); err != nil {
		return Location{}, err
	}
	s.warnFallback()
	return Location{Kind: config.SecretFile, Path: s.FilePath()}, nil
}

// Get returns the stored secret for environment name, from the store named
// by hint (config.SecretKeyring, config.SecretFile, or "" to try both).
// PS_CLIENT_SECRET is not consulted: it belongs to the PS_* set, used only
// as a whole and never with a stored environment's URL.
func (s *Store) Get(name, hint string) (string, Location, error) {
	if hint != config.SecretFile {
		var secret string
		err := s.keyringCall(func() error {
			v, err := s.ring.Get(Service, name)
			secret = v
			return err
		})
		if err == nil {
			return secret, Location{Kind: config.SecretKeyring}, nil
		}
		if hint == config.SecretKeyring {
			if errors.Is(err, keyring.ErrNotFound) {
				return "", Location{}, fmt.Errorf("no client secret for environment %q in the OS keyring: run psctl env add %s --force again", name, name)
			}
			return "", Location{}, fmt.Errorf("cannot read the client secret of environment %q from the OS keyring (%v): unlock the keyring and try again", name, err)
		}
	}
	secret, err := s.fileGet(name)
	if errors.Is(err, ErrNotFound) {
		return "", Location{}, fmt.Errorf("no client secret stored for environment %q: run psctl env add %s --force again", name, name)
	}
	if err != nil {
		return "", Location{}, err
	}
	return secret, Location{Kind: config.SecretFile, Path: s.FilePath()}, nil
}

// Delete removes the secret from both stores; a missing secret is fine.
func (s *Store) Delete(name string) error {
	err := s.keyringCall(func() error { return s.ring.Delete(Service, name) })
	if err != nil && !errors.Is(err, keyring.ErrNotFound) && s.isBroken() == nil {
		return fmt.Errorf("cannot remove the secret of %q from the OS keyring: %v", name, err)
	}
	return s.fileDelete(name)
}

func (s *Store) isBroken() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.keyringBroken
}

// keyringCall runs f with a timeout. A timeout or an unavailable keyring
// marks the keyring broken for the rest of the process so no later call
// waits again; ErrNotFound is an ordinary answer.
func (s *Store) keyringCall(f func() error) error {
	if err := s.isBroken(); err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() { done <- f() }() // abandoned on timeout: a hung D-Bus call cannot be cancelled
	var err error
	select {
	case err = <-done:
	case <-time.After(s.timeout):
		err = fmt.Errorf("the OS keyring did not answer within %v", s.timeout)
	}
	if err != nil && !errors.Is(err, keyring.ErrNotFound) {
		s.mu.Lock()
		s.keyringBroken = err
		s.mu.Unlock()
	}
	return err
}

func (s *Store) warnFallback() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.warned || s.warn == nil {
		return
	}
	s.warned = true
	fmt.Fprintf(s.warn, "warning: no OS keyring is available (%v); the client secret is stored in %s (mode 0600), readable by anyone who can act as your user\n", s.keyringBroken, s.FilePath())
}

func (s *Store) readFile() (map[string]string, error) {
	if err := config.FixFileMode(s.FilePath(), s.warn); err != nil {
		return nil, err
	}
	data, err := os.ReadFile(s.FilePath())
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]string{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cannot read secrets file: %w", err)
	}
	m := map[string]string{}
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("secrets file %s is damaged (%v): delete it and run psctl env add again", s.FilePath(), err)
	}
	return m, nil
}

func (s *Store) writeFile(m map[string]string) error {
	if err := config.EnsureDir(s.dir, s.warn); err != nil {
		return err
	}
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return config.WriteFileAtomic(s.FilePath(), data)
}

// lockFile holds the secrets file's lock for a read-modify-write.
func (s *Store) lockFile() (func(), error) {
	if err := config.EnsureDir(s.dir, s.warn); err != nil {
		return nil, err
	}
	return config.LockFile(s.FilePath())
}

func (s *Store) fileSet(name, secret string) error {
	unlock, err := s.lockFile()
	if err != nil {
		return err
	}
	defer unlock()
	m, err := s.readFile()
	if err != nil {
		return err
	}
	m[name] = secret
	return s.writeFile(m)
}

func (s *Store) fileGet(name string) (string, error) {
	m, err := s.readFile()
	if err != nil {
		return "", err
	}
	v, ok := m[name]
	if !ok || v == "" {
		return "", ErrNotFound
	}
	return v, nil
}

func (s *Store) fileDelete(name string) error {
	if _, err := os.Stat(s.FilePath()); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	unlock, err := s.lockFile()
	if err != nil {
		return err
	}
	defer unlock()
	m, err := s.readFile()
	if err != nil {
		return err
	}
	if _, ok := m[name]; !ok {
		return nil
	}
	delete(m, name)
	return s.writeFile(m)
}

// backend is the keyring API, replaceable in tests (e.g. by one that hangs).
type backend interface {
	Set(service, user, secret string) error
	Get(service, user string) (string, error)
	Delete(service, user string) error
}

type osKeyring struct{}

func (osKeyring) Set(service, user, secret string) error   { return keyring.Set(service, user, secret) }
func (osKeyring) Get(service, user string) (string, error) { return keyring.Get(service, user) }
func (osKeyring) Delete(service, user string) error        { return keyring.Delete(service, user) }
