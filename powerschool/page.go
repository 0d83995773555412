package powerschool

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"github.com/pskit/pskit/internal/jsonraw"
	"github.com/pskit/pskit/internal/wire"
)

// DefaultPageSize is used when the metadata names no maximum page size.
const DefaultPageSize = 100

// DefaultPageConcurrency is how many pages a list fetches at once unless
// WithPageConcurrency or ListOptions.Concurrency says otherwise. A page
// costs one round trip, so a pull takes about pages x latency / workers
// (plus the server's time): 10 workers bring a 200-page pull at 20 ms
// from 4 s to under 1 s even when the server shares two cores with the
// client (docs/performance.md).
const DefaultPageConcurrency = 10

// idleConnsPerHost is how many idle connections the client's own transport
// keeps per server. http.DefaultTransport keeps 2, so with more page workers
// most pages would open a new connection (a new TLS handshake).
const idleConnsPerHost = 32

// ListOptions filter and shape a /ws/v1 list. The zero value lists everything
// with the plugin's largest page size.
type ListOptions struct {
	// Q is a search expression, e.g. "school_enrollment.enroll_status==A;name.last_name==JA*".
	Q string
	// Expansions and Extensions add blocks and extension tables to each record.
	Expansions []string
	Extensions []string
	// PageSize defaults to (and is capped at) the plugin's maximum from metadata.
	PageSize int
	// Concurrency is how many pages are fetched at once; 0 uses the client's
	// default (WithPageConcurrency). Records are always yielded in order.
	Concurrency int
	// Limit, if positive, stops the list after that many records: pages are
	// sized to it (when smaller than PageSize) and no page beyond it is
	// asked for. A limited list is not checked for changes at the end.
	Limit int
	// Progress, if set, is called (from the iterating goroutine) after each page.
	Progress func(Progress)
	// Extra holds query parameters the SDK does not name.
	Extra url.Values
}

// Progress reports how far a list has got.
type Progress struct {
	Total int // from the count at the start
	Done  int // records yielded so far
}

func (o *ListOptions) query(withShape bool) url.Values {
	q := url.Values{}
	if o == nil {
		return q
	}
	for k, v := range o.Extra {
		q[k] = append([]string(nil), v...)
	}
	if o.Q != "" {
		q.Set("q", o.Q)
	}
	if withShape {
		if len(o.Expansions) > 0 {
			q.Set("expansions", strings.Join(o.Expansions, ","))
		}
		if len(o.Extensions) > 0 {
			q.Set("extensions", strings.Join(o.Extensions, ","))
		}
	}
	return q
}

// GetOptions shape a single-record GET.
type GetOptions struct {
	Expansions []string
	Extensions []string
}

func (o *GetOptions) query() url.Values {
	q := url.Values{}
	if o != nil {
		if len(o.Expansions) > 0 {
			q.Set("expansions", strings.Join(o.Expansions, ","))
		}
		if len(o.Extensions) > 0 {
			q.Set("extensions", strings.Join(o.Extensions, ","))
		}
	}
	return q
}

// resource describes one /ws/v1 list: its path, its envelope keys
// ({"<plural>":{"<singular>":[...]}}) and where metadata gives its page size.
type resource struct {
	path, plural, singular string
	maxPage                func(*Metadata) FlexInt
}

// rawSetter is implemented by models that keep their JSON.
type rawSetter interface{ setRaw(json.RawMessage) }

// rawDecoder is implemented by models that read their JSON themselves,
// from bytes already checked, keeping them (SchemaRecord).
type rawDecoder interface {
	decodeRaw(json.RawMessage, *names) error
}

// decodeRecord decodes one record and keeps raw as its Raw (not a copy:
// a page's bytes are not reused).
func decodeRecord[T any](raw json.RawMessage, keys *names) (T, error) {
	var v T
	err := decodeInto(&v, raw, keys)
	return v, err
}

// decodeInto is decodeRecord into v, which a page's records use to decode
// in place in their slice.
func decodeInto[T any](v *T, raw json.RawMessage, keys *names) error {
	if d, ok := any(v).(rawDecoder); ok {
		return d.decodeRaw(raw, keys)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return err
	}
	if s, ok := any(v).(rawSetter); ok {
		s.setRaw(raw)
	}
	return nil
}

