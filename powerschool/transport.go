package powerschool

// Retries use hashicorp/go-retryablehttp: it already rewinds request bodies,
// drains discarded responses and stops waiting the moment the context ends.
// This file supplies what PowerSchool needs on top: which requests are safe to
// repeat, which statuses to retry, a Retry-After-aware backoff with a cap, and
// an inner RoundTripper (throttleTransport) that applies the client-wide
// throttle to every attempt and logs it.

import (
	"context"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-retryablehttp"
	"golang.org/x/time/rate"
)

type ctxKey int

const (
	retryableKey ctxKey = iota // bool: the request is safe to repeat
	readKey                    // bool: the request only reads (GET, token, PowerQuery)
	attemptsKey                // *atomic.Int32: attempts made so far
)

// withRetryable marks ctx's request as safe (or not) to send again.
func withRetryable(ctx context.Context, ok bool) context.Context {
	return context.WithValue(ctx, retryableKey, ok)
}

// withRead marks ctx's request as one that only reads: even a 500 may be
// retried, since repeating it cannot apply anything twice.
func withRead(ctx context.Context, ok bool) context.Context {
	return context.WithValue(ctx, readKey, ok)
}

func isRead(ctx context.Context) bool {
	ok, _ := ctx.Value(readKey).(bool)
	return ok
}

func isRetryable(ctx context.Context) bool {
	ok, _ := ctx.Value(retryableKey).(bool)
	return ok
}

// safeMethod reports whether repeating a request with this method cannot
// change the outcome (RFC 9110 idempotent methods).
func safeMethod(m string) bool {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPut, http.MethodDelete, http.MethodOptions:
		return true
	}
	return false
}

func retryStatus(code int) bool {
	switch code {
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

func checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	if !isRetryable(ctx) {
		return false, nil
	}
	if err != nil {
		// Retries network errors, but not TLS verification or bad-URL errors.
		return retryablehttp.ErrorPropagatedRetryPolicy(ctx, nil, err)
	}
	if resp.StatusCode == http.StatusInternalServerError {
		// A 500 on a read (a GET, a token request, a PowerQuery) is usually
		// a passing server fault (PowerSchool behind a busy load balancer):
		// reading again is harmless. A write that got a 500 may have been
		// applied, so it is never repeated here.
		return isRead(ctx), nil
	}
	return retryStatus(resp.StatusCode), nil
}

// backoff waits as long as the server's Retry-After asks (capped at
// maxRetryAfter), otherwise exponentially from min to max with jitter.
func backoff(maxRetryAfter time.Duration) retryablehttp.Backoff {
	return func(min, max time.Duration, attempt int, resp *http.Response) time.Duration {
		if resp != nil && (resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable) {
			if d, ok := parseRetryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
				return capDuration(d, maxRetryAfter)
			}
		}
		d := min
		for i := 0; i < attempt && d < max; i++ {
			d *= 2
		}
		d = capDuration(d, max)
		if d <= 1 {
			return d
		}
		// Jitter in [d/2, d] so that many clients do not retry in step.
		return d/2 + rand.N(d/2+1)
	}
}

func capDuration(d, limit time.Duration) time.Duration {
	if d > limit {
		return limit
	}
	return d
}

// parseRetryAfter reads a Retry-After header: delay seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
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

// newRetryClient wraps inner with the retry policy p.
func newRetryClient(inner *http.Client, p RetryPolicy) *retryablehttp.Client {
	return &retryablehttp.Client{
		HTTPClient:   inner,
		Logger:       nil, // attempts are logged by throttleTransport, without URLs' queries
		RetryWaitMin: p.MinWait,
		RetryWaitMax: p.MaxWait,
		RetryMax:     p.MaxRetries,
		CheckRetry:   checkRetry,
		Backoff:      backoff(p.MaxRetryAfter),
		// Hand back the last response so a final 429 or 5xx becomes a typed error.
		ErrorHandler: retryablehttp.PassthroughErrorHandler,
	}
}

