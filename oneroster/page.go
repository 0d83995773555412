package oneroster

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"net/http"
	"regexp"
	"strconv"
	"strings"
)

// list reads a collection page by page. Paging is by offset, computed from
// the records received, rather than by following Link URLs: providers encode
// filters inconsistently in Link, and the query must stay in the form that
// was signed. Another page is read while the last one was not empty and
//   - Link is sent and has rel="next" (a Link without next ends the list), or
//   - no Link is sent, X-Total-Count is, and it is not yet reached, or
//   - neither header is sent and the page was full (len == limit).
//
// A fetch error ends the sequence. A record that does not decode yields an
// error; the sequence goes on if the caller keeps ranging.
func list[T any](ctx context.Context, c *Client, path, key string, opts *ListOptions) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		if err := opts.validate(); err != nil {
			yield(zero, err)
			return
		}
		limit, offset := DefaultLimit, 0
		if opts != nil {
			if opts.Limit > 0 {
				limit = opts.Limit
			}
			offset = opts.Offset
		}
		var prevFirst json.RawMessage
		for {
			q, _ := opts.values(limit, offset) // validated above
			var env map[string]json.RawMessage
			_, header, err := c.do(ctx, http.MethodGet, path, q, nil, &env)
			if err != nil {
				yield(zero, err)
				return
			}
			page, err := pageItems(env, key)
			if err != nil {
				yield(zero, fmt.Errorf("oneroster: GET %s: %w", c.base.EscapedPath()+path, err))
				return
			}
			if len(page) > 0 && prevFirst != nil && bytes.Equal(page[0], prevFirst) {
				yield(zero, fmt.Errorf("oneroster: GET %s: the provider returned the same page for offset %d as for the one before; it may ignore offset (set a larger Limit to read in one page)", c.base.EscapedPath()+path, offset))
				return
			}
			for i, raw := range page {
				item, err := decodeItem[T](raw)
				if err != nil {
					err = fmt.Errorf("oneroster: GET %s: record %d: %w", c.base.EscapedPath()+path, offset+i, err)
				}
				if !yield(item, err) {
					return
				}
			}
			if len(page) == 0 {
				return
			}
			prevFirst = page[0]
			offset += len(page)
			if !morePages(len(page), limit, offset, header) {
				return
			}
		}
	}
}

// pageItems extracts the records of one page from {"<key>": [...]}. It
// accepts a differently named sole array, a single object instead of an
// array, and a missing key on an empty page.
func pageItems(env map[string]json.RawMessage, key string) ([]json.RawMessage, error) {
	raw, ok := env[key]
	if !ok {
		raw, ok = soleValue(env, '[')
	}
	if !ok {
		if obj, one := soleValue(env, '{'); one {
			raw, ok = obj, true
		}
	}
	if !ok {
		return nil, nil // no collection key: an empty page
	}
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	if raw[0] == '{' {
		return []json.RawMessage{raw}, nil
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, fmt.Errorf("%q is not an array of records: %w", key, err)
	}
	return items, nil
}

func morePages(n, limit, nextOffset int, h http.Header) bool {
	if rels := linkRels(h.Values("Link")); len(rels) > 0 {
		// A provider that sends paging links says so when there is a next page.
		return rels["next"]
	}
	if total, ok := totalCount(h); ok {
		return nextOffset < total
	}
	return n >= limit
}

func totalCount(h http.Header) (int, bool) {
	v := strings.TrimSpace(h.Get("X-Total-Count"))
	if v == "" {
		return 0, false
	}
	n, err := strconv.Atoi(v)
	return n, err == nil && n >= 0
}

// relRe finds rel parameters in a Link header, quoted or not; providers
// differ (RFC 8288 form, no angle brackets, newline separators).
var relRe = regexp.MustCompile(`(?i)\brel\s*=\s*("[^"]*"|[^\s;,]+)`)

// linkRels returns the relations named in Link headers, lower-cased.
func linkRels(values []string) map[string]bool {
	rels := map[string]bool{}
	for _, v := range values {
		for _, m := range relRe.FindAllStringSubmatch(v, -1) {
			for _, rel := range strings.Fields(strings.Trim(m[1], `"`)) {
				rels[strings.ToLower(rel)] = true
			}
		}
	}
	return rels
}
