// Package emulator is a local PowerSchool SIS server: the PowerSchool side of
// the plugin flow (plugin install, OAuth client credentials, /ws/v1) over a
// synthetic district held in embedded SQLite. Use it in-process from Go tests
// or as `psctl emulator`.
//
//	srv, err := emulator.Start(ctx, emulator.Options{Students: 200})
//	creds, err := srv.InstallPlugin(emulator.DefaultPlugin)
//	// talk to srv.URL() with creds.ClientID / creds.ClientSecret
//	defer srv.Close()
//
// Wire behaviour follows pskit's PowerSchool reference; docs/emulator.md
// lists what is faithful (with evidence) and what is assumed.
package emulator

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/pskit/pskit/emulator/internal/gradebook"
	"github.com/pskit/pskit/emulator/internal/respond"
	"github.com/pskit/pskit/emulator/internal/store"
)

// Limits and defaults.
const (
	DefaultStudents    = 1000
	MaxStudents        = 1_000_000
	DefaultMaxPageSize = 100
	// DefaultTokenTTL is about 30 days: a real token "will remain the same
	// for about 30 days" (DRUPALGIRL in the reference).
	DefaultTokenTTL = 30 * 24 * time.Hour
	// PowerSchoolVersion is what /ws/v1/metadata reports; 25.x because
	// accessLevelV1Api is enforced (PowerSchool 25.2+).
	PowerSchoolVersion = "25.12.0.0.253441049"
	// DefaultMaxPlugins is how many plugins may be installed at once.
	DefaultMaxPlugins = 100
)

// Options configures a Server. The zero value is a 1000-student district in
// memory, seed 0, no plugin installed, no faults. Every flag of
// `psctl emulator` maps to a field here.
type Options struct {
	// Addr is where Start listens; "" means 127.0.0.1:0 (a random port).
	Addr string
	// TLS serves https, as PowerSchool does, with a certificate made at
	// New for localhost, 127.0.0.1 and ::1 (and Addr's host), signed by a
	// CA of its own: trust Server.CACertPEM, CertPool or use Server.Client.
	TLS bool
	// Students is the district size (default 1000, at most 1,000,000).
	Students int
	// Seed makes the district and the fault sequence reproducible.
	Seed int64
	// DBPath keeps the district, installed plugins and tokens in a file
	// that survives restarts; "" keeps everything in memory.
	DBPath string
	// Plugin, if set, is a plugin.xml or plugin zip installed at startup
	// (a plugin of the same name already in DBPath is reused, keeping its
	// credentials). See DefaultPlugin and Server.Credentials.
	Plugin []byte
	// TokenTTL is the lifetime of new access tokens (default 30 days).
	TokenTTL time.Duration
	// Latency and Jitter delay every /ws/ and /oauth/ answer by
	// Latency plus a random [0, Jitter).
	Latency, Jitter time.Duration
	// FailRate (0..1) answers that fraction of /ws/ and /oauth/ requests
	// with 500, 502 or 503.
	FailRate float64
	// DropRate (0..1) closes that fraction of connections without answering.
	DropRate float64
	// MinInterval is the default per-plugin minimum time between API
	// requests; requests that come sooner get 429. Zero disables it.
	MinInterval time.Duration
	// MaxPageSize is the default per-plugin maximum (and default) page size
	// for every resource (default 100).
	MaxPageSize int
	// AllowRemote permits listening on a non-loopback address; AdminKey is
	// then required.
	AllowRemote bool
	// AdminKey, when set, must be sent as the X-Emulator-Key header on every
	// /emulator/ request. Required when AllowRemote is set.
	AdminKey string
	// AdminUser and AdminPassword are the login of the admin pages at
	// /admin/. The user defaults to "admin"; an empty password is replaced
	// by a random one (see Server.AdminLogin).
	AdminUser, AdminPassword string
	// MaxPlugins caps the installed plugins (default DefaultMaxPlugins);
	// an install beyond it is refused.
	MaxPlugins int
	// Clock replaces time.Now (tests use it to move time).
	Clock func() time.Time
	// Logger receives one line per request and lifecycle events; nil discards.
	Logger *slog.Logger
}

// AdminKeyHeader carries Options.AdminKey on /emulator/ requests.
const AdminKeyHeader = "X-Emulator-Key"

