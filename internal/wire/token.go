package wire

import (
	"context"
	"net/http"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// DefaultTokenFetchTimeout bounds one token fetch, retries included, even
// when requests have no per-attempt timeout: the fetch holds x/oauth2's lock,
// so a fetch that never ended would block every later call of the client.
const DefaultTokenFetchTimeout = 2 * time.Minute

// TokenConfig configures a TokenSource.
type TokenConfig struct {
	ClientID, ClientSecret, TokenURL string
	Scopes                           []string
	// HTTPClient sends token requests (see NewTokenHTTPClient).
	HTTPClient *http.Client
	// EarlyExpiry is how long before its expiry a token is replaced.
	EarlyExpiry time.Duration
	// FetchTimeout bounds one fetch; 0 means DefaultTokenFetchTimeout.
	FetchTimeout time.Duration
	// OnToken, if set, sees each newly fetched token (to cache it, or to
	// teach a Redactor).
	OnToken func(context.Context, *oauth2.Token)
}

// TokenSource hands out OAuth 2 client-credentials tokens. x/oauth2's
// ReuseTokenSource caches the token and serialises fetches (concurrent
// callers cause one request); this type adds invalidation after a 401,
// seeding from a cache, and a bounded fetch that a caller may stop waiting
// for without stopping it (the next caller gets its result).
type TokenSource struct {
	cfg TokenConfig
	cc  clientcredentials.Config

	mu   sync.Mutex
	src  oauth2.TokenSource
	cur  string // token last handed out by src
	dead string // token last invalidated
}

// NewTokenSource returns a TokenSource that sends the client ID and secret
// in a Basic header.
func NewTokenSource(cfg TokenConfig) *TokenSource {
	if cfg.FetchTimeout <= 0 {
		cfg.FetchTimeout = DefaultTokenFetchTimeout
	}
	s := &TokenSource{cfg: cfg, cc: clientcredentials.Config{
		ClientID:     cfg.ClientID,
		ClientSecret: cfg.ClientSecret,
		TokenURL:     cfg.TokenURL,
		Scopes:       cfg.Scopes,
		AuthStyle:    oauth2.AuthStyleInHeader,
	}}
	s.src = s.reuse(nil)
	return s
}

func (s *TokenSource) reuse(tok *oauth2.Token) oauth2.TokenSource {
	return oauth2.ReuseTokenSourceWithExpiry(tok, fetchFunc(s.fetch), s.cfg.EarlyExpiry)
}

type fetchFunc func() (*oauth2.Token, error)

func (f fetchFunc) Token() (*oauth2.Token, error) { return f() }

// fetch asks the token endpoint for a new token, within FetchTimeout. It
// runs under its own context, not a caller's: x/oauth2 calls it without one,
// and its result serves every caller waiting.
func (s *TokenSource) fetch() (*oauth2.Token, error) {
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.FetchTimeout)
	defer cancel()
	ctx = MarkRead(context.WithValue(ctx, oauth2.HTTPClient, s.cfg.HTTPClient))
	tok, err := s.cc.Token(ctx)
	if err != nil {
		return nil, err
	}
	if s.cfg.OnToken != nil {
		s.cfg.OnToken(ctx, tok)
	}
	return tok, nil
}

// Seed makes tok (e.g. from a cache, already validated) the current token.
func (s *TokenSource) Seed(tok *oauth2.Token) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.src = s.reuse(tok)
	s.cur = tok.AccessToken
}

// Current returns the token last handed out, "" if none.
func (s *TokenSource) Current() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cur
}

// Token returns a valid token, fetching one if needed. It stops waiting
// when ctx ends; the fetch goes on (within FetchTimeout) for the next caller.
func (s *TokenSource) Token(ctx context.Context) (*oauth2.Token, error) {
	s.mu.Lock()
	src := s.src
	s.mu.Unlock()
	type result struct {
		t   *oauth2.Token
		err error
	}
	ch := make(chan result, 1)
	go func() {
		t, err := src.Token()
		ch <- result{t, err}
	}()
	select {
	case r := <-ch:
		if r.err != nil {
			return nil, r.err
		}
		s.mu.Lock()
		if s.src == src {
			s.cur = r.t.AccessToken
		}
		s.mu.Unlock()
		return r.t, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Invalidate drops failed (a token the server refused) unless another
// caller already replaced it; "" drops whatever token is current. It
// reports whether a token was dropped.
func (s *TokenSource) Invalidate(failed string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if failed != "" && (failed == s.dead || (s.cur != "" && s.cur != failed)) {
		return false
	}
	s.dead = s.cur
	if failed != "" {
		s.dead = failed
	}
	s.src = s.reuse(nil)
	s.cur = ""
	return true
}
