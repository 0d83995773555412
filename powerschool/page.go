package powerschool

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"

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

func decodeRecord[T any](raw json.RawMessage) (T, error) {
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		return v, err
	}
	if s, ok := any(&v).(rawSetter); ok {
		s.setRaw(raw)
	}
	return v, nil
}

// decodePage reads a list page. It accepts the singular key holding an
// array, a single object, "" or nothing, and a plural key holding a bare array.
//
// It walks the page once with a json.Decoder and decodes each record
// straight from the page, keeping the record's bytes as its Raw: decoding
// the envelope into maps and raw lists first scanned every record several
// times, nearly doubling the client's CPU per page.
func decodePage[T any](body []byte, plural, singular string) ([]T, error) {
	p := pageDecoder{body: body, dec: json.NewDecoder(bytes.NewReader(body))}
	if err := p.delim('{'); err != nil {
		return nil, err
	}
	for p.dec.More() {
		key, err := p.key()
		if err != nil {
			return nil, err
		}
		if key != plural {
			if err := p.skip(); err != nil {
				return nil, err
			}
			continue
		}
		switch p.peek() {
		case '[':
			return decodeRecords[T](&p)
		case '{':
			if err := p.delim('{'); err != nil {
				return nil, err
			}
			for p.dec.More() {
				if key, err = p.key(); err != nil {
					return nil, err
				}
				if key == singular {
					return decodeRecords[T](&p)
				}
				if err := p.skip(); err != nil {
					return nil, err
				}
			}
			return nil, nil
		}
		var v json.RawMessage
		if err := p.dec.Decode(&v); err != nil {
			return nil, err
		}
		if !isEmptyValue(v) {
			return nil, fmt.Errorf("%q holds %.40s, neither a list nor an object", plural, v)
		}
		return nil, nil
	}
	return nil, nil
}

// decodeRecords reads the value at the decoder: an array of records, one
// bare record (PowerSchool's one-record quirk), or "" / null for none.
func decodeRecords[T any](p *pageDecoder) ([]T, error) {
	switch p.peek() {
	case '[':
		p.delim('[')
		var out []T
		for p.dec.More() {
			v, err := decodeNext[T](p)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, p.delim(']')
	case '"', 'n':
		var v json.RawMessage
		if err := p.dec.Decode(&v); err != nil {
			return nil, err
		}
		if isEmptyValue(v) {
			return nil, nil
		}
		one, err := decodeRecord[T](v)
		if err != nil {
			return nil, err
		}
		return []T{one}, nil
	}
	v, err := decodeNext[T](p)
	if err != nil {
		return nil, err
	}
	return []T{v}, nil
}

// decodeNext decodes the next value as a record and keeps a copy of its bytes.
func decodeNext[T any](p *pageDecoder) (T, error) {
	var v T
	start := p.dec.InputOffset()
	if err := p.dec.Decode(&v); err != nil {
		return v, err
	}
	if s, ok := any(&v).(rawSetter); ok {
		raw := bytes.TrimLeft(p.body[start:p.dec.InputOffset()], " \t\r\n,:")
		s.setRaw(append(json.RawMessage(nil), raw...))
	}
	return v, nil
}

// pageDecoder walks a page's envelope token by token.
type pageDecoder struct {
	body []byte
	dec  *json.Decoder
}

func (p *pageDecoder) delim(want json.Delim) error {
	tok, err := p.dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != want {
		return fmt.Errorf("expected %q, found %v", want, tok)
	}
	return nil
}

func (p *pageDecoder) key() (string, error) {
	tok, err := p.dec.Token()
	if err != nil {
		return "", err
	}
	k, ok := tok.(string)
	if !ok {
		return "", fmt.Errorf("expected an object key, found %v", tok)
	}
	return k, nil
}

func (p *pageDecoder) skip() error {
	var v json.RawMessage
	return p.dec.Decode(&v)
}

// peek returns the first byte of the next value without consuming it.
func (p *pageDecoder) peek() byte {
	for _, c := range p.body[p.dec.InputOffset():] {
		switch c {
		case ' ', '\t', '\r', '\n', ':', ',':
			continue
		}
		return c
	}
	return 0
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
	v, err := decodeRecord[T](raw)
	if err != nil {
		return nil, fmt.Errorf("powerschool: GET %s: the %s record is not as expected: %w", path, key, err)
	}
	return &v, nil
}

func (c *Client) pageSize(ctx context.Context, want int, max func(*Metadata) FlexInt) (int, error) {
	md, err := c.cachedMetadata(ctx)
	if err != nil {
		return 0, err
	}
	limit := DefaultPageSize
	if m := max(md).Int(); m > 0 {
		limit = m
	}
	if want > 0 && want < limit {
		return want, nil
	}
	return limit, nil
}

func (c *Client) workers(want int) int {
	if want > 0 {
		return want
	}
	return c.cfg.concurrency
}

// list pulls every record of res: one count (alongside the metadata read
// that sets the page size), then the paging driver.
func list[T any](ctx context.Context, c *Client, res resource, opts *ListOptions) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		if opts == nil {
			opts = &ListOptions{}
		}
		// The count does not depend on the page size, so it is asked for
		// while the metadata (read once per client) is: one round trip
		// less before the first page.
		countPath := res.path + "/count"
		type counted struct {
			n   int
			err error
		}
		first := make(chan counted, 1)
		go func() {
			n, err := c.count(ctx, countPath, opts.query(false))
			first <- counted{n, err}
		}()
		size, err := c.pageSize(ctx, opts.PageSize, res.maxPage)
		start := <-first
		if err == nil {
			err = start.err
		}
		if err != nil {
			yield(zero, err)
			return
		}
		q := opts.query(true)
		pull[T]{
			path: res.path, total: start.n, size: size, workers: c.workers(opts.Concurrency), progress: opts.Progress,
			fetch: func(ctx context.Context, page, size int) ([]T, error) {
				pq := pageQuery(q, page, size)
				b, err := c.getBytes(ctx, res.path, pq)
				if err != nil {
					return nil, err
				}
				items, err := decodePage[T](b, res.plural, res.singular)
				if err != nil {
					return nil, fmt.Errorf("powerschool: GET %s page %d: the list is not as expected: %w", res.path, page, err)
				}
				return items, nil
			},
			recount: func(ctx context.Context) (int, error) { return c.count(ctx, countPath, opts.query(false)) },
		}.run(ctx, yield)
	}
}

