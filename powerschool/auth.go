package powerschool

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-retryablehttp"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// TokenPath is PowerSchool's OAuth token endpoint.
const TokenPath = "/oauth/access_token"

// TokenCache keeps access tokens between runs (e.g. in a 0600 file). Keys
// come from CacheKey. Implementations must be safe for concurrent use.
type TokenCache interface {
	// Load returns the cached token, or nil and no error when there is none.
	Load(ctx context.Context, key string) (*oauth2.Token, error)
	Store(ctx context.Context, key string, tok *oauth2.Token) error
	Delete(ctx context.Context, key string) error
}

// CacheKey is the TokenCache key for a server and client ID.
func CacheKey(baseURL, clientID string) string { return baseURL + " " + clientID }

// TokenInfo is what ValidateToken learns about the current token.
type TokenInfo struct {
	Valid              bool
	PluginID           int
	PowerSchoolVersion string
}

// tokenManager hands out access tokens: x/oauth2's ReuseTokenSource does the
// caching and serialises fetches (so concurrent callers cause one request);
// this type adds the cache hook, the one-time validation of a cached token,
// and invalidation after a 401.
type tokenManager struct {
	c     *Client
	cc    clientcredentials.Config
	ctx   context.Context // long-lived: kept by x/oauth2 for every fetch
	early time.Duration
	key   string

	initMu   sync.Mutex
	initDone atomic.Bool

	mu   sync.Mutex
	src  oauth2.TokenSource
	cur  string // token last handed out by src
	dead string // token last invalidated
}

func newTokenManager(c *Client, hc *http.Client) *tokenManager {
	// Token requests are POSTs, but asking again is harmless: mark them retryable.
	tokenHC := *hc
	tokenHC.Transport = retryableTransport{&retryablehttp.RoundTripper{Client: c.retry}}
	m := &tokenManager{
		c: c,
		cc: clientcredentials.Config{
			ClientID:     c.cfg.clientID,
			ClientSecret: c.cfg.clientSecret,
			TokenURL:     c.url(TokenPath, nil),
			AuthStyle:    oauth2.AuthStyleInHeader,
		},
		ctx:   context.WithValue(context.Background(), oauth2.HTTPClient, &tokenHC),
		early: c.cfg.earlyExpiry,
		key:   CacheKey(c.base.String(), c.cfg.clientID),
	}
	m.src = oauth2.ReuseTokenSourceWithExpiry(nil, tokenSourceFunc(m.fetch), m.early)
	return m
}

// fetch asks the server for a new token.
func (m *tokenManager) fetch() (*oauth2.Token, error) {
	tok, err := m.cc.Token(m.ctx)
	if err != nil {
		return nil, m.c.tokenError(err)
	}
	m.c.logger.Debug("new token obtained", "expires_in", time.Until(tok.Expiry).Round(time.Second))
	if cache := m.c.cfg.cache; cache != nil {
		if err := cache.Store(m.ctx, m.key, tok); err != nil {
			m.c.logger.Warn("could not store the token in the cache", "error", err)
		}
	}
	return tok, nil
}

func (m *tokenManager) current() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.cur
}

// token returns a valid access token. A slow fetch keeps going in the
// background when ctx ends, so the next caller gets its result.
func (m *tokenManager) token(ctx context.Context) (string, error) {
	t, err := m.oauthToken(ctx)
	if err != nil {
		return "", err
	}
	return t.AccessToken, nil
}

func (m *tokenManager) oauthToken(ctx context.Context) (*oauth2.Token, error) {
	if err := m.init(ctx); err != nil {
		return nil, err
	}
	m.mu.Lock()
	src := m.src
	m.mu.Unlock()
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
		m.mu.Lock()
		if m.src == src {
			m.cur = r.t.AccessToken
		}
		m.mu.Unlock()
		return r.t, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("powerschool: waiting for an access token: %w", ctx.Err())
	}
}

// init loads a cached token once and validates it before it is used.
func (m *tokenManager) init(ctx context.Context) error {
	if m.initDone.Load() {
		return nil
	}
	m.initMu.Lock()
	defer m.initMu.Unlock()
	if m.initDone.Load() {
		return nil
	}
	cache := m.c.cfg.cache
	if cache == nil {
		m.initDone.Store(true)
		return nil
	}
	tok, err := cache.Load(ctx, m.key)
	if err != nil {
		m.c.logger.Warn("could not read the token cache; getting a new token", "error", err)
		tok = nil
	}
	if tok == nil || tok.AccessToken == "" || (!tok.Expiry.IsZero() && time.Until(tok.Expiry) <= m.early) {
		m.initDone.Store(true)
		return nil
	}
	m.c.logger.DebugContext(ctx, "validating existing token")
	info, err := m.c.validate(ctx, tok.AccessToken)
	if err != nil {
		return err
	}
	if info.Valid {
		m.c.logger.DebugContext(ctx, "token valid", "plugin_id", info.PluginID)
		m.mu.Lock()
		m.src = oauth2.ReuseTokenSourceWithExpiry(tok, tokenSourceFunc(m.fetch), m.early)
		m.cur = tok.AccessToken
		m.mu.Unlock()
	} else {
		m.c.logger.DebugContext(ctx, "token invalid, getting a new one")
		if err := cache.Delete(ctx, m.key); err != nil {
			m.c.logger.Warn("could not delete the token from the cache", "error", err)
		}
	}
	m.initDone.Store(true)
	return nil
}

