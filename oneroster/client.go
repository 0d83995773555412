package oneroster

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
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
	hc        *http.Client
	userAgent string
	logger    *slog.Logger
	redact    *redactor
}

type config struct {
	basePath      string
	oauth2        *OAuth2
	oauth1        *OAuth1
	httpClient    *http.Client
	allowInsecure bool
	retry         retryPolicy
	logger        *slog.Logger
	userAgent     string
}

// Option configures a Client.
type Option func(*config) error

// WithOAuth2 authenticates with OAuth 2 client credentials.
func WithOAuth2(o OAuth2) Option {
	return func(c *config) error {
		if o.ClientID == "" || o.ClientSecret == "" {
			return errors.New("oneroster: OAuth 2 needs ClientID and ClientSecret (from the provider's plugin or integration page)")
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
			return fmt.Errorf("oneroster: base path %q must be a path, without query or fragment", p)
		}
		c.basePath = "/" + strings.Trim(p, "/")
		return nil
	}
}

// WithHTTPClient sets the HTTP client whose Transport and Timeout are used.
// Its redirect policy is replaced (redirects may not leave the provider).
func WithHTTPClient(hc *http.Client) Option {
	return func(c *config) error {
		if hc == nil {
			return errors.New("oneroster: WithHTTPClient(nil)")
		}
		c.httpClient = hc
		return nil
	}
}

// WithInsecureHTTP allows http:// URLs to hosts other than loopback. Tokens
// and scores then cross the network in clear text: use it only on a trusted
// network.
func WithInsecureHTTP() Option {
	return func(c *config) error { c.allowInsecure = true; return nil }
}

// WithRetry sets how many times a GET is retried on 429, 502, 503 or 504
// (default 3) and the longest wait between tries (default 30s). A
// Retry-After longer than maxWait is not waited for: the 429 is returned.
// WithRetry(0, 0) turns retries off.
func WithRetry(max int, maxWait time.Duration) Option {
	return func(c *config) error {
		if max < 0 || maxWait < 0 {
			return errors.New("oneroster: WithRetry needs non-negative values")
		}
		c.retry.max = max
		if maxWait > 0 {
			c.retry.maxWait = maxWait
			if c.retry.minWait > maxWait {
				c.retry.minWait = maxWait
			}
		}
		return nil
	}
}

// WithLogger logs each request (method, path, status, duration) at debug
// level. Query strings, bodies and credentials are never logged.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error { c.logger = l; return nil }
}

// WithUserAgent sets the User-Agent header.
func WithUserAgent(ua string) Option {
	return func(c *config) error { c.userAgent = ua; return nil }
}

