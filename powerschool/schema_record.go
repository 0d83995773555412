package powerschool

import (
	"bytes"
	"encoding/json"
	"strings"
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
	// The grouped form (the table API's, and most PowerQueries') is read
	// in one pass; only a flattened record needs its members as a map.
	var g struct {
		ID     json.RawMessage                       `json:"id"`
		Name   json.RawMessage                       `json:"name"`
		Tables map[string]map[string]json.RawMessage `json:"tables"`
	}
	if bytes.Contains(b, []byte(`"tables"`)) && json.Unmarshal(b, &g) == nil && len(g.Tables) > 0 {
		*r = SchemaRecord{Raw: append(json.RawMessage(nil), b...), Tables: g.Tables}
		if err := decodeOptional(g.ID, &r.ID); err != nil {
			return err
		}
		var name FlexString
		if err := decodeOptional(g.Name, &name); err != nil {
			return err
		}
		r.Name = string(name)
		return nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	*r = SchemaRecord{Raw: append(json.RawMessage(nil), b...)}
	if t, ok := m["tables"]; ok && !isEmptyValue(t) {
		if err := json.Unmarshal(t, &r.Tables); err != nil {
			return err
		}
		if err := decodeOptional(m["id"], &r.ID); err != nil {
			return err
		}
		var name FlexString
		if err := decodeOptional(m["name"], &name); err != nil {
			return err
		}
		r.Name = string(name)
		return nil
	}
	if err := decodeOptional(m["_id"], &r.ID); err != nil {
		return err
	}
	var name FlexString
	if err := decodeOptional(m["_name"], &name); err != nil {
		return err
	}
	r.Name = string(name)
	delete(m, "_id")
	delete(m, "_name")
	r.Fields = m
	return nil
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
