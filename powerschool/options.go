package powerschool

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/pskit/pskit/internal/wire"
)

// Option configures a Client. Options are applied in order by NewClient.
type Option func(*config) error

// RetryPolicy controls how requests are tried again after a transport error
// (a dropped connection, a body cut short, an attempt that timed out) or a
// 429, 500, 502, 503 or 504 answer. Reads (GETs, token requests,
// PowerQueries) are retried on all of those; a write only after a 429,
// which says the server did not act on it. Both SDKs share this type.
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

// Throttle limits the client's own request rate, across all goroutines.
type Throttle struct {
	// MinInterval is the minimum time between the starts of two requests
	// (as WithRateLimit). 0 means no known limit; refusals still slow the
	// client down.
	MinInterval time.Duration
	// MaxConcurrent caps requests in flight at once. 0 means no cap.
	MaxConcurrent int
}

type config struct {
	wire.Settings
	baseURL      string
	clientID     string
	clientSecret string
	tlsConfig    *tls.Config
	cache        TokenCache
	throttle     Throttle
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

// WithHTTPClient supplies the HTTP client whose transport, timeout and
// cookie jar are used. Its redirect policy is not: redirects are followed
// only to the server's own scheme and host, so the token never reaches
// another server or plain http. The SDK adds its own retry, deadline and
// throttle layers on top of its transport and never modifies the client.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *config) error { return c.SetHTTPClient(hc) }
}

// WithLogger sends debug logs (token lifecycle, one line per HTTP attempt) to l.
// Secrets and tokens are never logged. The default discards logs.
func WithLogger(l *slog.Logger) Option { return func(c *config) error { return c.SetLogger(l) } }

// WithUserAgent sets the User-Agent header sent with every request.
func WithUserAgent(ua string) Option {
	return func(c *config) error { c.UserAgent = ua; return nil }
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
	return func(c *config) error { c.Insecure = true; return nil }
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

// WithRateLimit keeps at least minInterval between the starts of any two
// of the client's requests (all goroutines together): give it the plugin's
// "minimum time interval between API requests" when an administrator set
// one, so that the client never needs to be refused to find it. Without
// it the client still learns the server's limit from refusals (HTTP 429)
// and slows down on its own; with it, it may slow further but never goes
// faster. 0 means no known limit.
func WithRateLimit(minInterval time.Duration) Option {
	return func(c *config) error {
		if minInterval < 0 {
			return fmt.Errorf("WithRateLimit: the interval (%s) must not be negative; 0 means no known limit", minInterval)
		}
		c.throttle.MinInterval = minInterval
		return nil
	}
}

// WithRetryPolicy replaces DefaultRetryPolicy().
func WithRetryPolicy(p RetryPolicy) Option {
	return func(c *config) error { return c.SetRetryPolicy(p) }
}

// WithTimeout bounds each attempt of a request, from sending it to the last
// byte of the answer (default DefaultTimeout; 0 means no limit). A server
// that does not answer within it fails the attempt with an error that says
// so; reads are then retried under the retry policy. A streamed PowerQuery
// (PageSize 0) may take longer as a whole, but not fall silent for longer.
func WithTimeout(d time.Duration) Option { return func(c *config) error { return c.SetTimeout(d) } }

// WithMaxResponseSize bounds the size of one response body (default
// DefaultMaxResponseSize); a larger answer fails with an error that says so.
// A streamed PowerQuery (PageSize 0) is read record by record and not bounded.
func WithMaxResponseSize(n int64) Option {
	return func(c *config) error { return c.SetMaxResponseSize(n) }
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
