package oneroster

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/hashicorp/go-retryablehttp"
	"github.com/pskit/pskit/internal/wire"
)

// DefaultBasePath is the OneRoster 1.1 root under the server URL.
const DefaultBasePath = "/ims/oneroster/v1p1"

// DefaultTokenPath is PowerSchool's OAuth 2 token endpoint, relative to the
// server URL.
const DefaultTokenPath = "/oauth/access_token"

// OAuth 1.1 scopes (prefix https://purl.imsglobal.org/spec/or/v1p1/scope/).
const (
	ScopeRosterCoreReadonly         = "https://purl.imsglobal.org/spec/or/v1p1/scope/roster-core.readonly"
	ScopeRosterReadonly             = "https://purl.imsglobal.org/spec/or/v1p1/scope/roster.readonly"
	ScopeRosterDemographicsReadonly = "https://purl.imsglobal.org/spec/or/v1p1/scope/roster-demographics.readonly"
	ScopeResourceReadonly           = "https://purl.imsglobal.org/spec/or/v1p1/scope/resource.readonly"
	ScopeGradebookReadonly          = "https://purl.imsglobal.org/spec/or/v1p1/scope/gradebook.readonly"
	ScopeGradebookCreatePut         = "https://purl.imsglobal.org/spec/or/v1p1/scope/gradebook.createput"
	ScopeGradebookDelete            = "https://purl.imsglobal.org/spec/or/v1p1/scope/gradebook.delete"
)

// OAuth2 configures OAuth 2 client credentials. The client id and secret go
// in an HTTP Basic header, as PowerSchool and the 1.1 spec expect.
type OAuth2 struct {
	ClientID     string
	ClientSecret string
	// TokenURL defaults to {server}/oauth/access_token (PowerSchool).
	TokenURL string
	// Scopes are sent as scope= when set; PowerSchool needs none.
	Scopes []string
}

// Client talks to one OneRoster 1.1 provider. It is safe for concurrent use.
type Client struct {
	base      *url.URL // server + base path, no trailing slash
	retry     *retryablehttp.Client
	userAgent string
	logger    *slog.Logger
	redact    *wire.Redactor
}

type config struct {
	wire.Settings
	basePath string
	oauth2   *OAuth2
	oauth1   *OAuth1
}

// Option configures a Client.
type Option func(*config) error

// RetryPolicy controls how requests are tried again after a transport error
// (a dropped connection, a body cut short, an attempt that timed out) or a
// 429, 500, 502, 503 or 504 answer. Reads (GETs, token requests) are retried
// on all of those; a write (PUT, DELETE) only after a 429, which says the
// provider did not act on it: a PUT repeated after a lost answer would
// report "updated" for a record it had just created. Both SDKs share this
// type.
type RetryPolicy = wire.RetryPolicy

// DefaultRetryPolicy returns the policy used unless WithRetryPolicy says
// otherwise: 4 retries, backoff from 500 ms to 15 s, Retry-After honoured up
// to 2 minutes.
func DefaultRetryPolicy() RetryPolicy { return wire.DefaultRetryPolicy() }

// DefaultTimeout is how long one attempt of a request (answer included) may
// take unless WithTimeout says otherwise.
const DefaultTimeout = wire.DefaultTimeout

// DefaultMaxResponseSize is the largest response body read unless
// WithMaxResponseSize says otherwise.
const DefaultMaxResponseSize = wire.DefaultMaxResponseSize

// WithOAuth2 authenticates with OAuth 2 client credentials.
func WithOAuth2(o OAuth2) Option {
	return func(c *config) error {
		if o.ClientID == "" || o.ClientSecret == "" {
			return errors.New("OAuth 2 needs ClientID and ClientSecret (from the provider's plugin or integration page)")
		}
		c.oauth2 = &o
		return nil
	}
}

// WithOAuth1 signs every request with OAuth 1.0a (HMAC-SHA256 by default).
func WithOAuth1(o OAuth1) Option {
	return func(c *config) error {
		if err := o.validate(); err != nil {
			return err
		}
		c.oauth1 = &o
		return nil
	}
}

// WithBasePath sets the OneRoster root under the server URL, e.g.
// "/api/ims/oneroster/v1p1". "" keeps DefaultBasePath; "/" means the server
// URL itself is the root.
func WithBasePath(p string) Option {
	return func(c *config) error {
		if p == "" {
			c.basePath = DefaultBasePath
			return nil
		}
		if strings.ContainsAny(p, "?#") {
			return fmt.Errorf("base path %q must be a path, without query or fragment", p)
		}
		c.basePath = "/" + strings.Trim(p, "/")
		return nil
	}
}