// pageQuery is q with page and pagesize set.
func pageQuery(q url.Values, page, size int) url.Values {
	pq := make(url.Values, len(q)+2)
	for k, v := range q {
		pq[k] = v
	}
	pq.Set("page", strconv.Itoa(page))
	pq.Set("pagesize", strconv.Itoa(size))
	return pq
}

// pull is the one paging driver of every counted list (/ws/v1 lists, the
// table API, paged PowerQueries): given the count at the start, it fetches
// the pages (concurrently, yielded in order), counts again at the end, and
// reports *InconsistentPullError when the count changed or the records
// received do not match it. A short page before the last one means the
// server caps the page size below the one asked for: the pull goes on with
// the server's size from where it is, rather than ending early.
type pull[T any] struct {
	path     string // for errors
	total    int    // count at the start
	size     int    // page size asked for
	workers  int
	fetch    func(ctx context.Context, page, size int) ([]T, error)
	recount  func(ctx context.Context) (int, error)
	progress func(Progress)
}

func (p pull[T]) run(ctx context.Context, yield func(T, error) bool) {
	var zero T
	size, done, stopped := p.size, 0, false
	for done < p.total {
		first, last := done/size+1, (p.total+size-1)/size
		capped := 0
		fetch := func(ctx context.Context, page int) ([]T, error) { return p.fetch(ctx, page, size) }
		err := fetchOrdered(ctx, first, last, p.workers, fetch, func(page int, items []T) bool {
			for _, it := range items {
				if !yield(it, nil) {
					stopped = true
					return false
				}
				done++
			}
			if p.progress != nil {
				p.progress(Progress{Total: p.total, Done: done})
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
	end, err := p.recount(ctx)
	if err != nil {
		yield(zero, err)
		return
	}
	if end != p.total || done != p.total {
		yield(zero, &InconsistentPullError{Path: p.path, CountAtStart: p.total, CountAtEnd: end, Received: done})
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
