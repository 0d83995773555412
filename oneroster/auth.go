package oneroster

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// tokenSource caches the OAuth 2 token (x/oauth2's ReuseTokenSource) and can
// drop it after a 401, so the next request fetches a fresh one.
type tokenSource struct {
	mu     sync.Mutex
	fetch  oauth2.TokenSource // fetches a new token on every call
	reuse  oauth2.TokenSource
	path   string // token URL path, for errors
	redact *redactor
}

func newTokenSource(o OAuth2, tokenURL string, hc *http.Client, red *redactor) *tokenSource {
	cc := &clientcredentials.Config{
		ClientID:     o.ClientID,
		ClientSecret: o.ClientSecret,
		TokenURL:     tokenURL,
		Scopes:       o.Scopes,
		AuthStyle:    oauth2.AuthStyleInHeader,
	}
	// The context is kept for every refresh, so it must outlive any request.
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, hc)
	// cc.TokenSource would cache; cc.Token fetches, and invalidate needs that.
	fetch := fetchFunc(func() (*oauth2.Token, error) { return cc.Token(ctx) })
	path := tokenURL
	if u, err := url.Parse(tokenURL); err == nil {
		path = u.Path
	}
	return &tokenSource{fetch: fetch, reuse: oauth2.ReuseTokenSource(nil, fetch), path: path, redact: red}
}

type fetchFunc func() (*oauth2.Token, error)

func (f fetchFunc) Token() (*oauth2.Token, error) { return f() }

// Token returns a valid token, fetching one if needed.
func (s *tokenSource) Token() (*oauth2.Token, error) {
	s.mu.Lock()
	src := s.reuse
	s.mu.Unlock()
	tok, err := src.Token()
	if err != nil {
		return nil, s.tokenError(err)
	}
	s.redact.add(tok.AccessToken)
	return tok, nil
}

// invalidate drops tok if it is still the cached one.
func (s *tokenSource) invalidate(tok *oauth2.Token) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cur, err := s.reuse.Token()
	if err == nil && cur.AccessToken == tok.AccessToken {
		s.reuse = oauth2.ReuseTokenSource(nil, s.fetch)
	}
}

// tokenError turns an x/oauth2 failure into an *Error without the response
// body echoed verbatim (it may repeat what was sent).
func (s *tokenSource) tokenError(err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) && re.Response != nil {
		e := decodeError(re.Response.StatusCode, re.Body)
		e.Method, e.Path = http.MethodPost, s.path
		if e.Description == "" && re.ErrorDescription != "" {
			e.Description = cleanText(re.ErrorDescription, maxDescription)
		}
		switch {
		case e.StatusCode == http.StatusNotFound:
			e.hintText = "the token URL is wrong: set OAuth2.TokenURL (PowerSchool: {server}/oauth/access_token)"
		case e.StatusCode == http.StatusBadRequest || e.StatusCode == http.StatusUnauthorized:
			e.hintText = "check the client id and secret; on PowerSchool the plugin must be installed and enabled"
		}
		s.redact.scrub(e)
		return &TokenError{Err: e}
	}
	return &TokenError{Err: errors.New(s.redact.text(err.Error()))}
}

// TokenError reports that no OAuth 2 access token could be obtained. Err is
// an *Error when the token endpoint answered. It does not unwrap, so a 404
// from the token endpoint is not mistaken for ErrNotFound.
type TokenError struct{ Err error }

func (e *TokenError) Error() string {
	return fmt.Sprintf("oneroster: getting an access token: %v", e.Err)
}

// bearerTransport adds the access token and, after a 401, fetches a new
// token and tries once more (the provider may have revoked or expired it).
type bearerTransport struct {
	src  *tokenSource
	base http.RoundTripper
}

func (t *bearerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	tok, err := t.src.Token()
	if err != nil {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, err
	}
	r := req.Clone(req.Context())
	tok.SetAuthHeader(r)
	resp, err := t.base.RoundTrip(r)
	if err != nil || resp.StatusCode != http.StatusUnauthorized {
		return resp, err
	}
	if req.Body != nil && req.Body != http.NoBody && req.GetBody == nil {
		return resp, nil // cannot resend the body
	}
	t.src.invalidate(tok)
	fresh, err := t.src.Token()
	if err != nil || fresh.AccessToken == tok.AccessToken {
		return resp, nil // keep the provider's 401
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxErrorBody))
	resp.Body.Close()
	r = req.Clone(req.Context())
	if req.GetBody != nil {
		if r.Body, err = req.GetBody(); err != nil {
			return nil, err
		}
	}
	fresh.SetAuthHeader(r)
	return t.base.RoundTrip(r)
}

// redactor removes known secrets (client secret, access tokens, their Basic
// form) from text that reaches errors and logs.
type redactor struct {
	mu      sync.Mutex
	secrets []string // configured secrets, kept for the client's life
	tokens  []string // access tokens seen, newest last
}

// forms returns secret as sent on the wire: raw, query-escaped, base64.
func forms(secret string) []string {
	return []string{secret, url.QueryEscape(secret), base64.StdEncoding.EncodeToString([]byte(secret))}
}

// addSecret registers a configured secret.
func (r *redactor) addSecret(secret string) {
	if len(secret) < 4 {
		return // too short to scrub without mangling ordinary text
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.secrets = append(r.secrets, forms(secret)...)
}

// add registers an access token.
func (r *redactor) add(token string) {
	if len(token) < 4 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range r.tokens {
		if s == token {
			return
		}
	}
	r.tokens = append(r.tokens, forms(token)...)
	if len(r.tokens) > 30 {
		r.tokens = r.tokens[len(r.tokens)-30:]
	}
}

func (r *redactor) text(s string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, list := range [][]string{r.secrets, r.tokens} {
		for _, secret := range list {
			s = strings.ReplaceAll(s, secret, "[REDACTED]")
		}
	}
	return s
}

func (r *redactor) scrub(e *Error) {
	e.Description = r.text(e.Description)
	for i := range e.CodeMinor {
		e.CodeMinor[i] = r.text(e.CodeMinor[i])
	}
}
