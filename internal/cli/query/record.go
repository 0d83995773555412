package query

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/pskit/pskit/internal/jsonraw"
)

// ObjectError explains why raw is not a record: not an object, or not JSON.
func ObjectError(raw []byte, err error) error {
	if t := bytes.TrimSpace(raw); len(t) == 0 || t[0] != '{' {
		return errors.New("record is not a JSON object")
	}
	return fmt.Errorf("record is not valid JSON: %w", err)
}

// Record is the form psctl prints a PowerQuery record in: its columns
// grouped by table, {"students":{"dcid":"1",...}}, so CSV columns and
// --fields read students.dcid. That is the grouped answer's "tables" object,
// as it came; a flattened answer's "students.dcid" keys are grouped the same
// way, and its one-part names stay as they are. The _id and _name
// PowerSchool adds to flattened records are left out. Values are copied as
// they came, with no decoding.
func Record(raw json.RawMessage) (json.RawMessage, error) {
	var tables []byte
	it := jsonraw.Object(raw)
	for it.Next() {
		if tables == nil && jsonraw.KeyIs(it.Key(), "tables") {
			tables = it.Value()
		}
	}
	if err := it.Err(); err != nil {
		return nil, ObjectError(raw, err)
	}
	if tables != nil {
		if v := string(tables); v == `""` || v == "null" {
			return json.RawMessage(`{}`), nil // no columns (XML-to-JSON's empty element)
		}
		t := jsonraw.Object(tables)
		for t.Next() {
		}
		if t.Err() != nil {
			return nil, fmt.Errorf("record's \"tables\" is not an object")
		}
		return tables, nil
	}
	return flatRecord(raw)
}

type member struct {
	key   string
	value []byte
}

// flatRecord groups a flattened record's "table.column" keys by table.
func flatRecord(raw json.RawMessage) (json.RawMessage, error) {
	var ms []member
	plain := map[string]bool{}
	for it := jsonraw.Object(raw); it.Next(); {
		k, err := jsonraw.Unquote(it.Key())
		if err != nil {
			return nil, ObjectError(raw, err)
		}
		ms = append(ms, member{k, it.Value()})
		if !strings.Contains(k, ".") {
			plain[k] = true
		}
	}
	var out []member
	groups := map[string]int{} // table alias -> index in out
	var grouped [][]member
	for _, m := range ms {
		if m.key == "_id" || m.key == "_name" {
			continue
		}
		table, col, ok := strings.Cut(m.key, ".")
		if !ok || plain[table] || table == "" || col == "" {
			out = append(out, m)
			continue
		}
		i, seen := groups[table]
		if !seen {
			i = len(grouped)
			groups[table] = i
			grouped = append(grouped, nil)
			out = append(out, member{key: table}) // value filled in below
		}
		grouped[i] = append(grouped[i], member{col, m.value})
	}
	for k := range out {
		if i, ok := groups[out[k].key]; ok && out[k].value == nil {
			out[k].value = object(nil, grouped[i])
		}
	}
	return object(make([]byte, 0, len(raw)), out), nil
}

// object appends members as one JSON object, keys written as json.Marshal
// writes them.
func object(dst []byte, ms []member) []byte {
	dst = append(dst, '{')
	for i, m := range ms {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = jsonraw.AppendQuote(dst, m.key)
		dst = append(dst, ':')
		dst = append(dst, m.value...)
	}
	return append(dst, '}')
}
