package oneroster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/pskit/pskit/internal/wire"
	"golang.org/x/oauth2"
)

// tokenError turns a failed token fetch into a *TokenError without the
// response body echoed verbatim (it may repeat what was sent).
func tokenError(err error, tokenPath string, red *wire.Redactor) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) && re.Response != nil {
		e := decodeError(re.Response.StatusCode, re.Body)
		e.Method, e.Path = http.MethodPost, tokenPath
		if e.Description == "" && re.ErrorDescription != "" {
			e.Description = cleanText(re.ErrorDescription, maxDescription)
		}
		switch {
		case e.StatusCode == http.StatusNotFound:
			e.hintText = "the token URL is wrong: set OAuth2.TokenURL (PowerSchool: {server}/oauth/access_token)"
		case e.StatusCode == http.StatusBadRequest || e.StatusCode == http.StatusUnauthorized:
			e.hintText = "check the client id and secret; on PowerSchool the plugin must be installed and enabled"
		}
		e.scrub(red)
		return &TokenError{Err: e}
	}
	var timeout *wire.TimeoutError
	if errors.As(err, &timeout) {
		return &TokenError{Err: timeout}
	}
	return &TokenError{Err: errors.New(red.Text(wire.ErrorText(err)))}
}

// TokenError reports that no OAuth 2 access token could be obtained. Err is
// an *Error when the token endpoint answered. It does not unwrap, so a 404
// from the token endpoint is not mistaken for ErrNotFound.
type TokenError struct{ Err error }

func (e *TokenError) Error() string {
	return fmt.Sprintf("oneroster: getting an access token: %v", e.Err)
}

// NoRetry tells the retry layer that waiting will not mend bad credentials.
func (e *TokenError) NoRetry() bool { return true }

// bearerTransport adds the access token and, after a 401, fetches a new
// token and tries once more (the provider may have revoked or expired it).
type bearerTransport struct {
	src       *wire.TokenSource
	tokenPath string
	redact    *wire.Redactor
	base      http.RoundTripper
}

func (t *bearerTransport) token(ctx context.Context) (*oauth2.Token, error) {
	tok, err := t.src.Token(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, tokenError(err, t.tokenPath, t.redact)
	}
	return tok, nil
}

func (t *bearerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	tok, err := t.token(req.Context())
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
	t.src.Invalidate(tok.AccessToken)
	fresh, err := t.token(req.Context())
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

// newBearerTransport authenticates requests over base with OAuth 2 client
// credentials; token requests go through tokenRT.
func newBearerTransport(s *wire.Settings, o OAuth2, tokenURL *url.URL, base, tokenRT http.RoundTripper, red *wire.Redactor) *bearerTransport {
	red.AddSecret(o.ClientSecret)
	red.AddBasic(o.ClientID, o.ClientSecret)
	src := wire.NewTokenSource(wire.TokenConfig{
		ClientID:     o.ClientID,
		ClientSecret: o.ClientSecret,
		TokenURL:     tokenURL.String(),
		Scopes:       o.Scopes,
		HTTPClient:   s.TokenHTTPClient(tokenRT),
		FetchTimeout: s.TokenFetchTimeout(),
		OnToken:      func(_ context.Context, tok *oauth2.Token) { red.AddToken(tok.AccessToken) },
	})
	return &bearerTransport{src: src, tokenPath: tokenURL.Path, redact: red, base: base}
}

// scrub removes known secrets from the provider's text in e.
func (e *Error) scrub(red *wire.Redactor) {
	e.Description = red.Text(e.Description)
	for i := range e.CodeMinor {
		e.CodeMinor[i] = red.Text(e.CodeMinor[i])
	}
}
