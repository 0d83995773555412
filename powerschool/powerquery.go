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

	"github.com/pskit/pskit/internal/jsonraw"
)

// PowerQuery describes one execution of a named query
// (POST /ws/schema/query/{name}).
type PowerQuery struct {
	// Args are the query's arguments, sent in the JSON body, e.g.
	// {"studentnumber": 1012973} or {"section_dcid": []int{1, 2}}.
	Args map[string]any
	// Q is an ad-hoc FIQL filter ("$q"), e.g. "students.grade_level=ge=8".
	Q string
	// Projection limits the columns, e.g. []string{"students.lastfirst", "schoolscorefields.*"}.
	Projection []string
	// Order overrides the query's ORDER BY, e.g. "students.last_name;desc".
	Order string
	// Extensions adds extension tables.
	Extensions []string
	// Page and PageSize select one page (defaults 1 and 100). Records ignores them.
	Page, PageSize int
	// Count asks for the total number of rows in the answer's Count (9.1+).
	Count bool
}

// PowerQueryResult is one page of a PowerQuery's answer.
type PowerQueryResult struct {
	Name       string             `json:"name"`
	Count      *FlexInt           `json:"count,omitempty"`
	Records    List[SchemaRecord] `json:"record"`
	Extensions FlexString         `json:"@extensions"`
	DataVer    FlexString         `json:"$dataversion,omitempty"`
	Raw        json.RawMessage    `json:"-"`
}

func (q *PowerQuery) body() ([]byte, error) {
	m := map[string]any{}
	for k, v := range q.Args {
		m[k] = v
	}
	if q.Q != "" {
		m["$q"] = q.Q
	}
	if len(q.Projection) > 0 {
		m["projection"] = strings.Join(q.Projection, ";")
	}
	return encodeBody(m)
}

func (q *PowerQuery) query(page, size int) url.Values {
	v := url.Values{}
	if q.Order != "" {
		v.Set("order", q.Order)
	}
	if len(q.Extensions) > 0 {
		v.Set("extensions", strings.Join(q.Extensions, ","))
	}
	if q.Count {
		v.Set("count", "true")
	}
	if page > 0 {
		v.Set("page", strconv.Itoa(page))
	}
	if size >= 0 {
		v.Set("pagesize", strconv.Itoa(size))
	}
	return v
}

func queryPath(name string) (string, error) {
	if name == "" || strings.ContainsAny(name, "/?#") {
		return "", fmt.Errorf("powerschool: %q is not a PowerQuery name; use its full name, e.g. com.pearson.core.student.search.get_student_basic_info", name)
	}
	return "/ws/schema/query/" + url.PathEscape(name), nil
}

// PowerQuery runs a named query and returns one page (q.Page, q.PageSize).
func (c *Client) PowerQuery(ctx context.Context, name string, q *PowerQuery) (*PowerQueryResult, error) {
	if q == nil {
		q = &PowerQuery{}
	}
	path, err := queryPath(name)
	if err != nil {
		return nil, err
	}
	size := -1
	if q.PageSize > 0 {
		size = q.PageSize
	}
	return c.powerQueryPage(ctx, path, q, q.Page, size)
}

func (c *Client) powerQueryPage(ctx context.Context, path string, q *PowerQuery, page, size int) (*PowerQueryResult, error) {
	body, err := q.body()
	if err != nil {
		return nil, fmt.Errorf("powerschool: POST %s: encoding the arguments: %w", path, err)
	}
	var raw json.RawMessage
	if err := c.do(ctx, &request{method: http.MethodPost, path: path, query: q.query(page, size), body: body, readOnly: true}, &raw); err != nil {
		return nil, err
	}
	res, err := decodePowerQueryResult(raw)
	if err != nil {
		return nil, fmt.Errorf("powerschool: POST %s: the answer is not as expected: %w", path, err)
	}
	return res, nil
}

