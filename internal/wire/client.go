package wire

import (
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

// Settings are the options both SDKs offer under the same names
// (WithHTTPClient, WithInsecureHTTP, WithLogger, WithUserAgent,
// WithRetryPolicy, WithTimeout, WithMaxResponseSize). Each SDK's config
// embeds it, and its With* functions call the setters.
type Settings struct {
	HTTPClient      *http.Client
	Logger          *slog.Logger
	UserAgent       string
	Insecure        bool
	Retry           RetryPolicy
	Timeout         time.Duration
	MaxResponseSize int64
}

// NewSettings returns the defaults, with userAgent.
func NewSettings(userAgent string) Settings {
	return Settings{
		Logger:          slog.New(slog.DiscardHandler),
		UserAgent:       userAgent,
		Retry:           DefaultRetryPolicy(),
		Timeout:         DefaultTimeout,
		MaxResponseSize: DefaultMaxResponseSize,
	}
}

// SetHTTPClient is WithHTTPClient.
func (s *Settings) SetHTTPClient(hc *http.Client) error {
	if hc == nil {
		return errors.New("WithHTTPClient: client is nil; pass an *http.Client or leave the option out")
	}
	s.HTTPClient = hc
	return nil
}

// SetLogger is WithLogger; nil keeps logs discarded.
func (s *Settings) SetLogger(l *slog.Logger) error {
	if l != nil {
		s.Logger = l
	}
	return nil
}

// SetRetryPolicy is WithRetryPolicy.
func (s *Settings) SetRetryPolicy(p RetryPolicy) error {
	if err := p.Validate(); err != nil {
		return err
	}
	s.Retry = p
	return nil
}

// SetTimeout is WithTimeout.
func (s *Settings) SetTimeout(d time.Duration) error {
	if d < 0 {
		return errors.New("WithTimeout: the timeout must not be negative; 0 means none")
	}
	s.Timeout = d
	return nil
}

// SetMaxResponseSize is WithMaxResponseSize.
func (s *Settings) SetMaxResponseSize(n int64) error {
	if n <= 0 {
		return errors.New("WithMaxResponseSize: the limit must be a positive number of bytes")
	}
	s.MaxResponseSize = n
	return nil
}

// Transport returns the transport requests go out on: WithHTTPClient's, or
// def (the SDK's own) when none was given.
func (s *Settings) Transport(def http.RoundTripper) http.RoundTripper {
	if s.HTTPClient != nil && s.HTTPClient.Transport != nil {
		return s.HTTPClient.Transport
	}
	if s.HTTPClient != nil || def == nil {
		return http.DefaultTransport
	}
	return def
}

// Attempt wraps rt with the per-attempt layer: the deadline (Timeout), the
// body limit (MaxResponseSize) and the reading of bodies below the retries.
func (s *Settings) Attempt(rt http.RoundTripper) http.RoundTripper {
	return &attemptTransport{base: rt, timeout: s.Timeout, maxBody: s.MaxResponseSize}
}

// inner is the http.Client one attempt goes through: WithHTTPClient's
// timeout and cookie jar are kept, its redirect policy never is.
func (s *Settings) inner(rt http.RoundTripper, checkRedirect func(*http.Request, []*http.Request) error) *http.Client {
	hc := &http.Client{Transport: rt, CheckRedirect: checkRedirect}
	if s.HTTPClient != nil {
		hc.Timeout, hc.Jar = s.HTTPClient.Timeout, s.HTTPClient.Jar
	}
	return hc
}

// APIClient sends API requests over rt with the retry policy, following
// redirects only within origin.
func (s *Settings) APIClient(rt http.RoundTripper, origin *url.URL) *retryablehttp.Client {
	return NewRetryClient(s.inner(rt, SameOrigin(origin)), s.Retry)
}

// TokenFetchTimeout bounds one whole token fetch: DefaultTokenFetchTimeout,
// or more when a single attempt may take longer.
func (s *Settings) TokenFetchTimeout() time.Duration {
	return max(DefaultTokenFetchTimeout, 2*s.Timeout)
}

// TokenHTTPClient is the client for TokenConfig.HTTPClient: token requests
// over rt, retried as reads, following no redirect.
func (s *Settings) TokenHTTPClient(rt http.RoundTripper) *http.Client {
	rc := NewRetryClient(s.inner(rt, NoRedirect), s.Retry)
	return &http.Client{Transport: answerOrError{&retryablehttp.RoundTripper{Client: rc}}, CheckRedirect: NoRedirect}
}

// answerOrError hands on an answer or an error, never both: a refused
// redirect comes back from net/http with the redirect's response too, which
// an outer http.Client would complain about on the standard logger.
type answerOrError struct{ rt http.RoundTripper }

func (a answerOrError) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := a.rt.RoundTrip(req)
	if err != nil && resp != nil {
		resp.Body.Close()
		resp = nil
	}
	return resp, err
}
