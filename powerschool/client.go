package powerschool

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
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

// DefaultUserAgent is sent unless WithUserAgent says otherwise.
const DefaultUserAgent = "pskit-powerschool/1"

// Client talks to one PowerSchool server as one plugin. It is safe for
// concurrent use; create one per server and reuse it.
type Client struct {
	base   *url.URL
	cfg    config
	logger *slog.Logger
	retry  *retryablehttp.Client
	tokens *tokenManager
	scrub  func(string) string

	metaMu sync.Mutex
	meta   *Metadata

	Schools            *SchoolsService
	Students           *StudentsService
	Staff              *StaffService
	Sections           *SectionsService
	SectionEnrollments *SectionEnrollmentsService
	Courses            *CoursesService
	Terms              *TermsService
	Tables             *TablesService
}

// NewClient returns a client for the server and plugin credentials given by
// the options. WithBaseURL and WithCredentials are required.
func NewClient(opts ...Option) (*Client, error) {
	cfg := config{
		logger:      slog.New(slog.DiscardHandler),
		userAgent:   DefaultUserAgent,
		retry:       DefaultRetryPolicy,
		concurrency: DefaultPageConcurrency,
		earlyExpiry: time.Minute,
	}
	for _, o := range opts {
		if err := o(&cfg); err != nil {
			return nil, fmt.Errorf("powerschool: %w", err)
		}
	}
	base, err := checkBaseURL(cfg.baseURL, cfg.insecureHTTP)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(cfg.clientID) == "" || strings.TrimSpace(cfg.clientSecret) == "" {
		return nil, errors.New("powerschool: the client ID and client secret must both be set (WithCredentials); an administrator finds them under " + pluginConfigPath)
	}

	var inner http.Client
	var baseRT http.RoundTripper = http.DefaultTransport
	if cfg.httpClient != nil {
		if cfg.tlsConfig != nil {
			return nil, errors.New("powerschool: WithTLSConfig/WithRootCAPEM cannot be combined with WithHTTPClient; set the TLS config on that client's transport instead")
		}
		inner = *cfg.httpClient
		if inner.Transport != nil {
			baseRT = inner.Transport
		}
	} else if tr, ok := http.DefaultTransport.(*http.Transport); ok {
		tr = tr.Clone()
		tr.MaxIdleConnsPerHost = idleConnsPerHost
		if cfg.tlsConfig != nil {
			tr.TLSClientConfig = cfg.tlsConfig
		}
		baseRT = tr
	} else if cfg.tlsConfig != nil {
		return nil, errors.New("powerschool: http.DefaultTransport has been replaced, so WithTLSConfig/WithRootCAPEM cannot apply; pass WithHTTPClient with the TLS config on its transport")
	}
	inner.Transport = newThrottleTransport(baseRT, cfg.throttle, cfg.retry, cfg.logger, cfg.userAgent)

	c := &Client{base: base, cfg: cfg, logger: cfg.logger, retry: newRetryClient(&inner, cfg.retry)}
	c.tokens = newTokenManager(c, &inner)
	c.scrub = func(s string) string {
		s = strings.ReplaceAll(s, cfg.clientSecret, "[REDACTED]")
		if tok := c.tokens.current(); tok != "" {
			s = strings.ReplaceAll(s, tok, "[REDACTED]")
		}
		return s
	}
	c.Schools = &SchoolsService{c}
	c.Students = &StudentsService{c}
	c.Staff = &StaffService{c}
	c.Sections = &SectionsService{c}
	c.SectionEnrollments = &SectionEnrollmentsService{c}
	c.Courses = &CoursesService{c}
	c.Terms = &TermsService{c}
	c.Tables = &TablesService{c}
	return c, nil
}

// BaseURL returns the server's base URL as configured.
func (c *Client) BaseURL() string { return c.base.String() }

func checkBaseURL(raw string, insecure bool) (*url.URL, error) {
	if strings.TrimSpace(raw) == "" {
		return nil, errors.New("powerschool: no server URL; pass WithBaseURL(\"https://<district>.powerschool.com\")")
	}
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, fmt.Errorf("powerschool: %q is not a server URL; use the form https://<district>.powerschool.com", raw)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, errors.New("powerschool: the server URL must not carry user info, a query or a fragment; pass credentials with WithCredentials")
	}
	if u.Scheme == "http" && !insecure && !isLoopback(u.Hostname()) {
		return nil, fmt.Errorf("powerschool: refusing plain http to %s: the client secret and tokens would cross the network unencrypted; use https, or WithInsecureHTTP() on a trusted test network", u.Host)
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return u, nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// request is one logical API call.
type request struct {
	method string
	path   string // e.g. /ws/v1/district, without the base URL's path
	query  url.Values
	body   []byte // JSON, nil for none
	// readOnly marks a POST that only reads (PowerQuery); it is allowed on a
	// read-only client and retried like a GET.
	readOnly bool
}

func (r *request) writes() bool {
	switch r.method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return false
	case http.MethodPost:
		return !r.readOnly
	}
	return true
}

func (c *Client) url(path string, q url.Values) string {
	u := *c.base
	u.Path = c.base.Path + "/" + strings.TrimLeft(path, "/")
	u.RawQuery = q.Encode()
	return u.String()
}

