package table

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"
)

// The former Record, which split rows with encoding/json's token stream
// and re-encoded them: the one-walk Record must write the same bytes.

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

// oldRecord is the former Record.
func oldRecord(raw json.RawMessage) (json.RawMessage, error) {
	ms, err := oldMembers(raw)
	if err != nil {
		return nil, err
	}
	var out []oldMember
	for _, m := range ms {
		if m.Key == "id" {
			out = append([]oldMember{m}, out...)
		}
		if m.Key == "tables" {
			tables, err := oldMembers(m.Value)
			if err != nil {
				return nil, fmt.Errorf("row's \"tables\" is not an object")
			}
			out = append(out, tables...)
		}
	}
	return oldObject(out), nil
}

var recordSeeds = []string{
	`{"name":"U_STUDENTSUSERFIELDS","id":4003,"tables":{"u_studentsuserfields":{"studentsdcid":"4003","email":"a@example.org"}}}`,
	`{"id":4001,"name":"students","tables":{"students":{"dcid":"4001","last_name":"O\"Brien","<k>":"&"}}}`,
	`{"tables":{"a":{"x":1},"b":null},"id":"2","id":3,"tables":{"c":[]}}`,
	`{"id":1}`, `{"tables":{}}`, `{"tables":""}`, `{"tables":null}`, `{"tables":5}`, `{}`, `[]`, `"x"`, `{"a":}`,
	` { "id" : 7 , "tables" : { "s" : { "a" : 1 } } } `, `{"\u0069d":1,"\u0074ables":{"\u00e9":2}}`,
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
		return // the token stream let a cut or trailed row through
	}
	if (err == nil) != (wantErr == nil) {
		t.Fatalf("%s: error %v, before %v", b, err, wantErr)
	}
	if wantErr == nil && !bytes.Equal(got, want) {
		t.Fatalf("%s:\n got %s\nwant %s", b, got, want)
	}
}