// Server is a running emulator. All methods are safe for concurrent use.
type Server struct {
	opts  Options
	store *store.Store
	mux   *http.ServeMux
	log   *slog.Logger
	ws    *respond.Dialect // /ws/v1 and /emulator answers, logging to log
	now   func() time.Time
	start time.Time

	mu       sync.RWMutex
	plugins  map[int]*pluginState    // by PLUGINDEF.ID
	byClient map[string]*pluginState // by client id
	tokens   map[string]tokenInfo    // by access token
	startup  Credentials
	faults   Faults
	rng      *rand.Rand // fault decisions; guarded by mu (write lock)

	stats     stats
	gradebook *gradebook.Gradebook // /ws/xte and OneRoster
	tls       *loopbackTLS         // nil unless Options.TLS

	timeouts timeouts // zero: defaultTimeouts; tests shorten them

	httpMu   sync.Mutex
	httpSrv  *http.Server
	url      string
	closed   bool
	closeErr error
}

// New builds the district (or reopens DBPath) and returns a server with no
// listener: use Handler with httptest, or Listen.
func New(opts Options) (*Server, error) {
	if opts.Students == 0 {
		opts.Students = DefaultStudents
	}
	if opts.Students < 0 || opts.Students > MaxStudents {
		return nil, fmt.Errorf("emulator: students must be between 1 and %d, got %d", MaxStudents, opts.Students)
	}
	if opts.MaxPageSize == 0 {
		opts.MaxPageSize = DefaultMaxPageSize
	}
	if opts.MaxPageSize < 0 {
		return nil, fmt.Errorf("emulator: max page size must be positive, got %d", opts.MaxPageSize)
	}
	if opts.TokenTTL == 0 {
		opts.TokenTTL = DefaultTokenTTL
	}
	if opts.AllowRemote && opts.AdminKey == "" {
		return nil, errors.New("emulator: allowing remote access needs an admin key for /emulator/; set one (--admin-key)")
	}
	f := Faults{Latency: opts.Latency, Jitter: opts.Jitter, FailRate: opts.FailRate, DropRate: opts.DropRate, TokenTTL: opts.TokenTTL}
	if err := f.validate(); err != nil {
		return nil, err
	}
	if opts.MinInterval < 0 {
		return nil, fmt.Errorf("emulator: min interval must not be negative, got %s", opts.MinInterval)
	}
	s := &Server{
		opts:     opts,
		log:      opts.Logger,
		now:      opts.Clock,
		plugins:  map[int]*pluginState{},
		byClient: map[string]*pluginState{},
		tokens:   map[string]tokenInfo{},
		faults:   f,
		rng:      rand.New(rand.NewPCG(uint64(opts.Seed), 0xfa017)),
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.ws = respond.V1(s.log)
	if s.now == nil {
		s.now = time.Now
	}
	s.start = s.now()
	if opts.TLS {
		var hosts []string
		if h, _, err := net.SplitHostPort(opts.Addr); err == nil && h != "" && !isLoopback(h) {
			hosts = append(hosts, h)
		}
		t, err := newLoopbackTLS(time.Now(), hosts...)
		if err != nil {
			return nil, fmt.Errorf("emulator: %w", err)
		}
		s.tls = t
	}
	ctx := context.Background()
	st, err := store.Open(ctx, opts.DBPath)
	if err != nil {
		return nil, fmt.Errorf("emulator: %w", err)
	}
	s.store = st
	st.SetBaseClock(s.now)
	seeded, err := st.Seeded(ctx)
	if err == nil && !seeded {
		err = st.Generate(ctx, store.Config{Seed: opts.Seed, Students: opts.Students})
	}
	if err == nil {
		err = s.loadPlugins(ctx)
	}
	if err == nil && opts.Plugin != nil {
		s.startup, err = s.installOrReuse(opts.Plugin)
	}
	if err == nil {
		s.gradebook, err = gradebook.New(ctx, st.DB, gradebook.Options{Now: st.Now, Write: st.Write, PageSizeCap: oneRosterPageCap, Caller: s.schemaCaller})
	}
	if err == nil {
		err = st.TrackChanges(ctx) // after every package has made its tables
	}
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("emulator: %w", err)
	}
	if err := s.routes(); err != nil {
		st.Close()
		return nil, fmt.Errorf("emulator: %w", err)
	}
	return s, nil
}

