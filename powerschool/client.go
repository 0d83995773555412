package powerschool

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
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-retryablehttp"
	"github.com/pskit/pskit/internal/wire"
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
	pace   *throttleTransport
	tokens *tokenManager
	redact *wire.Redactor

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
	// XTE is PowerTeacher Pro's /ws/xte API.
	XTE *XTEService
}

// NewClient returns a client for the server and plugin credentials given by
// the options. WithBaseURL and WithCredentials are required.
func NewClient(opts ...Option) (*Client, error) {
	cfg := config{
		Settings:    wire.NewSettings(DefaultUserAgent),
		concurrency: DefaultPageConcurrency,
		earlyExpiry: time.Minute,
	}
	for _, o := range opts {
		if err := o(&cfg); err != nil {
			return nil, fmt.Errorf("powerschool: %w", err)
		}
	}
	if strings.TrimSpace(cfg.baseURL) == "" {
		return nil, errors.New("powerschool: no server URL; pass WithBaseURL(\"https://<district>.powerschool.com\")")
	}
	base, err := wire.CheckURL("server", cfg.baseURL, cfg.Insecure)
	if err != nil {
		return nil, fmt.Errorf("powerschool: %w", err)
	}
	if strings.TrimSpace(cfg.clientID) == "" || strings.TrimSpace(cfg.clientSecret) == "" {
		return nil, errors.New("powerschool: the client ID and client secret must both be set (WithCredentials); an administrator finds them under " + pluginConfigPath)
	}

	var own http.RoundTripper
	if cfg.HTTPClient != nil {
		if cfg.tlsConfig != nil {
			return nil, errors.New("powerschool: WithTLSConfig/WithRootCAPEM cannot be combined with WithHTTPClient; set the TLS config on that client's transport instead")
		}
	} else if tr, ok := http.DefaultTransport.(*http.Transport); ok {
		tr = tr.Clone()
		tr.MaxIdleConnsPerHost = idleConnsPerHost
		if cfg.tlsConfig != nil {
			tr.TLSClientConfig = cfg.tlsConfig
		}
		own = tr
	} else if cfg.tlsConfig != nil {
		return nil, errors.New("powerschool: http.DefaultTransport has been replaced, so WithTLSConfig/WithRootCAPEM cannot apply; pass WithHTTPClient with the TLS config on its transport")
	}
	// Every attempt, token requests included, passes the throttle, then
	// the per-attempt deadline and body limit.
	rt := newThrottleTransport(cfg.Attempt(cfg.Transport(own)), cfg.throttle, cfg.Retry, cfg.Logger, cfg.UserAgent)

	c := &Client{base: base, cfg: cfg, logger: cfg.Logger, retry: cfg.APIClient(rt, base), pace: rt, redact: &wire.Redactor{}}
	c.redact.AddSecret(cfg.clientSecret)
	c.redact.AddBasic(cfg.clientID, cfg.clientSecret)
	c.tokens = newTokenManager(c, cfg.TokenHTTPClient(rt))
	c.Schools = &SchoolsService{c}
	c.Students = &StudentsService{c}
	c.Staff = &StaffService{c}
	c.Sections = &SectionsService{c}
	c.SectionEnrollments = &SectionEnrollmentsService{c}
	c.Courses = &CoursesService{c}
	c.Terms = &TermsService{c}
	c.Tables = &TablesService{c}
	c.XTE = &XTEService{c}
	return c, nil
}

// BaseURL returns the server's base URL as configured.
func (c *Client) BaseURL() string { return c.base.String() }

// Stats are what a client has met so far, across all its requests.
type Stats struct {
	// Requests counts attempts sent, token requests and retries included.
	Requests int64
	// Refusals counts attempts the server refused as too many (HTTP 429).
	// Each was sent again at a slower pace.
	Refusals int64
	// SlowDowns counts the times the client slowed its pace after a refusal.
	SlowDowns int64
	// Interval is the spacing the client now keeps between requests
	// (0: none); it is learnt from refusals, and never below WithRateLimit.
	Interval time.Duration
}

