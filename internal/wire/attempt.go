package wire

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"
)

// DefaultTimeout is how long one attempt may take, answer included, unless
// the SDK's WithTimeout says otherwise.
const DefaultTimeout = 30 * time.Second

// DefaultMaxResponseSize bounds one response body unless the SDK's
// WithMaxResponseSize says otherwise: generous (a page of records is far
// smaller) but enough to keep a faulty server from filling the memory.
const DefaultMaxResponseSize = 64 << 20

// TimeoutError means the server did not answer one attempt within the
// per-attempt timeout. It matches errors.Is(err, context.DeadlineExceeded).
type TimeoutError struct {
	Method, Path string
	Limit        time.Duration
	// Silent is true when the answer had begun and then stopped arriving.
	Silent bool
}

func (e *TimeoutError) Error() string {
	what := "did not answer"
	if e.Silent {
		what = "stopped sending its answer"
	}
	return fmt.Sprintf("%s %s: the server %s within the %s timeout; if it is only slow, raise the limit with WithTimeout (WithTimeout(0) waits without limit)", e.Method, e.Path, what, e.Limit)
}

func (e *TimeoutError) Unwrap() error { return context.DeadlineExceeded }

// TooLargeError means a response body was larger than the SDK accepts.
type TooLargeError struct {
	Method, Path string
	Limit        int64
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("%s %s: the answer is larger than %d bytes, the most this client reads; ask for smaller pages, or raise the limit with WithMaxResponseSize", e.Method, e.Path, e.Limit)
}

// CutBodyError means the connection ended before the whole body arrived
// (the server or a proxy dropped it). Reads are retried after it.
type CutBodyError struct {
	Method, Path string
	Err          error
}

func (e *CutBodyError) Error() string {
	return fmt.Sprintf("%s %s: the answer was cut off (%v)", e.Method, e.Path, e.Err)
}

func (e *CutBodyError) Unwrap() error { return e.Err }

// attemptTransport bounds one attempt: the whole exchange, body included,
// must end within timeout, and at most maxBody bytes are read. Bodies are
// read here, below the retry layer, so that a body cut after the headers is
// a transport error that the retry policy sees (and retries on a read),
// rather than an error the caller meets after the retries are over.
// Streamed answers (MarkStream) are handed on unread, with a deadline that
// restarts whenever data arrives.
type attemptTransport struct {
	base    http.RoundTripper
	timeout time.Duration
	maxBody int64
}

var errAttemptTimeout = errors.New("attempt timed out")

func (t *attemptTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	actx, cancel := context.WithCancelCause(ctx)
	var timer *time.Timer
	if t.timeout > 0 {
		timer = time.AfterFunc(t.timeout, func() { cancel(errAttemptTimeout) })
	}
	stop := func() {
		if timer != nil {
			timer.Stop()
		}
		cancel(context.Canceled)
	}
	resp, err := t.base.RoundTrip(req.WithContext(actx))
	if err != nil {
		stop()
		if context.Cause(actx) == errAttemptTimeout && ctx.Err() == nil {
			return nil, &TimeoutError{Method: req.Method, Path: req.URL.EscapedPath(), Limit: t.timeout}
		}
		return nil, err
	}
	if isStream(ctx) {
		if timer != nil {
			timer.Reset(t.timeout)
		}
		resp.Body = &idleBody{ReadCloser: resp.Body, timer: timer, timeout: t.timeout, stop: stop, ctx: actx, req: req}
		return resp, nil
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, t.limit()+1))
	resp.Body.Close()
	timedOut := context.Cause(actx) == errAttemptTimeout && ctx.Err() == nil
	stop()
	switch {
	case timedOut:
		return nil, &TimeoutError{Method: req.Method, Path: req.URL.EscapedPath(), Limit: t.timeout, Silent: true}
	case err != nil:
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, &CutBodyError{Method: req.Method, Path: req.URL.EscapedPath(), Err: err}
	case int64(len(data)) > t.limit():
		return nil, &TooLargeError{Method: req.Method, Path: req.URL.EscapedPath(), Limit: t.limit()}
	}
	resp.Body = io.NopCloser(bytes.NewReader(data))
	resp.ContentLength = int64(len(data))
	return resp, nil
}

func (t *attemptTransport) limit() int64 {
	if t.maxBody <= 0 {
		return DefaultMaxResponseSize
	}
	return t.maxBody
}

// idleBody is a streamed answer: each read that returns data restarts the
// timeout, so a long answer may take as long as it needs while a server
// that falls silent is given up on.
type idleBody struct {
	io.ReadCloser
	timer   *time.Timer
	timeout time.Duration
	stop    func()
	ctx     context.Context
	req     *http.Request
	once    sync.Once
}

func (b *idleBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if n > 0 && b.timer != nil {
		b.timer.Reset(b.timeout)
	}
	if err != nil && err != io.EOF && context.Cause(b.ctx) == errAttemptTimeout {
		err = &TimeoutError{Method: b.req.Method, Path: b.req.URL.EscapedPath(), Limit: b.timeout, Silent: true}
	}
	return n, err
}

func (b *idleBody) Close() error {
	err := b.ReadCloser.Close()
	b.once.Do(b.stop)
	return err
}