// decodePowerQueryResult reads a page: its records straight from the
// page's bytes (as the table API's), the rest with encoding/json.
func decodePowerQueryResult(raw json.RawMessage) (*PowerQueryResult, error) {
	res := &PowerQueryResult{Raw: raw}
	if string(bytes.TrimSpace(raw)) == "null" {
		return res, nil
	}
	var err error
	it := jsonraw.Object(raw)
	for it.Next() && err == nil {
		// Keys match as encoding/json matches struct fields: ignoring case.
		k, kerr := jsonraw.Unquote(it.Key())
		if kerr != nil {
			return nil, kerr
		}
		v := it.Value()
		switch {
		case strings.EqualFold(k, "record"):
			res.Records, err = decodeRecords[SchemaRecord](v)
		case strings.EqualFold(k, "name"):
			err = json.Unmarshal(v, &res.Name)
		case strings.EqualFold(k, "count"):
			res.Count = nil
			if string(v) != "null" {
				res.Count = new(FlexInt)
				err = json.Unmarshal(v, res.Count)
			}
		case strings.EqualFold(k, "@extensions"):
			err = json.Unmarshal(v, &res.Extensions)
		case strings.EqualFold(k, "$dataversion"):
			err = json.Unmarshal(v, &res.DataVer)
		}
	}
	if err != nil {
		return nil, err
	}
	return res, it.Err()
}

// PowerQueryCount returns the number of rows a named query would return
// (POST /ws/schema/query/{name}/count).
func (c *Client) PowerQueryCount(ctx context.Context, name string, q *PowerQuery) (int, error) {
	if q == nil {
		q = &PowerQuery{}
	}
	path, err := queryPath(name)
	if err != nil {
		return 0, err
	}
	body, err := q.body()
	if err != nil {
		return 0, fmt.Errorf("powerschool: POST %s/count: encoding the arguments: %w", path, err)
	}
	var raw json.RawMessage
	if err := c.do(ctx, &request{method: http.MethodPost, path: path + "/count", body: body, readOnly: true}, &raw); err != nil {
		return 0, err
	}
	n, err := decodeCount(raw)
	if err != nil {
		return 0, fmt.Errorf("powerschool: POST %s/count: the count is not as expected: %w", path, err)
	}
	return n, nil
}

// PowerQueryRecords iterates over every row of a named query. With
// q.PageSize 0 it asks for everything in one streamed answer (pagesize=0)
// and decodes it record by record, so memory stays flat. With a PageSize
// (capped at the plugin's schema_table_query_max_page_size from metadata)
// it pulls like a /ws/v1 list: a count, the pages, a count at the end,
// and *InconsistentPullError when rows were added or removed meanwhile.
func (c *Client) PowerQueryRecords(ctx context.Context, name string, q *PowerQuery) iter.Seq2[SchemaRecord, error] {
	return func(yield func(SchemaRecord, error) bool) {
		if q == nil {
			q = &PowerQuery{}
		}
		path, err := queryPath(name)
		if err != nil {
			yield(SchemaRecord{}, err)
			return
		}
		if q.PageSize <= 0 {
			c.streamPowerQuery(ctx, path, q, yield)
			return
		}
		maxPage := func(m *Metadata) FlexInt { return m.SchemaTableQueryMaxPageSize }
		pull[SchemaRecord]{
			path: path, size: c.knownPageSize(q.PageSize, maxPage), workers: c.workers(0),
			fetch: func(ctx context.Context, page, size int) ([]SchemaRecord, error) {
				res, err := c.powerQueryPage(ctx, path, q, page, size)
				if err != nil {
					return nil, err
				}
				return res.Records, nil
			},
			count:   func(ctx context.Context) (int, error) { return c.PowerQueryCount(ctx, name, q) },
			maxSize: func(ctx context.Context, want int) (int, error) { return c.capPageSize(ctx, want, maxPage) },
		}.run(ctx, yield)
	}
}

// streamPowerQuery reads a pagesize=0 answer value by value, yielding each
// element of "record" as soon as it is read: memory holds one record and
// the read buffer, and each record's bytes are walked once (checked by
// internal/jsonraw) and copied once, as its Raw.
func (c *Client) streamPowerQuery(ctx context.Context, path string, q *PowerQuery, yield func(SchemaRecord, error) bool) {
	body, err := q.body()
	if err != nil {
		yield(SchemaRecord{}, fmt.Errorf("powerschool: POST %s: encoding the arguments: %w", path, err))
		return
	}
	resp, err := c.send(ctx, &request{method: http.MethodPost, path: path, query: q.query(0, 0), body: body, readOnly: true, stream: true})
	if err != nil {
		yield(SchemaRecord{}, err)
		return
	}
	defer drain(resp)
	var keys names
	err = readRecords(resp.Body, func(raw []byte) (bool, error) {
		var r SchemaRecord
		if err := r.decodeRaw(append(json.RawMessage(nil), raw...), &keys); err != nil {
			return false, err
		}
		return yield(r, nil), nil
	})
	if err != nil {
		yield(SchemaRecord{}, fmt.Errorf("powerschool: POST %s: reading the answer: %w", path, err))
	}
}