// NewClient returns a client for the OneRoster provider at server, e.g.
// "https://district.powerschool.com". The server URL may carry a path
// prefix ("https://host/aeries"); the base path is appended to it.
func NewClient(server string, opts ...Option) (*Client, error) {
	cfg := config{
		basePath:  DefaultBasePath,
		retry:     defaultRetryPolicy(),
		userAgent: "pskit-oneroster",
	}
	for _, o := range opts {
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	su, err := checkURL("server", server, cfg.allowInsecure)
	if err != nil {
		return nil, err
	}
	su.Path = strings.TrimRight(su.Path, "/")
	su.RawPath = ""
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

	hc := cfg.httpClient
	if hc == nil {
		hc = &http.Client{Timeout: 60 * time.Second}
	}
	transport := hc.Transport
	if transport == nil {
		transport = http.DefaultTransport
	}

	red := &redactor{}
	var auth http.RoundTripper
	if o := cfg.oauth2; o != nil {
		tokenURL := o.TokenURL
		if tokenURL == "" {
			t := *su
			t.Path = su.Path + DefaultTokenPath
			tokenURL = t.String()
		}
		tu, err := checkURL("token", tokenURL, cfg.allowInsecure)
		if err != nil {
			return nil, err
		}
		red.addSecret(o.ClientSecret)
		// x/oauth2 sends Basic base64(escape(id):escape(secret)).
		red.addSecret(url.QueryEscape(o.ClientID) + ":" + url.QueryEscape(o.ClientSecret))
		src := newTokenSource(*o, tu.String(), &http.Client{
			Transport:     transport,
			Timeout:       hc.Timeout,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}, red)
		auth = &bearerTransport{src: src, base: transport}
	} else {
		red.addSecret(cfg.oauth1.ConsumerSecret)
		auth = &oauth1Transport{cfg: *cfg.oauth1, base: transport}
	}

	c := &Client{
		base:      &base,
		userAgent: cfg.userAgent,
		logger:    cfg.logger,
		redact:    red,
	}
	c.hc = &http.Client{
		Transport:     newRetryTransport(auth, cfg.retry),
		Timeout:       hc.Timeout,
		CheckRedirect: sameOrigin(&base, cfg.allowInsecure),
	}
	return c, nil
}

// BaseURL returns the OneRoster root the client calls, e.g.
// "https://ps.example.org/ims/oneroster/v1p1".
func (c *Client) BaseURL() string { return c.base.String() }

// checkURL parses an absolute http(s) URL and refuses clear-text http to a
// host other than loopback unless allowed.
func checkURL(what, raw string, allowInsecure bool) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("oneroster: %s URL %q is not an absolute http(s) URL: use e.g. https://district.example.org", what, raw)
	}
	if u.User != nil {
		return nil, fmt.Errorf("oneroster: %s URL must not carry credentials: pass them with WithOAuth2 or WithOAuth1", what)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("oneroster: %s URL %q must not have a query or fragment", what, u.Redacted())
	}
	if u.Scheme == "http" && !allowInsecure && !isLoopback(u.Hostname()) {
		return nil, fmt.Errorf("oneroster: refusing clear-text %s URL %s: credentials and grades would cross the network unencrypted; use https, or WithInsecureHTTP on a trusted network", what, u.Redacted())
	}
	return u, nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// sameOrigin refuses redirects that leave the provider's scheme and host: the
// auth transports add credentials to every request they see.
func sameOrigin(base *url.URL, allowInsecure bool) func(*http.Request, []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		if len(via) >= 5 {
			return errors.New("oneroster: stopped after 5 redirects")
		}
		if !strings.EqualFold(req.URL.Scheme, base.Scheme) || !strings.EqualFold(req.URL.Host, base.Host) {
			return fmt.Errorf("oneroster: refusing redirect to %s://%s: it leaves the provider %s and would receive credentials; check the server URL", req.URL.Scheme, req.URL.Host, base.Host)
		}
		return nil
	}
}

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
	req, err := http.NewRequestWithContext(ctx, method, target, body)
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
	resp, err := c.hc.Do(req)
	if err != nil {
		c.log(ctx, method, logPath, 0, start, err)
		if ctxErr := ctx.Err(); ctxErr != nil {
			return 0, nil, fmt.Errorf("oneroster: %s %s: %w", method, logPath, ctxErr)
		}
		var te *TokenError
		if errors.As(err, &te) {
			return 0, nil, te
		}
		return 0, nil, fmt.Errorf("oneroster: %s %s: %w; check the server URL and network", method, logPath, err)
	}
	defer resp.Body.Close()
	c.log(ctx, method, logPath, resp.StatusCode, start, nil)

	if resp.StatusCode >= 300 {
		data, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		e := decodeError(resp.StatusCode, data)
		e.Method, e.Path = method, logPath
		e.RetryAfter = retryAfter(resp.Header)
		c.redact.scrub(e)
		return resp.StatusCode, resp.Header, e
	}
	if out != nil && resp.StatusCode != http.StatusNoContent {
		data, err := io.ReadAll(resp.Body)
		if err != nil {
			return resp.StatusCode, resp.Header, fmt.Errorf("oneroster: reading %s %s response: %w", method, logPath, err)
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
	if c.logger == nil {
		return
	}
	attrs := []slog.Attr{
		slog.String("method", method),
		slog.String("path", path),
		slog.Duration("duration", time.Since(start)),
	}
	if status != 0 {
		attrs = append(attrs, slog.Int("status", status))
	}
	if err != nil {
		attrs = append(attrs, slog.String("error", c.redact.text(err.Error())))
	}
	c.logger.LogAttrs(ctx, slog.LevelDebug, "oneroster request", attrs...)
}

func retryAfter(h http.Header) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := time.Until(t); d > 0 {
			return d
		}
	}
	return 0
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