// decodePage reads a list page. It accepts the singular key holding an
// array, a single object, "" or nothing, and a plural key holding a bare
// array; with singular "" (the table API's {"record":[..]}), the plural key
// holds the array or one bare record.
//
// It walks the page once (internal/jsonraw) and decodes each record
// straight from the page, its Raw a slice of the page: decoding the
// envelope into maps and raw lists first scanned every record several
// times, nearly doubling the client's CPU per page.
func decodePage[T any](body []byte, plural, singular string) ([]T, error) {
	if string(bytes.TrimSpace(body)) == "null" {
		return nil, nil // nothing, as a page of no records
	}
	it := jsonraw.Object(body)
	for it.Next() {
		if !jsonraw.KeyIs(it.Key(), plural) {
			continue
		}
		v := it.Value()
		switch {
		case v[0] == '[' || (v[0] == '{' && singular == ""):
			// A list, or (with no singular key) one bare record.
			return decodeRecords[T](v)
		case v[0] == '{':
			inner := jsonraw.Object(v)
			for inner.Next() {
				if jsonraw.KeyIs(inner.Key(), singular) {
					return decodeRecords[T](inner.Value())
				}
			}
			return nil, inner.Err()
		}
		if !isEmptyValue(v) {
			return nil, fmt.Errorf("%q holds %.40s, neither a list nor an object", plural, v)
		}
		return nil, nil
	}
	return nil, it.Err()
}

// decodeRecords reads an array of records, one bare record (PowerSchool's
// one-record quirk), or "" / null for none.
func decodeRecords[T any](v []byte) ([]T, error) {
	switch v[0] {
	case '[':
		var out []T
		var keys names
		it := jsonraw.Array(v)
		for it.Next() {
			var zero T
			out = append(out, zero)
			if err := decodeInto(&out[len(out)-1], it.Value(), &keys); err != nil {
				return nil, err
			}
		}
		return out, it.Err()
	case '"', 'n':
		if isEmptyValue(v) {
			return nil, nil
		}
	}
	one, err := decodeRecord[T](v, nil)
	if err != nil {
		return nil, err
	}
	return []T{one}, nil
}

// decodeCount reads {"resource":{"count":N}} (v1) or {"count":N} (schema APIs).
func decodeCount(body []byte) (int, error) {
	var v struct {
		Resource *struct {
			Count FlexInt `json:"count"`
		} `json:"resource"`
		Count *FlexInt `json:"count"`
	}
	if err := json.Unmarshal(body, &v); err != nil {
		return 0, err
	}
	switch {
	case v.Resource != nil:
		return v.Resource.Count.Int(), nil
	case v.Count != nil:
		return v.Count.Int(), nil
	}
	return 0, fmt.Errorf("no count in %s", wire.Truncate(string(body), 80))
}

func (c *Client) getBytes(ctx context.Context, path string, q url.Values) ([]byte, error) {
	resp, err := c.send(ctx, &request{method: http.MethodGet, path: path, query: q})
	if err != nil {
		return nil, err
	}
	defer drain(resp)
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("powerschool: reading GET %s: %w", path, err)
	}
	return b, nil
}

func (c *Client) count(ctx context.Context, path string, q url.Values) (int, error) {
	b, err := c.getBytes(ctx, path, q)
	if err != nil {
		return 0, err
	}
	n, err := decodeCount(b)
	if err != nil {
		return 0, fmt.Errorf("powerschool: GET %s: the count is not as expected: %w", path, err)
	}
	return n, nil
}

func getOne[T any](ctx context.Context, c *Client, path, key string, q url.Values) (*T, error) {
	b, err := c.getBytes(ctx, path, q)
	if err != nil {
		return nil, err
	}
	var env map[string]json.RawMessage
	if err := json.Unmarshal(b, &env); err != nil {
		return nil, fmt.Errorf("powerschool: GET %s: the answer is not the expected JSON: %w", path, err)
	}
	raw, ok := env[key]
	if !ok || isEmptyValue(raw) {
		return nil, fmt.Errorf("powerschool: GET %s: the answer has no %q record", path, key)
	}
	v, err := decodeRecord[T](raw, nil)
	if err != nil {
		return nil, fmt.Errorf("powerschool: GET %s: the %s record is not as expected: %w", path, key, err)
	}
	return &v, nil
}