// Start is New followed by Listen on opts.Addr (default 127.0.0.1:0).
func Start(ctx context.Context, opts Options) (*Server, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s, err := New(opts)
	if err != nil {
		return nil, err
	}
	if err := s.Listen(opts.Addr); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Listen starts serving on addr in the background ("" means 127.0.0.1:0).
// A non-loopback address needs Options.AllowRemote and an AdminKey.
func (s *Server) Listen(addr string) error {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("emulator: address %q: %w (use host:port, e.g. 127.0.0.1:8080)", addr, err)
	}
	if !isLoopback(host) && !s.opts.AllowRemote {
		return fmt.Errorf("emulator: %s is not a loopback address; binding to it exposes the control surface, so it needs --allow-remote and --admin-key", addr)
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("emulator: listening on %s: %w", addr, err)
	}
	return s.Serve(l)
}

// Serve serves on l in the background. The caller is responsible for l
// being on an interface it means to expose.
func (s *Server) Serve(l net.Listener) error {
	s.httpMu.Lock()
	defer s.httpMu.Unlock()
	if s.closed {
		l.Close()
		return errors.New("emulator: server is closed")
	}
	if s.httpSrv != nil {
		l.Close()
		return errors.New("emulator: already listening on " + s.url)
	}
	t := s.timeouts
	if t == (timeouts{}) {
		t = defaultTimeouts
	}
	s.httpSrv = &http.Server{Handler: s.Handler(), ErrorLog: serverLog(s.log),
		ReadHeaderTimeout: t.readHeader, ReadTimeout: t.read, WriteTimeout: t.write, IdleTimeout: t.idle}
	s.url = "http://" + l.Addr().String()
	if s.tls != nil {
		s.httpSrv.TLSConfig = s.tls.config.Clone()
		l = tls.NewListener(l, s.httpSrv.TLSConfig)
		s.url = "https://" + l.Addr().String()
	}
	srv := s.httpSrv
	go func() {
		if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("emulator stopped serving", "err", err)
		}
	}()
	s.log.Info("emulator listening", "url", s.url)
	return nil
}

// timeouts bound how long a connection may hold the server. A client that
// sends its headers or body slowly, or never reads its answer, is cut off.
type timeouts struct {
	readHeader, read, write, idle time.Duration
}

// defaultTimeouts: a request, body included, must arrive within a minute
// (a 64 MiB plugin upload needs about 1 MiB/s); an answer has five minutes,
// and a streamed PowerQuery extends its own deadline as it flushes, so a
// pull of any size works as long as the client keeps reading.
var defaultTimeouts = timeouts{readHeader: 10 * time.Second, read: time.Minute, write: 5 * time.Minute, idle: 2 * time.Minute}

// URL is the base URL, e.g. http://127.0.0.1:41234, or https:// with
// Options.TLS ("" before Listen).
func (s *Server) URL() string {
	s.httpMu.Lock()
	defer s.httpMu.Unlock()
	return s.url
}

// Handler serves the whole emulator; use it with httptest.NewServer when
// you want no listener of the emulator's own.
func (s *Server) Handler() http.Handler { return s.guard(http.HandlerFunc(s.serveHTTP)) }

// Shutdown stops the listener gracefully (waiting for requests in flight
// until ctx ends) and closes the database.
func (s *Server) Shutdown(ctx context.Context) error {
	s.httpMu.Lock()
	defer s.httpMu.Unlock()
	if s.closed {
		return s.closeErr
	}
	s.closed = true
	var err error
	if s.httpSrv != nil {
		err = s.httpSrv.Shutdown(ctx)
		if err != nil {
			s.httpSrv.Close()
		}
	}
	if cerr := s.store.Close(); err == nil {
		err = cerr
	}
	s.closeErr = err
	return err
}

// Close stops the server at once: Shutdown with a grace period of a quarter
// of a second, after which open connections are cut.
func (s *Server) Close() error {
	// Like httptest.Server.Close: answers in progress get a moment to
	// finish, then every connection is cut. A connection a client opened
	// but never used would otherwise hold a graceful shutdown for seconds.
	ctx, cancel := context.WithTimeout(context.Background(), 250*time.Millisecond)
	defer cancel()
	if err := s.Shutdown(ctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return nil
}

// serverLog routes net/http's own messages to the logger, minus its warning
// about ";" in queries, which the emulator handles (see keepSemicolons).
func serverLog(l *slog.Logger) *log.Logger {
	return log.New(logWriter{l}, "", 0)
}

type logWriter struct{ l *slog.Logger }

func (w logWriter) Write(p []byte) (int, error) {
	msg := strings.TrimSpace(string(p))
	if !strings.Contains(msg, "URL query contains semicolon") {
		w.l.Warn(msg)
	}
	return len(p), nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
