package wire

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

// RetryPolicy controls how requests are tried again after a transport error
// (a refused or dropped connection, a body cut after the headers, an attempt
// that timed out) or a 429, 500, 502, 503 or 504 answer.
//
// Only reads are retried on every one of those: GETs, HEADs and requests
// the SDK marks as reads (token requests, PowerQueries). A write is sent
// again only after a 429, which says the server did not act on it: a write
// whose answer was lost may have been applied, so repeating it blindly could
// apply it twice. The SDKs handle that case themselves where they can (by
// reading back what was stored).
type RetryPolicy struct {
	// MaxRetries is the number of retries after the first attempt. 0 disables retries.
	MaxRetries int
	// MinWait and MaxWait bound the exponential backoff (with jitter).
	MinWait, MaxWait time.Duration
	// MaxRetryAfter caps how long a server's Retry-After may make the client wait.
	MaxRetryAfter time.Duration
}

// DefaultRetryPolicy is the policy both SDKs use unless told otherwise.
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{MaxRetries: 4, MinWait: 500 * time.Millisecond, MaxWait: 15 * time.Second, MaxRetryAfter: 2 * time.Minute}
}

// Validate explains what is wrong with p, if anything.
func (p RetryPolicy) Validate() error {
	if p.MaxRetries < 0 || p.MinWait < 0 || p.MaxWait < p.MinWait || p.MaxRetryAfter < 0 {
		return fmt.Errorf("WithRetryPolicy: need MaxRetries >= 0, 0 <= MinWait <= MaxWait and MaxRetryAfter >= 0 (got %+v)", p)
	}
	return nil
}

type ctxKey int

const (
	readKey   ctxKey = iota // bool: the request only reads
	streamKey               // bool: the body is streamed to the caller, not buffered
)

// MarkRead marks ctx's request as one that only reads, so it may be retried
// on any transport error and on a 500.
func MarkRead(ctx context.Context) context.Context { return context.WithValue(ctx, readKey, true) }

// IsRead reports whether MarkRead marked ctx.
func IsRead(ctx context.Context) bool { ok, _ := ctx.Value(readKey).(bool); return ok }

// MarkStream marks ctx's request as one whose answer is read by the caller
// as it arrives (a streamed PowerQuery): it is not buffered, has no size
// limit, and its deadline is one of silence (see Timeouts).
func MarkStream(ctx context.Context) context.Context { return context.WithValue(ctx, streamKey, true) }

func isStream(ctx context.Context) bool { ok, _ := ctx.Value(streamKey).(bool); return ok }

// ReadMethod reports whether method only reads (RFC 9110 safe methods).
func ReadMethod(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return true
	}
	return false
}

// CheckRetry is the retryablehttp.CheckRetry of RetryPolicy.
func CheckRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	read := IsRead(ctx)
	if err != nil {
		var tooLarge *TooLargeError
		var final interface{ NoRetry() bool }
		if !read || errors.Is(err, ErrRedirectRefused) || errors.As(err, &tooLarge) || (errors.As(err, &final) && final.NoRetry()) {
			return false, nil
		}
		// Network errors, cut bodies and timed-out attempts are retried;
		// TLS verification and bad-URL errors are not.
		return retryablehttp.ErrorPropagatedRetryPolicy(ctx, nil, err)
	}
	switch resp.StatusCode {
	case http.StatusTooManyRequests:
		return true, nil
	case http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return read, nil
	}
	return false, nil
}

// Backoff waits as long as the server's Retry-After asks (capped at
// p.MaxRetryAfter), otherwise exponentially from min to max with jitter.
func (p RetryPolicy) Backoff(min, max time.Duration, attempt int, resp *http.Response) time.Duration {
	if resp != nil && (resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable) {
		if d, ok := ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
			return CapDuration(d, p.MaxRetryAfter)
		}
	}
	d := min
	for i := 0; i < attempt && d < max; i++ {
		d *= 2
	}
	d = CapDuration(d, max)
	if d <= 1 {
		return d
	}
	// Jitter in [d/2, d] so that many clients do not retry in step.
	return d/2 + rand.N(d/2+1)
}

// CapDuration returns d, at most limit.
func CapDuration(d, limit time.Duration) time.Duration {
	if d > limit {
		return limit
	}
	return d
}

// ParseRetryAfter reads a Retry-After header: delay seconds or an HTTP date.
func ParseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		if secs > int64(24*time.Hour/time.Second) {
			secs = int64(24 * time.Hour / time.Second)
		}
		return time.Duration(secs) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	if d := t.Sub(now); d > 0 {
		return d, true
	}
	return 0, true
}

// NewRetryClient sends requests through inner with policy p. The last
// answer (a 429 or 5xx after every retry) is handed back so that the SDK
// can turn it into a typed error; attempts are not logged here (the SDKs log
// them without query strings).
func NewRetryClient(inner *http.Client, p RetryPolicy) *retryablehttp.Client {
	return &retryablehttp.Client{
		HTTPClient:   inner,
		Logger:       nil,
		RetryWaitMin: p.MinWait,
		RetryWaitMax: p.MaxWait,
		RetryMax:     p.MaxRetries,
		CheckRetry:   CheckRetry,
		Backoff:      p.Backoff,
		ErrorHandler: retryablehttp.PassthroughErrorHandler,
	}
}
