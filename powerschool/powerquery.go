package powerschool

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"strings"
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
	res := &PowerQueryResult{}
	if err := json.Unmarshal(raw, res); err != nil {
		return nil, fmt.Errorf("powerschool: POST %s: the answer is not as expected: %w", path, err)
	}
	res.Raw = raw
	return res, nil
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

// streamPowerQuery decodes a pagesize=0 answer token by token, yielding each
// element of "record" as soon as it is read.
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
	bad := func(err error) {
		yield(SchemaRecord{}, fmt.Errorf("powerschool: POST %s: reading the answer: %w", path, err))
	}
	dec := json.NewDecoder(resp.Body)
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		bad(fmt.Errorf("not a JSON object (%v)", err))
		return
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			bad(err)
			return
		}
		if key, _ := tok.(string); key != "record" {
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				bad(err)
				return
			}
			continue
		}
		// "record" is an array, or a single object for one row.
		t, err := dec.Token()
		if err != nil {
			bad(err)
			return
		}
		switch t {
		case json.Delim('{'):
			r, err := decodeRestOfObject(dec)
			if err != nil {
				bad(err)
				return
			}
			if !yield(r, nil) {
				return
			}
			continue
		case json.Delim('['):
		default:
			if t == nil || t == "" { // null or "": no rows
				continue
			}
			bad(fmt.Errorf("\"record\" is not a list"))
			return
		}
		for dec.More() {
			var r SchemaRecord
			if err := dec.Decode(&r); err != nil {
				bad(err)
				return
			}
			if !yield(r, nil) {
				return
			}
		}
		if _, err := dec.Token(); err != nil {
			bad(err)
			return
		}
	}
}

// decodeRestOfObject reads an object whose '{' was already consumed.
func decodeRestOfObject(dec *json.Decoder) (SchemaRecord, error) {
	m := map[string]json.RawMessage{}
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			return SchemaRecord{}, err
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return SchemaRecord{}, err
		}
		key, _ := k.(string)
		m[key] = v
	}
	if _, err := dec.Token(); err != nil {
		return SchemaRecord{}, err
	}
	b, err := json.Marshal(m)
	if err != nil {
		return SchemaRecord{}, err
	}
	var r SchemaRecord
	err = json.Unmarshal(b, &r)
	return r, err
}