// capPageSize returns want capped at the plugin's maximum from metadata,
// reading the metadata only when it is not already known. It is the
// fallback of a pull whose first page was refused for its size.
func (c *Client) capPageSize(ctx context.Context, want int, max func(*Metadata) FlexInt) (int, error) {
	md, err := c.cachedMetadata(ctx)
	if err != nil {
		return 0, err
	}
	if m := max(md).Int(); m > 0 && (want <= 0 || want > m) {
		return m, nil
	}
	if want <= 0 {
		return DefaultPageSize, nil
	}
	return want, nil
}

// knownPageSize caps want at the plugin's maximum when the metadata is
// already known, without a request; otherwise it returns want as is.
func (c *Client) knownPageSize(want int, max func(*Metadata) FlexInt) int {
	c.metaMu.Lock()
	md := c.meta
	c.metaMu.Unlock()
	if md == nil {
		return want
	}
	if m := max(md).Int(); m > 0 && (want <= 0 || want > m) {
		return m
	}
	return want
}

func (c *Client) workers(want int) int {
	if want > 0 {
		return want
	}
	return c.cfg.concurrency
}

// list pulls every record of res with the paging driver.
func list[T any](ctx context.Context, c *Client, res resource, opts *ListOptions) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		if opts == nil {
			opts = &ListOptions{}
		}
		countPath := res.path + "/count"
		q := opts.query(true)
		pull[T]{
			path: res.path, size: c.knownPageSize(opts.PageSize, res.maxPage), limit: opts.Limit, workers: c.workers(opts.Concurrency), progress: opts.Progress,
			fetch: func(ctx context.Context, page, size int) ([]T, error) {
				b, err := c.getBytes(ctx, res.path, pageQuery(q, page, size))
				if err != nil {
					return nil, err
				}
				items, err := decodePage[T](b, res.plural, res.singular)
				if err != nil {
					return nil, fmt.Errorf("powerschool: GET %s page %d: the list is not as expected: %w", res.path, page, err)
				}
				return items, nil
			},
			count:   func(ctx context.Context) (int, error) { return c.count(ctx, countPath, opts.query(false)) },
			maxSize: func(ctx context.Context, want int) (int, error) { return c.capPageSize(ctx, want, res.maxPage) },
		}.run(ctx, yield)
	}
}

// pageQuery is q with page and pagesize set; size 0 leaves pagesize out,
// so that the server uses its default, which is the plugin's maximum.
func pageQuery(q url.Values, page, size int) url.Values {
	pq := make(url.Values, len(q)+2)
	for k, v := range q {
		pq[k] = v
	}
	pq.Set("page", strconv.Itoa(page))
	if size > 0 {
		pq.Set("pagesize", strconv.Itoa(size))
	}
	return pq
}

// pull is the one paging driver of every counted list (/ws/v1 lists, the
// table API, paged PowerQueries). It costs the pages and two requests: the
// count, asked for while the first page is fetched, and a count at the end
// that reports *InconsistentPullError when the count changed or the records
// received do not match it. The page size need not be known beforehand:
// the first page is asked for at the server's default size (its maximum)
// unless a size is given, and its length is the size of the pages after it.
// A short page before the last one means the server caps the page size
// below the one asked for: the pull goes on with the server's size from
// where it is, rather than ending early.
type pull[T any] struct {
	path    string // for errors
	size    int    // page size asked for; 0: the server's default
	limit   int    // records wanted at most; 0: all
	workers int
	// fetch gets one page; size 0 asks for the server's default size.
	fetch func(ctx context.Context, page, size int) ([]T, error)
	count func(ctx context.Context) (int, error)
	// maxSize, if set, caps a size the server refused (400) for the first
	// page at the plugin's maximum from metadata.
	maxSize  func(ctx context.Context, want int) (int, error)
	progress func(Progress)
	// counted says total is already known: the first page goes alone.
	counted bool
	total   int
}

// first fetches page 1 and the count at once.
func (p pull[T]) first(ctx context.Context) (items []T, size, total int, err error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type counted struct {
		n   int
		err error
	}
	counts := make(chan counted, 1)
	if p.counted {
		counts <- counted{p.total, nil}
	} else {
		go func() {
			n, err := p.count(ctx)
			counts <- counted{n, err}
		}()
	}
	size = p.size
	if p.limit > 0 && (size == 0 || p.limit < size) {
		size = p.limit
	}
	items, err = p.fetch(ctx, 1, size)
	var api *APIError
	if err != nil && size > 0 && p.maxSize != nil && errors.As(err, &api) && api.StatusCode == http.StatusBadRequest {
		if capped, cerr := p.maxSize(ctx, size); cerr == nil && capped < size {
			size = capped
			items, err = p.fetch(ctx, 1, size)
		}
	}
	if err != nil {
		cancel()
		<-counts
		return nil, 0, 0, err
	}
	c := <-counts
	if c.err != nil {
		return nil, 0, 0, c.err
	}
	if n := len(items); n > 0 && (size == 0 || n < size) && n < c.n {
		size = n // the server's page size
	}
	return items, size, c.n, nil
}