// WithHTTPClient supplies the HTTP client whose transport, timeout and
// cookie jar are used. Its redirect policy is not: redirects are followed
// only to the provider's own scheme and host, so credentials never reach
// another server or plain http. The client itself is never modified.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *config) error { return c.SetHTTPClient(hc) }
}

// WithInsecureHTTP allows http:// URLs to hosts other than loopback. Tokens
// and scores then cross the network in clear text: use it only on a trusted
// network.
func WithInsecureHTTP() Option {
	return func(c *config) error { c.Insecure = true; return nil }
}

// WithRetryPolicy replaces DefaultRetryPolicy(); RetryPolicy{} turns
// retries off.
func WithRetryPolicy(p RetryPolicy) Option {
	return func(c *config) error { return c.SetRetryPolicy(p) }
}

// WithTimeout bounds each attempt of a request, from sending it to the last
// byte of the answer (default DefaultTimeout; 0 means no limit). A provider
// that does not answer within it fails the attempt with an error that says
// so; reads are then retried under the retry policy.
func WithTimeout(d time.Duration) Option { return func(c *config) error { return c.SetTimeout(d) } }

// WithMaxResponseSize bounds the size of one response body (default
// DefaultMaxResponseSize); a larger answer fails with an error that says so.
func WithMaxResponseSize(n int64) Option {
	return func(c *config) error { return c.SetMaxResponseSize(n) }
}

// WithLogger logs each request (method, path, status, duration) at debug
// level. Query strings, bodies and credentials are never logged.
func WithLogger(l *slog.Logger) Option { return func(c *config) error { return c.SetLogger(l) } }

// WithUserAgent sets the User-Agent header.
func WithUserAgent(ua string) Option {
	return func(c *config) error { c.UserAgent = ua; return nil }
}

// NewClient returns a client for the OneRoster provider at server, e.g.
// "https://district.powerschool.com". The server URL may carry a path
// prefix ("https://host/aeries"); the base path is appended to it.
func NewClient(server string, opts ...Option) (*Client, error) {
	cfg := config{Settings: wire.NewSettings("pskit-oneroster"), basePath: DefaultBasePath}
	for _, o := range opts {
		if err := o(&cfg); err != nil {
			return nil, fmt.Errorf("oneroster: %w", err)
		}
	}
	su, err := wire.CheckURL("server", server, cfg.Insecure)
	if err != nil {
		return nil, fmt.Errorf("oneroster: %w", err)
	}
	base := *su
	if cfg.basePath != "/" {
		base.Path = su.Path + cfg.basePath
	}

	switch {
	case cfg.oauth1 != nil && cfg.oauth2 != nil:
		return nil, errors.New("oneroster: choose one of WithOAuth2 and WithOAuth1, not both")
	case cfg.oauth1 == nil && cfg.oauth2 == nil:
		return nil, errors.New("oneroster: no credentials: use WithOAuth2 (client id and secret) or WithOAuth1")
	}

	attempt := cfg.Attempt(cfg.Transport(nil))
	red := &wire.Redactor{}
	var auth http.RoundTripper
	if o := cfg.oauth2; o != nil {
		tokenURL := o.TokenURL
		if tokenURL == "" {
			t := *su
			t.Path = su.Path + DefaultTokenPath
			tokenURL = t.String()
		}
		tu, err := wire.CheckURL("token", tokenURL, cfg.Insecure)
		if err != nil {
			return nil, fmt.Errorf("oneroster: %w", err)
		}
		auth = newBearerTransport(&cfg.Settings, *o, tu, attempt, attempt, red)
	} else {
		red.AddSecret(cfg.oauth1.ConsumerSecret)
		auth = &oauth1Transport{cfg: *cfg.oauth1, base: attempt}
	}
	return &Client{
		base:      &base,
		retry:     cfg.APIClient(auth, &base),
		userAgent: cfg.UserAgent,
		logger:    cfg.Logger,
		redact:    red,
	}, nil
}

// BaseURL returns the OneRoster root the client calls, e.g.
// "https://ps.example.org/ims/oneroster/v1p1".
func (c *Client) BaseURL() string { return c.base.String() }

// esc escapes one sourcedId for use as a path segment.
func esc(id string) string { return url.PathEscape(id) }

// maxErrorBody bounds how much of an error response is read.
const maxErrorBody = 64 << 10