// readRecords walks an answer {..,"record":[..],..} as it arrives and calls
// each with every element of "record" (an array, one bare object, or "" /
// null for none), until each says stop. raw is valid only during the call.
func readRecords(r io.Reader, each func(raw []byte) (bool, error)) error {
	v := valueReader{r: r, buf: make([]byte, 0, 32<<10)}
	if err := v.expect('{'); err != nil {
		return fmt.Errorf("not a JSON object (%w)", err)
	}
	for first := true; ; first = false {
		c, err := v.peek()
		if err != nil {
			return err
		}
		if c == '}' {
			return nil
		}
		if !first {
			if err := v.expect(','); err != nil {
				return err
			}
		}
		if c, err = v.peek(); err != nil {
			return err
		} else if c != '"' {
			return fmt.Errorf("expected an object key, found %q", c)
		}
		key, err := v.value()
		if err != nil {
			return err
		}
		isRecord := jsonraw.KeyIs(key, "record")
		if err := v.expect(':'); err != nil {
			return err
		}
		if c, err = v.peek(); err != nil {
			return err
		}
		switch {
		case !isRecord || c != '[':
			val, err := v.value()
			if err != nil {
				return err
			}
			switch {
			case !isRecord || isEmptyValue(val): // not the records, or none
			case c == '{':
				if more, err := each(val); err != nil || !more {
					return err
				}
			default:
				return fmt.Errorf("\"record\" is not a list")
			}
		default:
			v.pos++ // '['
			for firstRec := true; ; firstRec = false {
				if c, err = v.peek(); err != nil {
					return err
				}
				if c == ']' {
					v.pos++
					break
				}
				if !firstRec {
					if err := v.expect(','); err != nil {
						return err
					}
				}
				val, err := v.value()
				if err != nil {
					return err
				}
				if more, err := each(val); err != nil || !more {
					return err
				}
			}
		}
	}
}

// valueReader reads JSON values from a stream through a buffer that holds
// the value being read and what arrived after it.
type valueReader struct {
	r   io.Reader
	buf []byte
	pos int
	eof bool
}

// fill reads more, keeping buf[pos:].
func (v *valueReader) fill() error {
	if v.eof {
		return io.ErrUnexpectedEOF
	}
	if v.pos > 0 {
		n := copy(v.buf, v.buf[v.pos:])
		v.buf, v.pos = v.buf[:n], 0
	}
	if len(v.buf) == cap(v.buf) {
		v.buf = append(v.buf, make([]byte, len(v.buf))...)[:len(v.buf)]
	}
	n, err := v.r.Read(v.buf[len(v.buf):cap(v.buf)])
	v.buf = v.buf[:len(v.buf)+n]
	if errors.Is(err, io.EOF) {
		v.eof = true
		return nil
	}
	return err
}

// peek skips whitespace and returns the next byte, not consuming it.
func (v *valueReader) peek() (byte, error) {
	for {
		for v.pos < len(v.buf) {
			switch c := v.buf[v.pos]; c {
			case ' ', '\t', '\r', '\n':
				v.pos++
			default:
				return c, nil
			}
		}
		if err := v.fill(); err != nil {
			return 0, err
		}
	}
}

func (v *valueReader) expect(want byte) error {
	c, err := v.peek()
	if err != nil {
		return err
	}
	if c != want {
		return fmt.Errorf("expected %q, found %q", want, c)
	}
	v.pos++
	return nil
}

// value returns the next value, valid until the next call.
func (v *valueReader) value() ([]byte, error) {
	if _, err := v.peek(); err != nil {
		return nil, err
	}
	for {
		start, end, err := jsonraw.Value(v.buf, v.pos)
		// A number that reaches the end of what has arrived may go on.
		more := errors.Is(err, jsonraw.ErrIncomplete) ||
			err == nil && end == len(v.buf) && (v.buf[start] == '-' || '0' <= v.buf[start] && v.buf[start] <= '9')
		if more && !v.eof {
			if err := v.fill(); err != nil {
				return nil, err
			}
			continue
		}
		if err != nil {
			return nil, err
		}
		v.pos = end
		return v.buf[start:end], nil
	}
}
