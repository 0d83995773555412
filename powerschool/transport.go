package powerschool

// Retries, deadlines and redirects are internal/wire's, shared with the
// OneRoster SDK. This file adds what only this SDK has: an inner
// RoundTripper (throttleTransport) that applies the client-wide throttle to
// every attempt and logs it.

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pskit/pskit/internal/wire"
	"golang.org/x/time/rate"
)

type ctxKey int

const attemptsKey ctxKey = iota // *atomic.Int32: attempts made so far

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
		if d, ok := wire.ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now()); ok && d > 0 {
			d = wire.CapDuration(d, t.maxRetryAfter)
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
