package tableapi

import (
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/pskit/pskit/emulator/internal/powerquery/oraclesql"
)

// mapRecord is how records were encoded before: maps, by encoding/json.
type mapRecord struct {
	ID     any                          `json:"id"`
	Name   string                       `json:"name"`
	Tables map[string]map[string]string `json:"tables"`
}

func encodeViaMaps(t *table, cols []column, id any, vals []any) ([]byte, error) {
	fields := map[string]string{}
	for i, c := range cols {
		if v := vals[i]; v != nil {
			fields[strings.ToLower(c.name)] = oraclesql.Text(v)
		}
	}
	return json.Marshal(mapRecord{ID: id, Name: t.name, Tables: map[string]map[string]string{t.lower(): fields}})
}

// The encoder writes the bytes encoding/json wrote for the same record in
// maps: sorted columns, nulls left out, the same escapes.
func TestRecordEncoderMatchesMaps(t *testing.T) {
	tbl := &table{name: "U_ODD<&>", key: "ID"}
	cols := []column{{name: "ZED"}, {name: "A_B"}, {name: "A"}, {name: "MIXED"}, {name: "mixed"}, {name: "A B"}, {name: "A!"}, {name: "É"}}
	rows := [][]any{
		{"z", "ab", "a", "upper", "lower", "space", "bang", "é"},
		{nil, int64(-7), 2.5, nil, "x", nil, nil, nil},
		{"<script>&amp;</script>", "tab\there \"q\" \\", "\xff\xfe bad utf-8", "\u2028", []byte("bytes"), true, int64(math.MaxInt64), "emoji 😀"},
		{nil, nil, nil, nil, nil, nil, nil, nil},
	}
	for _, id := range []any{int64(4001), nil, "7", 3.0} {
		for _, vals := range rows {
			want, err := encodeViaMaps(tbl, cols, id, vals)
			if err != nil {
				t.Fatal(err)
			}
			got, err := newRecordEncoder(tbl, cols).encode([]byte("x"), id, vals)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != "x"+string(want) {
				t.Errorf("id %v, row %v:\n got %s\nwant %s", id, vals, got[1:], want)
			}
			// Inside an answer, encoding/json passes the bytes on unchanged.
			wrapped, _ := json.Marshal(map[string]any{"record": []json.RawMessage{got[1:]}})
			if wantWrapped, _ := json.Marshal(map[string]any{"record": []json.RawMessage{want}}); string(wrapped) != string(wantWrapped) {
				t.Errorf("in an answer:\n got %s\nwant %s", wrapped, wantWrapped)
			}
		}
	}
}