func (p pull[T]) run(ctx context.Context, yield func(T, error) bool) {
	var zero T
	items, size, total, err := p.first(ctx)
	if err != nil {
		yield(zero, err)
		return
	}
	// want is how many records the pull reads: all, or the limit.
	want, limited := total, p.limit > 0 && p.limit < total
	if limited {
		want = p.limit
	}
	done := 0
	for _, it := range items {
		if limited && done == want {
			break
		}
		if !yield(it, nil) {
			return
		}
		done++
	}
	if p.progress != nil {
		p.progress(Progress{Total: want, Done: done})
	}
	stopped := false
	for done < want && size > 0 && len(items) > 0 {
		first, last := done/size+1, (want+size-1)/size
		if first > last {
			break
		}
		capped := 0
		fetch := func(ctx context.Context, page int) ([]T, error) { return p.fetch(ctx, page, size) }
		err := fetchOrdered(ctx, first, last, p.workers, fetch, func(page int, items []T) bool {
			for _, it := range items {
				if limited && done == want {
					return false
				}
				if !yield(it, nil) {
					stopped = true
					return false
				}
				done++
			}
			if p.progress != nil {
				p.progress(Progress{Total: want, Done: done})
			}
			if page < last && len(items) > 0 && len(items) < size && done%len(items) == 0 {
				capped = len(items)
				return false
			}
			return true
		})
		if stopped {
			return
		}
		if err != nil {
			yield(zero, err)
			return
		}
		if capped == 0 {
			break
		}
		size = capped
	}
	if limited && done == want {
		return // a limited pull read only part of the list: nothing to check
	}
	end, err := p.count(ctx)
	if err != nil {
		yield(zero, err)
		return
	}
	if end != total || done != total {
		yield(zero, &InconsistentPullError{Path: p.path, CountAtStart: total, CountAtEnd: end, Received: done})
	}
}

type pageResult[T any] struct {
	items []T
	err   error
}

// fetchOrdered fetches pages first..last over workers goroutines and hands
// them to yield in page order. At most 2*workers pages are in memory at
// once, so memory stays bounded whatever the number of pages. It returns the
// first error, or nil when yield stops early or all pages are done; no
// goroutine outlives it.
func fetchOrdered[T any](ctx context.Context, first, last, workers int, fetch func(context.Context, int) ([]T, error), yield func(int, []T) bool) error {
	n := last - first + 1
	if n <= 0 {
		return nil
	}
	if workers > n {
		workers = n
	}
	if workers <= 1 {
		for p := first; p <= last; p++ {
			items, err := fetch(ctx, p)
			if err != nil {
				return err
			}
			if !yield(p, items) {
				return nil
			}
		}
		return nil
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	window := 2 * workers
	slots := make([]chan pageResult[T], window)
	for i := range slots {
		slots[i] = make(chan pageResult[T], 1)
	}
	// A page is dispatched only when fewer than window pages are waiting, so
	// page p's slot ((p-first) % window) has always been emptied before.
	free := make(chan struct{}, window)
	jobs := make(chan int)
	wg.Go(func() {
		defer close(jobs)
		for p := first; p <= last; p++ {
			select {
			case free <- struct{}{}:
			case <-ctx.Done():
				return
			}
			select {
			case jobs <- p:
			case <-ctx.Done():
				return
			}
		}
	})
	for range workers {
		wg.Go(func() {
			for p := range jobs {
				items, err := fetch(ctx, p)
				slots[(p-first)%window] <- pageResult[T]{items, err}
			}
		})
	}
	for p := first; p <= last; p++ {
		var r pageResult[T]
		select {
		case r = <-slots[(p-first)%window]:
		case <-ctx.Done():
			return ctx.Err()
		}
		if r.err != nil {
			return r.err
		}
		if !yield(p, r.items) {
			return nil
		}
		// Only now is the page's memory free: releasing its place before
		// yield would let one more page than the window be held.
		<-free
	}
	return nil
}