// Stats returns what the client has met so far. It is safe to call at any
// time, e.g. after a pull to report how often the server refused.
func (c *Client) Stats() Stats {
	s := c.pace.pacer.Stats()
	return Stats{Requests: s.Requests, Refusals: s.Refusals, SlowDowns: s.SlowDowns, Interval: s.Interval}
}

// scrub removes secrets (client secret, Basic header, tokens) from s.
func (c *Client) scrub(s string) string { return c.redact.Text(s) }

// request is one logical API call.
type request struct {
	method string
	path   string // e.g. /ws/v1/district, without the base URL's path
	query  url.Values
	body   []byte // JSON, nil for none
	// readOnly marks a POST that only reads (PowerQuery); it is allowed on a
	// read-only client and retried like a GET.
	readOnly bool
	// stream marks an answer read as it arrives (not buffered, no size limit).
	stream bool
}

// powerQueryPrefix is where POSTs only read.
const powerQueryPrefix = "/ws/schema/query/"

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
	clean, err := wire.CleanPath(r.path)
	if err != nil {
		return nil, fmt.Errorf("powerschool: %s: %w; give the path without . or .. segments", r.method, err)
	}
	if clean != r.path {
		cp := *r
		cp.path = clean
		r = &cp
	}
	if r.readOnly && !strings.HasPrefix(r.path, powerQueryPrefix) {
		r.readOnly = false // only a PowerQuery is a read sent as a POST
	}
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
	actx := ctx
	if !r.writes() {
		actx = wire.MarkRead(actx)
	}
	if r.stream {
		actx = wire.MarkStream(actx)
	}
	actx = context.WithValue(actx, attemptsKey, new(atomic.Int32))
	var body any
	if r.body != nil {
		body = r.body
	}
	req, err := retryablehttp.NewRequestWithContext(actx, r.method, c.url(r.path, r.query), body)
	if err != nil {
		return nil, fmt.Errorf("powerschool: building %s %s: %s", r.method, r.path, c.scrub(wire.ErrorText(err)))
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Accept", "application/json")
	if r.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.retry.Do(req)
	if err != nil {
		var refused *refusedError
		if errors.As(err, &refused) && ctx.Err() == nil {
			return nil, &RateLimitError{Method: r.method, Path: r.path, RetryAfter: refused.retryAfter, Refusals: refused.refusals}
		}
		return nil, c.transportError(ctx, r.method, r.path, err)
	}
	return resp, nil
}

// transportError explains a request that got no answer, without the URL's
// query string (a q= filter can hold names and birth dates) or a secret.
func (c *Client) transportError(ctx context.Context, method, path string, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("powerschool: %s %s: %w", method, path, ctxErr)
	}
	return wire.TransportError("powerschool", method, path, err, c.redact)
}

// responseError turns a non-2xx response into a typed error and closes it.
func (c *Client) responseError(method, path string, resp *http.Response) error {
	defer drain(resp)
	if resp.StatusCode == http.StatusTooManyRequests {
		d, _ := wire.ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
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
			return c.transportError(ctx, r.method, r.path, err)
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
// PATCH and DELETE is refused by a read-only client. The path is cleaned
// first ("." and ".." resolved, also when percent-encoded; a path that
// climbs above the root is refused), and the cleaned path is what is judged
// and sent.
func (c *Client) Do(ctx context.Context, method, path string, query url.Values, body, out any) error {
	method = strings.ToUpper(method)
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	clean, err := wire.CleanPath(path)
	if err != nil {
		return fmt.Errorf("powerschool: %s: %w; give the path without . or .. segments", method, err)
	}
	r := &request{method: method, path: clean, query: query}
	r.readOnly = method == http.MethodPost && strings.HasPrefix(clean, powerQueryPrefix)
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
