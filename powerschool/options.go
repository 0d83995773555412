package powerschool

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"
)

// Option configures a Client. Options are applied in order by NewClient.
type Option func(*config) error

// RetryPolicy controls how requests that are safe to repeat are retried after
// a transport error or a 429, 502, 503 or 504 answer.
type RetryPolicy struct {
	// MaxRetries is the number of retries after the first attempt. 0 disables retries.
	MaxRetries int
	// MinWait and MaxWait bound the exponential backoff (with jitter).
	MinWait, MaxWait time.Duration
	// MaxRetryAfter caps how long a server's Retry-After may make the client wait.
	MaxRetryAfter time.Duration
}

// DefaultRetryPolicy is used unless WithRetryPolicy says otherwise.
var DefaultRetryPolicy = RetryPolicy{MaxRetries: 4, MinWait: 500 * time.Millisecond, MaxWait: 15 * time.Second, MaxRetryAfter: 2 * time.Minute}

// Throttle limits the client's own request rate, across all goroutines.
type Throttle struct {
	// MinInterval is the minimum time between the starts of two requests. 0 means no limit.
	MinInterval time.Duration
	// MaxConcurrent caps requests in flight at once. 0 means no cap.
	MaxConcurrent int
}

type config struct {
	baseURL      string
	clientID     string
	clientSecret string
	httpClient   *http.Client
	logger       *slog.Logger
	userAgent    string
	tlsConfig    *tls.Config
	insecureHTTP bool
	cache        TokenCache
	throttle     Throttle
	retry        RetryPolicy
	readOnly     bool
	concurrency  int
	earlyExpiry  time.Duration
}

// WithBaseURL sets the PowerSchool server, e.g. "https://district.powerschool.com".
// It must be https unless the host is loopback or WithInsecureHTTP is given.
func WithBaseURL(u string) Option {
	return func(c *config) error { c.baseURL = u; return nil }
}

// WithCredentials sets the plugin's OAuth client ID and client secret, as shown
// under System > System Settings > Plugin Management Configuration > [plugin] >
// Data Provider Configuration.
func WithCredentials(clientID, clientSecret string) Option {
	return func(c *config) error { c.clientID, c.clientSecret = clientID, clientSecret; return nil }
}

// WithHTTPClient supplies the HTTP client whose transport, timeout, cookie jar
// and redirect policy are used. The SDK adds its own retry and throttle layers
// on top of its transport and never modifies the given client.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *config) error {
		if hc == nil {
			return errors.New("WithHTTPClient: client is nil; pass an *http.Client or leave the option out")
		}
		c.httpClient = hc
		return nil
	}
}

// WithLogger sends debug logs (token lifecycle, one line per HTTP attempt) to l.
// Secrets and tokens are never logged. The default discards logs.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		if l != nil {
			c.logger = l
		}
		return nil
	}
}

// WithUserAgent sets the User-Agent header sent with every request.
func WithUserAgent(ua string) Option {
	return func(c *config) error { c.userAgent = ua; return nil }
}

// WithTLSConfig sets the TLS configuration, e.g. for an on-premises server
// with a private certificate authority. It cannot be combined with
// WithHTTPClient (configure that client's transport instead).
func WithTLSConfig(t *tls.Config) Option {
	return func(c *config) error {
		if t == nil {
			return errors.New("WithTLSConfig: config is nil")
		}
		c.tlsConfig = t.Clone()
		return nil
	}
}

// WithRootCAPEM trusts the PEM-encoded certificate authorities in pem, in
// addition to the system's, for an on-premises server with a private CA.
func WithRootCAPEM(pem []byte) Option {
	return func(c *config) error {
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return errors.New("WithRootCAPEM: no certificate found in the PEM data; pass the server's CA certificate in PEM form (-----BEGIN CERTIFICATE-----)")
		}
		if c.tlsConfig == nil {
			c.tlsConfig = &tls.Config{MinVersion: tls.VersionTLS12}
		}
		c.tlsConfig.RootCAs = pool
		return nil
	}
}

// WithInsecureHTTP allows a plain-http base URL on a non-loopback host. The
// client secret and tokens then cross the network unencrypted: use it only on
// a trusted test network.
func WithInsecureHTTP() Option {
	return func(c *config) error { c.insecureHTTP = true; return nil }
}

// WithTokenCache keeps tokens between runs. A cached token is validated once
// (GET /ws/v1/metadata) before first use and replaced when invalid.
func WithTokenCache(tc TokenCache) Option {
	return func(c *config) error { c.cache = tc; return nil }
}

// WithThrottle limits the client's request rate and concurrency.
func WithThrottle(t Throttle) Option {
	return func(c *config) error {
		if t.MinInterval < 0 || t.MaxConcurrent < 0 {
			return fmt.Errorf("WithThrottle: MinInterval (%s) and MaxConcurrent (%d) must not be negative", t.MinInterval, t.MaxConcurrent)
		}
		c.throttle = t
		return nil
	}
}

// WithRetryPolicy replaces DefaultRetryPolicy.
func WithRetryPolicy(p RetryPolicy) Option {
	return func(c *config) error {
		if p.MaxRetries < 0 || p.MinWait < 0 || p.MaxWait < p.MinWait || p.MaxRetryAfter < 0 {
			return fmt.Errorf("WithRetryPolicy: need MaxRetries >= 0, 0 <= MinWait <= MaxWait and MaxRetryAfter >= 0 (got %+v)", p)
		}
		c.retry = p
		return nil
	}
}

// WithReadOnly makes the client refuse, before sending, every request that
// could change data: PUT, DELETE, PATCH and POST other than PowerQuery reads.
func WithReadOnly() Option {
	return func(c *config) error { c.readOnly = true; return nil }
}

// WithPageConcurrency sets how many pages a list iterator fetches at once by
// default (DefaultPageConcurrency unless set). ListOptions.Concurrency
// overrides it per call.
func WithPageConcurrency(n int) Option {
	return func(c *config) error {
		if n < 1 {
			return fmt.Errorf("WithPageConcurrency: %d is not a valid worker count; use 1 or more", n)
		}
		c.concurrency = n
		return nil
	}
}

// WithTokenEarlyExpiry sets how long before its expiry a token is replaced (default 1 minute).
func WithTokenEarlyExpiry(d time.Duration) Option {
	return func(c *config) error { c.earlyExpiry = d; return nil }
}
