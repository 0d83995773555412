package query

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// Member is one key and value of a JSON object, in document order.
type Member struct {
	Key   string
	Value json.RawMessage
}

// Members splits a JSON object into its members, keeping their order (CSV
// columns follow it).
func Members(raw json.RawMessage) ([]Member, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, fmt.Errorf("record is not a JSON object")
	}
	var out []Member
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("record is not valid JSON: %w", err)
		}
		key, _ := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, fmt.Errorf("record is not valid JSON: %w", err)
		}
		out = append(out, Member{Key: key, Value: v})
	}
	return out, nil
}

// Object writes members back as one JSON object.
func Object(ms []Member) json.RawMessage {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, m := range ms {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(m.Key)
		b.Write(k)
		b.WriteByte(':')
		b.Write(m.Value)
	}
	b.WriteByte('}')
	return b.Bytes()
}

// Record is the form psctl prints a PowerQuery record in: its columns
// grouped by table, {"students":{"dcid":"1",...}}, so CSV columns and
// --fields read students.dcid. That is the grouped answer's "tables" object;
// a flattened answer's "students.dcid" keys are grouped the same way, and its
// one-part names stay as they are. The _id and _name PowerSchool adds to
// flattened records are left out.
func Record(raw json.RawMessage) (json.RawMessage, error) {
	ms, err := Members(raw)
	if err != nil {
		return nil, err
	}
	for _, m := range ms {
		if m.Key == "tables" {
			if v := string(bytes.TrimSpace(m.Value)); v == `""` || v == "null" {
				return json.RawMessage(`{}`), nil // no columns (XML-to-JSON's empty element)
			}
			if _, err := Members(m.Value); err != nil {
				return nil, fmt.Errorf("record's \"tables\" is not an object")
			}
			return m.Value, nil
		}
	}
	plain := map[string]bool{}
	for _, m := range ms {
		if !strings.Contains(m.Key, ".") {
			plain[m.Key] = true
		}
	}
	var out []Member
	groups := map[string]int{} // table alias -> index in out
	var grouped [][]Member
	for _, m := range ms {
		if m.Key == "_id" || m.Key == "_name" {
			continue
		}
		table, col, ok := strings.Cut(m.Key, ".")
		if !ok || plain[table] || table == "" || col == "" {
			out = append(out, m)
			continue
		}
		i, seen := groups[table]
		if !seen {
			i = len(grouped)
			groups[table] = i
			grouped = append(grouped, nil)
			out = append(out, Member{Key: table}) // value filled in below
		}
		grouped[i] = append(grouped[i], Member{Key: col, Value: m.Value})
	}
	for k := range out {
		if i, ok := groups[out[k].Key]; ok && out[k].Value == nil {
			out[k].Value = Object(grouped[i])
		}
	}
	return Object(out), nil
}
