package powerschool

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pskit/pskit/internal/wire"
	"golang.org/x/oauth2"
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

// tokenManager hands out access tokens: wire.TokenSource does the caching,
// the bounded fetch and invalidation; this type adds the cache hook and the
// one-time validation of a cached token.
type tokenManager struct {
	c     *Client
	src   *wire.TokenSource
	early time.Duration
	key   string

	initMu   sync.Mutex
	initDone atomic.Bool
}

func newTokenManager(c *Client, hc *http.Client) *tokenManager {
	m := &tokenManager{c: c, early: c.cfg.earlyExpiry, key: CacheKey(c.base.String(), c.cfg.clientID)}
	m.src = wire.NewTokenSource(wire.TokenConfig{
		ClientID:     c.cfg.clientID,
		ClientSecret: c.cfg.clientSecret,
		TokenURL:     c.url(TokenPath, nil),
		HTTPClient:   hc,
		EarlyExpiry:  m.early,
		FetchTimeout: c.cfg.TokenFetchTimeout(),
		OnToken:      m.fetched,
	})
	return m
}

// fetched records a new token: known to the scrubber, stored in the cache.
func (m *tokenManager) fetched(ctx context.Context, tok *oauth2.Token) {
	m.c.redact.AddToken(tok.AccessToken)
	m.c.logger.Debug("new token obtained", "expires_in", time.Until(tok.Expiry).Round(time.Second))
	if cache := m.c.cfg.cache; cache != nil {
		if err := cache.Store(ctx, m.key, tok); err != nil {
			m.c.logger.Warn("could not store the token in the cache", "error", err)
		}
	}
}

// token returns a valid access token. A slow fetch keeps going in the
// background (within its own deadline) when ctx ends, so the next caller
// gets its result.
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
	t, err := m.src.Token(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("powerschool: waiting for an access token: %w", ctx.Err())
		}
		return nil, m.c.tokenError(err)
	}
	return t, nil
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
	m.c.redact.AddToken(tok.AccessToken)
	m.c.logger.DebugContext(ctx, "validating existing token")
	info, err := m.c.validate(ctx, tok.AccessToken)
	if err != nil {
		return err
	}
	if info.Valid {
		m.c.logger.DebugContext(ctx, "token valid", "plugin_id", info.PluginID)
		m.src.Seed(tok)
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
	if !m.src.Invalidate(failed) {
		return
	}
	if cache := m.c.cfg.cache; cache != nil {
		if err := cache.Delete(ctx, m.key); err != nil {
			m.c.logger.Warn("could not delete the token from the cache", "error", err)
		}
	}
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
		desc := c.scrub(wire.Truncate(re.ErrorCode+" "+re.ErrorDescription, 200))
		switch {
		case status == http.StatusUnauthorized || re.ErrorCode == "invalid_client" || re.ErrorCode == "unauthorized_client":
			return &AuthError{StatusCode: status, TokenEndpoint: true, Method: http.MethodPost, Path: TokenPath, Description: trimSpace(desc)}
		case status == http.StatusTooManyRequests:
			d, _ := wire.ParseRetryAfter(re.Response.Header.Get("Retry-After"), time.Now())
			return &RateLimitError{Method: http.MethodPost, Path: TokenPath, RetryAfter: d}
		}
		return newAPIError(status, http.MethodPost, TokenPath, re.Body, c.scrub)
	}
	var timeout *wire.TimeoutError
	if errors.As(err, &timeout) {
		return fmt.Errorf("powerschool: getting an access token: %w", timeout)
	}
	if errors.Is(err, wire.ErrRedirectRefused) {
		return fmt.Errorf("powerschool: getting an access token from %s%s: %s", c.base.Host, TokenPath, c.scrub(wire.ErrorText(err)))
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("powerschool: getting an access token from %s%s: no token within %s; check the server URL and the network", c.base.Host, TokenPath, c.cfg.TokenFetchTimeout())
	}
	return fmt.Errorf("powerschool: getting an access token from %s%s: %s; check the server URL and the network", c.base.Host, TokenPath, c.scrub(wire.ErrorText(err)))
}
