package powerschool

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/pskit/pskit/internal/jsonraw"
)

// SchemaRecord is one record from a PowerQuery or the table API, in either
// of PowerSchool's forms: grouped by table
// ({"id":..,"name":..,"tables":{"students":{..}}}) or flattened
// ({"_id":..,"_name":.., "col": ..}). Values are kept as raw JSON because
// PowerSchool sends numbers as strings or numbers depending on version.
type SchemaRecord struct {
	ID     FlexInt
	Name   string
	Tables map[string]map[string]json.RawMessage // grouped form, keys lower-case
	Fields map[string]json.RawMessage            // flattened form, without _id/_name
	Raw    json.RawMessage
}

// UnmarshalJSON implements json.Unmarshaler.
func (r *SchemaRecord) UnmarshalJSON(b []byte) error {
	return r.decodeRaw(append(json.RawMessage(nil), b...), nil)
}

// names holds the keys the records of one page or stream share, so that
// each is allocated once, not once per record.
type names struct {
	m    map[string]string // quoted key as it came -> its text
	cols int               // the last table's columns: the next one's size
}

func (n *names) text(raw []byte) (string, error) {
	if n == nil {
		return jsonraw.Unquote(raw)
	}
	if s, ok := n.m[string(raw)]; ok {
		return s, nil
	}
	s, err := jsonraw.Unquote(raw)
	if err != nil {
		return "", err
	}
	if n.m == nil {
		n.m = map[string]string{}
	}
	if len(n.m) < 4096 { // a bound for records whose keys are data
		n.m[string(raw)] = s
	}
	return s, nil
}

func (n *names) size() int {
	if n == nil {
		return 0
	}
	return n.cols
}

// decodeRaw reads a record from raw and keeps raw as its Raw: the values of
// Tables and Fields are slices of it, so a record costs one walk over its
// bytes and no copy of each value. The grouped form is the one with a
// "tables" member other than "" or null; every other object is flattened.
func (r *SchemaRecord) decodeRaw(raw json.RawMessage, keys *names) error {
	*r = SchemaRecord{Raw: raw}
	if string(bytes.TrimSpace(raw)) == "null" {
		return nil
	}
	var id, name, flatID, flatName, tables []byte
	n := 0
	it := jsonraw.Object(raw)
	for it.Next() {
		n++
		switch k := it.Key(); {
		case jsonraw.KeyIs(k, "id"):
			id = it.Value()
		case jsonraw.KeyIs(k, "name"):
			name = it.Value()
		case jsonraw.KeyIs(k, "_id"):
			flatID = it.Value()
		case jsonraw.KeyIs(k, "_name"):
			flatName = it.Value()
		case jsonraw.KeyIs(k, "tables"):
			tables = it.Value()
		}
	}
	if err := it.Err(); err != nil {
		return err
	}
	if tables != nil && !isEmptyValue(tables) {
		if err := r.decodeTables(tables, keys); err != nil {
			return err
		}
		return r.decodeIDName(id, name, keys)
	}
	r.Fields = make(map[string]json.RawMessage, n)
	for it := jsonraw.Object(raw); it.Next(); {
		k, err := keys.text(it.Key())
		if err != nil {
			return err
		}
		if k != "_id" && k != "_name" {
			r.Fields[k] = it.Value()
		}
	}
	return r.decodeIDName(flatID, flatName, keys)
}

// decodeTables reads the grouped form's {"<table>":{"<column>":value}}.
func (r *SchemaRecord) decodeTables(raw []byte, keys *names) error {
	r.Tables = make(map[string]map[string]json.RawMessage, 1)
	it := jsonraw.Object(raw)
	for it.Next() {
		table, err := keys.text(it.Key())
		if err != nil {
			return err
		}
		v := it.Value()
		if string(v) == "null" {
			r.Tables[table] = nil
			continue
		}
		cols, err := rawMembers(v, keys)
		if err != nil {
			return fmt.Errorf("powerschool: the record's tables.%s is %.40s, not an object of columns", table, v)
		}
		r.Tables[table] = cols
	}
	if err := it.Err(); err != nil {
		return fmt.Errorf("powerschool: the record's \"tables\" is %.40s, not an object of tables", raw)
	}
	return nil
}

// rawMembers is an object's members, their values slices of raw.
func rawMembers(raw []byte, keys *names) (map[string]json.RawMessage, error) {
	m := make(map[string]json.RawMessage, keys.size())
	it := jsonraw.Object(raw)
	for it.Next() {
		k, err := keys.text(it.Key())
		if err != nil {
			return nil, err
		}
		m[k] = it.Value()
	}
	if keys != nil {
		keys.cols = len(m)
	}
	return m, it.Err()
}

func (r *SchemaRecord) decodeIDName(id, name []byte, keys *names) error {
	if n, ok := digits(id); ok {
		r.ID = FlexInt(n)
	} else if len(id) > 0 {
		if err := r.ID.UnmarshalJSON(id); err != nil {
			return err
		}
	}
	switch {
	case len(name) > 0 && name[0] == '"':
		s, err := keys.text(name) // the table's name: the same in every row
		if err != nil {
			return err
		}
		r.Name = s
	case len(name) > 0:
		var s FlexString
		if err := s.UnmarshalJSON(name); err != nil {
			return err
		}
		r.Name = string(s)
	}
	return nil
}

// digits reads a short run of decimal digits (an ID as a JSON number).
func digits(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

func decodeOptional(raw json.RawMessage, v any) error {
	if len(raw) == 0 {
		return nil
	}
	return json.Unmarshal(raw, v)
}

// Value returns a column's value as text (numbers in their literal form,
// null as ""). column is "table.column" or just "column"; names compare
// case-insensitively.
func (r *SchemaRecord) Value(column string) (string, bool) {
	raw, ok := r.lookup(column)
	if !ok {
		return "", false
	}
	var s FlexString
	if err := s.UnmarshalJSON(raw); err != nil {
		return string(bytes.TrimSpace(raw)), true // an object or array: its JSON
	}
	return string(s), true
}

func (r *SchemaRecord) lookup(column string) (json.RawMessage, bool) {
	col := strings.ToLower(column)
	if table, name, ok := strings.Cut(col, "."); ok {
		for t, fields := range r.Tables {
			if strings.EqualFold(t, table) {
				if v, ok := findFold(fields, name); ok {
					return v, true
				}
			}
		}
	}
	if v, ok := findFold(r.Fields, col); ok {
		return v, true
	}
	for _, fields := range r.Tables {
		if v, ok := findFold(fields, col); ok {
			return v, true
		}
	}
	return nil, false
}

func findFold(m map[string]json.RawMessage, key string) (json.RawMessage, bool) {
	if v, ok := m[key]; ok {
		return v, true
	}
	for k, v := range m {
		if strings.EqualFold(k, key) {
			return v, true
		}
	}
	return nil, false
}