// invalidate drops failed (a token the server refused) unless another
// goroutine already replaced it; "" drops whatever token is current.
func (m *tokenManager) invalidate(ctx context.Context, failed string) {
	m.mu.Lock()
	if failed != "" && (failed == m.dead || (m.cur != "" && m.cur != failed)) {
		m.mu.Unlock()
		return
	}
	m.dead = m.cur
	if failed != "" {
		m.dead = failed
	}
	m.src = oauth2.ReuseTokenSourceWithExpiry(nil, tokenSourceFunc(m.fetch), m.early)
	m.cur = ""
	m.mu.Unlock()
	if cache := m.c.cfg.cache; cache != nil {
		if err := cache.Delete(ctx, m.key); err != nil {
			m.c.logger.Warn("could not delete the token from the cache", "error", err)
		}
	}
}

// retryableTransport sends token requests through the retry layer.
type retryableTransport struct{ rt *retryablehttp.RoundTripper }

func (t retryableTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := withRetryable(req.Context(), true)
	ctx = withRead(ctx, true) // asking for the client's token again changes nothing
	ctx = context.WithValue(ctx, attemptsKey, new(atomic.Int32))
	return t.rt.RoundTrip(req.WithContext(ctx))
}

// Token returns the current access token, fetching one if needed (for
// `psctl auth token` and for callers that make their own requests). Treat
// it as a secret.
func (c *Client) Token(ctx context.Context) (*oauth2.Token, error) {
	t, err := c.tokens.oauthToken(ctx)
	if err != nil {
		return nil, err
	}
	cp := *t
	return &cp, nil
}

// InvalidateToken drops the current token (and its cache entry), so the next
// request fetches a new one.
func (c *Client) InvalidateToken(ctx context.Context) { c.tokens.invalidate(ctx, "") }

// ValidateToken asks the server (GET /ws/v1/metadata) whether the current
// token is accepted and which plugin it belongs to. It is meant for tokens
// loaded from a cache, not for every request. An invalid token is reported
// as TokenInfo.Valid == false, not as an error.
func (c *Client) ValidateToken(ctx context.Context) (TokenInfo, error) {
	tok, err := c.tokens.token(ctx)
	if err != nil {
		return TokenInfo{}, err
	}
	return c.validate(ctx, tok)
}

// validate checks tok against /ws/v1/metadata, remembering the metadata.
func (c *Client) validate(ctx context.Context, tok string) (TokenInfo, error) {
	r := &request{method: http.MethodGet, path: metadataPath}
	resp, err := c.attempt(ctx, r, tok)
	if err != nil {
		return TokenInfo{}, err
	}
	if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
		drain(resp)
		return TokenInfo{}, nil
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return TokenInfo{}, c.responseError(r.method, r.path, resp)
	}
	defer drain(resp)
	md, err := decodeMetadata(resp.Body)
	if err != nil {
		return TokenInfo{}, err
	}
	if md.PluginID == 0 {
		return TokenInfo{}, nil
	}
	c.setMetadata(md)
	return TokenInfo{Valid: true, PluginID: md.PluginID.Int(), PowerSchoolVersion: md.PowerSchoolVersion}, nil
}

// tokenError explains a failed token request without echoing its body.
func (c *Client) tokenError(err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) && re.Response != nil {
		status := re.Response.StatusCode
		desc := c.scrub(truncate(re.ErrorCode+" "+re.ErrorDescription, 200))
		switch {
		case status == http.StatusUnauthorized || re.ErrorCode == "invalid_client" || re.ErrorCode == "unauthorized_client":
			return &AuthError{StatusCode: status, TokenEndpoint: true, Method: http.MethodPost, Path: TokenPath, Description: trimSpace(desc)}
		case status == http.StatusTooManyRequests:
			d, _ := parseRetryAfter(re.Response.Header.Get("Retry-After"), time.Now())
			return &RateLimitError{Method: http.MethodPost, Path: TokenPath, RetryAfter: d}
		}
		return newAPIError(status, http.MethodPost, TokenPath, re.Body, c.scrub)
	}
	return fmt.Errorf("powerschool: getting an access token from %s%s: %s; check the server URL and the network", c.base.Host, TokenPath, c.scrub(err.Error()))
}

type tokenSourceFunc func() (*oauth2.Token, error)

func (f tokenSourceFunc) Token() (*oauth2.Token, error) { return f() }