// throttleTransport runs under the retry layer, so every attempt (including
// retries and token requests) passes the client-wide throttle: the "not
// before" time set by a 429's Retry-After, the rate limiter, and the
// concurrency cap. It also logs each attempt.
type throttleTransport struct {
	base          http.RoundTripper
	limiter       *rate.Limiter // nil: no rate limit
	sem           chan struct{} // nil: no concurrency cap
	maxRetryAfter time.Duration
	logger        *slog.Logger
	userAgent     string

	mu        sync.Mutex
	notBefore time.Time
}

func newThrottleTransport(base http.RoundTripper, t Throttle, p RetryPolicy, logger *slog.Logger, ua string) *throttleTransport {
	tt := &throttleTransport{base: base, maxRetryAfter: p.MaxRetryAfter, logger: logger, userAgent: ua}
	if t.MinInterval > 0 {
		tt.limiter = rate.NewLimiter(rate.Every(t.MinInterval), 1)
	}
	if t.MaxConcurrent > 0 {
		tt.sem = make(chan struct{}, t.MaxConcurrent)
	}
	return tt
}

// slowDown makes every request of the client wait d from now.
func (t *throttleTransport) slowDown(d time.Duration) {
	until := time.Now().Add(d)
	t.mu.Lock()
	if until.After(t.notBefore) {
		t.notBefore = until
	}
	t.mu.Unlock()
}

func (t *throttleTransport) waitNotBefore(ctx context.Context) error {
	for {
		t.mu.Lock()
		d := time.Until(t.notBefore)
		t.mu.Unlock()
		if d <= 0 {
			return nil
		}
		timer := time.NewTimer(d)
		select {
		case <-ctx.Done():
			timer.Stop()
			return ctx.Err()
		case <-timer.C:
		}
	}
}

func (t *throttleTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	if err := t.waitNotBefore(ctx); err != nil {
		closeBody(req)
		return nil, err
	}
	if t.limiter != nil {
		if err := t.limiter.Wait(ctx); err != nil {
			closeBody(req)
			return nil, err
		}
	}
	release := func() {}
	if t.sem != nil {
		select {
		case t.sem <- struct{}{}:
			var once sync.Once
			release = func() { once.Do(func() { <-t.sem }) }
		case <-ctx.Done():
			closeBody(req)
			return nil, ctx.Err()
		}
	}
	if t.userAgent != "" && req.Header.Get("User-Agent") != t.userAgent {
		req = req.Clone(ctx)
		req.Header.Set("User-Agent", t.userAgent)
	}
	attempt := 1
	if n, ok := ctx.Value(attemptsKey).(*atomic.Int32); ok {
		attempt = int(n.Add(1))
	}
	start := time.Now()
	resp, err := t.base.RoundTrip(req)
	elapsed := time.Since(start)
	if err != nil {
		release()
		t.logger.LogAttrs(ctx, slog.LevelDebug, "request", slog.String("method", req.Method), slog.String("path", req.URL.Path),
			slog.String("error", err.Error()), slog.Duration("duration", elapsed), slog.Int("attempt", attempt))
		return nil, err
	}
	t.logger.LogAttrs(ctx, slog.LevelDebug, "request", slog.String("method", req.Method), slog.String("path", req.URL.Path),
		slog.Int("status", resp.StatusCode), slog.Duration("duration", elapsed), slog.Int("attempt", attempt))
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
		if d, ok := parseRetryAfter(resp.Header.Get("Retry-After"), time.Now()); ok && d > 0 {
			d = capDuration(d, t.maxRetryAfter)
			t.logger.LogAttrs(ctx, slog.LevelDebug, "server asked to slow down", slog.Int("status", resp.StatusCode), slog.Duration("retry_after", d))
			t.slowDown(d)
		}
	}
	if t.sem != nil {
		resp.Body = &releaseBody{ReadCloser: resp.Body, release: release}
	}
	return resp, nil
}

func closeBody(req *http.Request) {
	if req.Body != nil {
		req.Body.Close()
	}
}

// releaseBody frees a concurrency slot once the response body is read to
// the end or closed.
type releaseBody struct {
	io.ReadCloser
	release func()
}

func (b *releaseBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil {
		b.release()
	}
	return n, err
}

func (b *releaseBody) Close() error {
	err := b.ReadCloser.Close()
	b.release()
	return err
}