// send performs r with a bearer token, fetching a new token and retrying once
// after a 401. The caller owns the returned 2xx response's body.
func (c *Client) send(ctx context.Context, r *request) (*http.Response, error) {
	if c.cfg.readOnly && r.writes() {
		return nil, fmt.Errorf("%w: refusing %s %s before sending it, because it could change data; use a client without WithReadOnly for writes", ErrReadOnly, r.method, r.path)
	}
	tok, err := c.tokens.token(ctx)
	if err != nil {
		return nil, err
	}
	resp, err := c.attempt(ctx, r, tok)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode == http.StatusUnauthorized {
		drain(resp)
		c.logger.DebugContext(ctx, "token refused, getting a new one", "method", r.method, "path", r.path)
		c.tokens.invalidate(ctx, tok)
		if tok, err = c.tokens.token(ctx); err != nil {
			return nil, err
		}
		if resp, err = c.attempt(ctx, r, tok); err != nil {
			return nil, err
		}
		if resp.StatusCode == http.StatusUnauthorized {
			desc := bearerErrorDescription(resp.Header.Get("WWW-Authenticate"))
			drain(resp)
			return nil, &AuthError{StatusCode: http.StatusUnauthorized, Method: r.method, Path: r.path, Description: c.scrub(desc)}
		}
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return resp, nil
	}
	return nil, c.responseError(r.method, r.path, resp)
}

// attempt sends r once through the retry and throttle layers with token tok.
func (c *Client) attempt(ctx context.Context, r *request, tok string) (*http.Response, error) {
	ctx = withRetryable(ctx, safeMethod(r.method) || r.readOnly)
	ctx = withRead(ctx, r.method == http.MethodGet || r.method == http.MethodHead || r.readOnly)
	ctx = context.WithValue(ctx, attemptsKey, new(atomic.Int32))
	var body any
	if r.body != nil {
		body = r.body
	}
	req, err := retryablehttp.NewRequestWithContext(ctx, r.method, c.url(r.path, r.query), body)
	if err != nil {
		return nil, fmt.Errorf("powerschool: building %s %s: %w", r.method, r.path, err)
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Accept", "application/json")
	if r.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.retry.Do(req)
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, fmt.Errorf("powerschool: %s %s: %w", r.method, r.path, ctxErr)
		}
		return nil, fmt.Errorf("powerschool: %s %s: %s; check the server URL and the network", r.method, r.path, c.scrub(err.Error()))
	}
	return resp, nil
}

// responseError turns a non-2xx response into a typed error and closes it.
func (c *Client) responseError(method, path string, resp *http.Response) error {
	defer drain(resp)
	if resp.StatusCode == http.StatusTooManyRequests {
		d, _ := parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
		return &RateLimitError{Method: method, Path: path, RetryAfter: d}
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	return newAPIError(resp.StatusCode, method, path, body, c.scrub)
}

func drain(resp *http.Response) {
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
}

// bearerErrorDescription extracts error_description from a WWW-Authenticate header.
func bearerErrorDescription(h string) string {
	const key = `error_description="`
	i := strings.Index(h, key)
	if i < 0 {
		return ""
	}
	rest := h[i+len(key):]
	if j := strings.IndexByte(rest, '"'); j >= 0 {
		return rest[:j]
	}
	return ""
}

// do sends r and decodes a JSON answer into out (unless out is nil).
func (c *Client) do(ctx context.Context, r *request, out any) error {
	resp, err := c.send(ctx, r)
	if err != nil {
		return err
	}
	defer drain(resp)
	if out == nil {
		return nil
	}
	if raw, ok := out.(*json.RawMessage); ok {
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			return fmt.Errorf("powerschool: reading %s %s: %w", r.method, r.path, err)
		}
		*raw = b
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		if errors.Is(err, io.EOF) {
			return nil // 204 or empty body
		}
		return fmt.Errorf("powerschool: %s %s: the answer is not the expected JSON: %w", r.method, r.path, err)
	}
	return nil
}

// Get fetches any PowerSchool path (e.g. "/ws/v1/district/school") and
// returns the raw JSON answer.
func (c *Client) Get(ctx context.Context, path string, query url.Values) (json.RawMessage, error) {
	var raw json.RawMessage
	err := c.Do(ctx, http.MethodGet, path, query, nil, &raw)
	return raw, err
}

// Do sends any request to PowerSchool: body (if not nil) is sent as JSON
// (a []byte or json.RawMessage is sent as is), and the JSON answer is decoded
// into out (if not nil; a *json.RawMessage receives the raw bytes). POSTs to
// /ws/schema/query/ are treated as reads (PowerQuery); every other POST, PUT,
// PATCH and DELETE is refused by a read-only client.
func (c *Client) Do(ctx context.Context, method, path string, query url.Values, body, out any) error {
	method = strings.ToUpper(method)
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	r := &request{method: method, path: path, query: query}
	r.readOnly = method == http.MethodPost && strings.HasPrefix(path, "/ws/schema/query/")
	if body != nil {
		b, err := encodeBody(body)
		if err != nil {
			return fmt.Errorf("powerschool: %s %s: encoding the body: %w", method, path, err)
		}
		r.body = b
	}
	return c.do(ctx, r, out)
}

func encodeBody(body any) ([]byte, error) {
	switch b := body.(type) {
	case []byte:
		return b, nil
	case json.RawMessage:
		return b, nil
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(body); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}
