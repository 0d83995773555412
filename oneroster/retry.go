package oneroster

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

// retryPolicy: only safe requests (GET, HEAD) are retried. A PUT retried
// after a lost answer would report "updated" for a record it had just
// created, so writes are sent once and their errors surface to the caller.
type retryPolicy struct {
	max     int
	minWait time.Duration
	maxWait time.Duration
}

func defaultRetryPolicy() retryPolicy {
	return retryPolicy{max: 3, minWait: 500 * time.Millisecond, maxWait: 30 * time.Second}
}

// retryTransport sends safe requests through go-retryablehttp and everything
// else straight to next.
type retryTransport struct {
	next  http.RoundTripper
	retry http.RoundTripper
}

func newRetryTransport(next http.RoundTripper, p retryPolicy) http.RoundTripper {
	if p.max == 0 {
		return next
	}
	rc := retryablehttp.NewClient()
	rc.HTTPClient = &http.Client{
		Transport: next,
		// Redirects are decided by the outer client, which checks the origin.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	rc.Logger = nil // it would log URLs; the Client logs on its own
	rc.RetryMax = p.max
	rc.RetryWaitMin = p.minWait
	rc.RetryWaitMax = p.maxWait
	rc.CheckRetry = p.checkRetry
	rc.Backoff = p.backoff
	// Hand back the last response (e.g. the 429 with its imsx body) instead
	// of a generic "giving up" error.
	rc.ErrorHandler = retryablehttp.PassthroughErrorHandler
	return &retryTransport{next: next, retry: &retryablehttp.RoundTripper{Client: rc}}
}

func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method == http.MethodGet || req.Method == http.MethodHead {
		return t.retry.RoundTrip(req)
	}
	return t.next.RoundTrip(req)
}

func (p retryPolicy) checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	if err != nil {
		var te *TokenError
		if errors.As(err, &te) {
			return false, err // bad credentials do not get better by waiting
		}
		return retryablehttp.DefaultRetryPolicy(ctx, resp, err)
	}
	switch resp.StatusCode {
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		// A Retry-After beyond the cap is the provider's to decide: return
		// the answer rather than block the caller for minutes.
		if d := retryAfter(resp.Header); d > p.maxWait {
			return false, nil
		}
		return true, nil
	}
	return false, nil
}

func (p retryPolicy) backoff(min, max time.Duration, attempt int, resp *http.Response) time.Duration {
	if resp != nil {
		if d := retryAfter(resp.Header); d > 0 {
			return min2(d, max)
		}
	}
	return retryablehttp.LinearJitterBackoff(min, max, attempt, resp)
}

func min2(a, b time.Duration) time.Duration {
	if a < b {
		return a
	}
	return b
}
