package powerschool

// Retries, deadlines and redirects are internal/wire's, shared with the
// OneRoster SDK. This file adds what only this SDK has: an inner
// RoundTripper (throttleTransport) that applies the client-wide throttle to
// every attempt and logs it.

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pskit/pskit/internal/wire"
)

type ctxKey int

const attemptsKey ctxKey = iota // *atomic.Int32: attempts made so far

// throttleTransport runs under the retry layer, so every attempt (including
// retries and token requests) passes the client-wide throttle: the "not
// before" time set by a 503's Retry-After or by a server that refuses
// everything, the pacer, and the concurrency cap. A 429 never reaches the
// retry layer: it slows the pacer (every worker of the client) and the
// request is sent again at the new pace, for as long as the server keeps
// accepting some of the client's requests. It also logs each attempt.
type throttleTransport struct {
	base          http.RoundTripper
	pacer         *wire.Pacer
	sem           chan struct{} // nil: no concurrency cap
	maxRetryAfter time.Duration
	maxStalled    int // refusals in a row with nothing accepted meanwhile that end the request
	logger        *slog.Logger
	userAgent     string
	accepted      atomic.Int64 // answers other than 429

	mu        sync.Mutex
	notBefore time.Time
}

func newThrottleTransport(base http.RoundTripper, t Throttle, p RetryPolicy, logger *slog.Logger, ua string) *throttleTransport {
	// MaxRetries 0 hands the first refusal back.
	tt := &throttleTransport{base: base, maxRetryAfter: p.MaxRetryAfter, maxStalled: p.MaxRetries + 1, logger: logger, userAgent: ua}
	tt.pacer = wire.NewPacer(t.MinInterval, func(from, to time.Duration, why string) {
		logger.LogAttrs(context.Background(), slog.LevelInfo, "slowing down: "+why,
			slog.Duration("spacing_before", from), slog.Duration("spacing_now", to))
	})
	if t.MaxConcurrent > 0 {
		tt.sem = make(chan struct{}, t.MaxConcurrent)
	}
	return tt
}

// refusedError is a request the server kept refusing (429) while none of
// the client's requests got through. It is not retried again.
type refusedError struct {
	method, path string
	retryAfter   time.Duration
	refusals     int
}

func (e *refusedError) Error() string {
	return fmt.Sprintf("%s %s refused %d times in a row", e.method, e.path, e.refusals)
}
func (e *refusedError) NoRetry() bool { return true }

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
	stalled, mark := 0, int64(-1)
	for retry := false; ; retry = true {
		resp, tk, err := t.send(ctx, req, retry)
		if err != nil {
			return nil, err
		}
		if resp.StatusCode != http.StatusTooManyRequests {
			t.accepted.Add(1)
			t.pacer.Accepted(tk)
			if resp.StatusCode == http.StatusServiceUnavailable {
				if d, ok := wire.ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now()); ok && d > 0 {
					d = wire.CapDuration(d, t.maxRetryAfter)
					t.logger.LogAttrs(ctx, slog.LevelInfo, "slowing down: the server is unavailable (HTTP 503)", slog.Duration("retry_after", d))
					t.slowDown(d)
				}
			}
			return resp, nil
		}
		ra, _ := wire.ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
		ra = wire.CapDuration(ra, t.maxRetryAfter)
		t.pacer.Refused(tk, ra)
		resp.Body.Close()
		// Refusals are a reason to slow down while the server accepts some
		// of the client's requests; once nothing gets through (a third
		// refusal in a row), wait as long as the server asks, and give up
		// after maxStalled such refusals.
		if n := t.accepted.Load(); n == mark {
			stalled++
		} else {
			stalled, mark = 1, n
		}
		if stalled >= t.maxStalled {
			closeBody(req)
			return nil, &refusedError{method: req.Method, path: req.URL.Path, retryAfter: ra, refusals: stalled}
		}
		if stalled >= 3 && ra > 0 {
			t.logger.LogAttrs(ctx, slog.LevelInfo, "slowing down: the server refuses every request; waiting as long as it asks",
				slog.Duration("retry_after", ra), slog.Int("refused_in_a_row", stalled))
			t.slowDown(ra)
		}
		if req.Body != nil && req.Body != http.NoBody {
			if req.GetBody == nil {
				return nil, &refusedError{method: req.Method, path: req.URL.Path, retryAfter: ra, refusals: stalled}
			}
			body, err := req.GetBody()
			if err != nil {
				return nil, err
			}
			req = req.Clone(ctx)
			req.Body = body
		}
	}
}

// send makes one attempt at the client's pace; retry (of a refused
// attempt) takes the pacer's next turn. The concurrency slot is taken
// before the pacer's turn, so that the attempt leaves as soon as its turn
// comes and the pacer's record of send times holds.
func (t *throttleTransport) send(ctx context.Context, req *http.Request, retry bool) (*http.Response, wire.Ticket, error) {
	if err := t.waitNotBefore(ctx); err != nil {
		closeBody(req)
		return nil, wire.Ticket{}, err
	}
	release := func() {}
	if t.sem != nil {
		select {
		case t.sem <- struct{}{}:
			var once sync.Once
			release = func() { once.Do(func() { <-t.sem }) }
		case <-ctx.Done():
			closeBody(req)
			return nil, wire.Ticket{}, ctx.Err()
		}
	}
	wait := t.pacer.Wait
	if retry {
		wait = t.pacer.WaitRetry
	}
	tk, err := wait(ctx)
	if err != nil {
		release()
		closeBody(req)
		return nil, wire.Ticket{}, err
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
		return nil, tk, err
	}
	t.logger.LogAttrs(ctx, slog.LevelDebug, "request", slog.String("method", req.Method), slog.String("path", req.URL.Path),
		slog.Int("status", resp.StatusCode), slog.Duration("duration", elapsed), slog.Int("attempt", attempt))
	if t.sem != nil {
		resp.Body = &releaseBody{ReadCloser: resp.Body, release: release}
	}
	return resp, tk, nil
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