// do sends one request to path (under the base, already escaped) and decodes
// a 2xx JSON body into out. It returns the status code.
func (c *Client) do(ctx context.Context, method, path string, query url.Values, in, out any) (int, http.Header, error) {
	logPath := c.base.EscapedPath() + path
	target := c.base.String() + path
	if len(query) > 0 {
		target += "?" + encodeQuery(query)
	}
	var body io.Reader
	if in != nil {
		data, err := json.Marshal(in)
		if err != nil {
			return 0, nil, fmt.Errorf("oneroster: encoding %s %s body: %w", method, path, err)
		}
		body = bytes.NewReader(data)
	}
	if wire.ReadMethod(method) {
		ctx = wire.MarkRead(ctx)
	}
	req, err := retryablehttp.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		return 0, nil, fmt.Errorf("oneroster: building %s %s: %w", method, path, err)
	}
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.userAgent != "" {
		req.Header.Set("User-Agent", c.userAgent)
	}
	start := time.Now()
	resp, err := c.retry.Do(req)
	if err != nil {
		c.log(ctx, method, logPath, 0, start, err)
		return 0, nil, c.transportError(ctx, method, logPath, err)
	}
	defer resp.Body.Close()
	c.log(ctx, method, logPath, resp.StatusCode, start, nil)

	if resp.StatusCode >= 300 {
		data, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		e := decodeError(resp.StatusCode, data)
		e.Method, e.Path = method, logPath
		e.RetryAfter, _ = wire.ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
		e.scrub(c.redact)
		return resp.StatusCode, resp.Header, e
	}
	if out != nil && resp.StatusCode != http.StatusNoContent {
		data, err := io.ReadAll(resp.Body)
		if err != nil {
			return resp.StatusCode, resp.Header, c.transportError(ctx, method, logPath, err)
		}
		if len(bytes.TrimSpace(data)) > 0 {
			if err := json.Unmarshal(data, out); err != nil {
				return resp.StatusCode, resp.Header, fmt.Errorf("oneroster: %s %s: response is not the expected JSON: %w", method, logPath, err)
			}
		}
	} else {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxErrorBody))
	}
	return resp.StatusCode, resp.Header, nil
}

func (c *Client) log(ctx context.Context, method, path string, status int, start time.Time, err error) {
	attrs := []slog.Attr{
		slog.String("method", method),
		slog.String("path", path),
		slog.Duration("duration", time.Since(start)),
	}
	if status != 0 {
		attrs = append(attrs, slog.Int("status", status))
	}
	if err != nil {
		attrs = append(attrs, slog.String("error", c.redact.Text(wire.ErrorText(err))))
	}
	c.logger.LogAttrs(ctx, slog.LevelDebug, "oneroster request", attrs...)
}

// transportError explains a request that got no answer, without the URL's
// query string (a filter can hold names) or a secret.
func (c *Client) transportError(ctx context.Context, method, path string, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("oneroster: %s %s: %w", method, path, ctxErr)
	}
	var te *TokenError
	if errors.As(err, &te) {
		return te
	}
	return wire.TransportError("oneroster", method, path, err, c.redact)
}

// getOne reads a single record wrapped as {"<key>": {...}}.
func getOne[T any](ctx context.Context, c *Client, path, key string, fields []string) (T, error) {
	var zero T
	var q url.Values
	if len(fields) > 0 {
		q = url.Values{"fields": {strings.Join(fields, ",")}}
	}
	var env map[string]json.RawMessage
	if _, _, err := c.do(ctx, http.MethodGet, path, q, nil, &env); err != nil {
		return zero, err
	}
	raw, ok := env[key]
	if !ok {
		raw, ok = soleValue(env, '{')
	}
	if !ok {
		return zero, fmt.Errorf("oneroster: GET %s: response has no %q object", c.base.Path+path, key)
	}
	return decodeItem[T](raw)
}

// soleValue returns the only value of env that starts with open ('{' or
// '['), for providers that name the wrapper differently.
func soleValue(env map[string]json.RawMessage, open byte) (json.RawMessage, bool) {
	var found json.RawMessage
	n := 0
	for k, v := range env {
		if k == "statusInfoSet" {
			continue
		}
		v = bytes.TrimSpace(v)
		if len(v) > 0 && v[0] == open {
			found = v
			n++
		}
	}
	return found, n == 1
}

// rawSetter is implemented by *Base, and so by every record type.
type rawSetter interface{ setRaw(json.RawMessage) }

func decodeItem[T any](raw json.RawMessage) (T, error) {
	var item T
	if err := json.Unmarshal(raw, &item); err != nil {
		return item, fmt.Errorf("oneroster: decoding %T: %w", item, err)
	}
	if s, ok := any(&item).(rawSetter); ok {
		s.setRaw(append(json.RawMessage(nil), raw...))
	}
	return item, nil
}
