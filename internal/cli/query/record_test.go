package query

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// The former Record, which split records with encoding/json's token
// stream and re-encoded them: the one-walk Record must write the same bytes.

// oldMember is one key and value of a JSON object, in document order.
type oldMember struct {
	Key   string
	Value json.RawMessage
}

// oldMembers splits a JSON object into its members, keeping their order (CSV
// columns follow it).
func oldMembers(raw json.RawMessage) ([]oldMember, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, fmt.Errorf("record is not a JSON object")
	}
	var out []oldMember
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
		out = append(out, oldMember{Key: key, Value: v})
	}
	return out, nil
}

// oldObject writes members back as one JSON object.
func oldObject(ms []oldMember) json.RawMessage {
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

// oldRecord is the form psctl prints a PowerQuery record in: its columns
// grouped by table, {"students":{"dcid":"1",...}}, so CSV columns and
// --fields read students.dcid. That is the grouped answer's "tables" object;
// a flattened answer's "students.dcid" keys are grouped the same way, and its
// one-part names stay as they are. The _id and _name PowerSchool adds to
// flattened records are left out.
func oldRecord(raw json.RawMessage) (json.RawMessage, error) {
	ms, err := oldMembers(raw)
	if err != nil {
		return nil, err
	}
	for _, m := range ms {
		if m.Key == "tables" {
			if v := string(bytes.TrimSpace(m.Value)); v == `""` || v == "null" {
				return json.RawMessage(`{}`), nil // no columns (XML-to-JSON's empty element)
			}
			if _, err := oldMembers(m.Value); err != nil {
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
	var out []oldMember
	groups := map[string]int{} // table alias -> index in out
	var grouped [][]oldMember
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
			out = append(out, oldMember{Key: table}) // value filled in below
		}
		grouped[i] = append(grouped[i], oldMember{Key: col, Value: m.Value})
	}
	for k := range out {
		if i, ok := groups[out[k].Key]; ok && out[k].Value == nil {
			out[k].Value = oldObject(grouped[i])
		}
	}
	return oldObject(out), nil
}

var recordSeeds = []string{
	`{"id":4001,"name":"students","tables":{"students":{"dcid":"4001","last_name":"O\"Brien"}}}`,
	`{"tables":{"students":{"dcid":"1"},"u_x":{"email":null}},"tables":{"s":{}}}`,
	`{"_id":3,"_name":"q","students.dcid":"3","students.last_name":"Ng","count":5,"schools.name":"A","students.id":1}`,
	`{"_id":3,"students":"x","students.dcid":"3",".a":1,"b.":2,"<k>.x":"&"}`,
	`{"tables":""}`, `{"tables":null}`, `{"tables":5}`, `{"tables":[1]}`, `{}`, `[]`, `"x"`, `{"a":}`, ` { "tables" : { "s" : { "a" : 1 } } } `,
	`{"\u0074ables":{"s":{}}}`, `{"a\u002eb":1}`,
}

func TestRecordWritesWhatItDidBefore(t *testing.T) {
	for _, s := range recordSeeds {
		compareRecords(t, []byte(s))
	}
}

func FuzzRecordWritesWhatItDidBefore(f *testing.F) {
	for _, s := range recordSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) { compareRecords(t, b) })
}

func compareRecords(t *testing.T, b []byte) {
	t.Helper()
	want, wantErr := oldRecord(b)
	got, err := Record(b)
	if err != nil && wantErr == nil && !json.Valid(b) {
		return // the token stream let a cut or trailed record through
	}
	if (err == nil) != (wantErr == nil) {
		t.Fatalf("%s: error %v, before %v", b, err, wantErr)
	}
	if wantErr == nil && !bytes.Equal(got, want) {
		t.Fatalf("%s:\n got %s\nwant %s", b, got, want)
	}
}
