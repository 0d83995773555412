package powerschool

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
)

// decodePageViaMaps is the former decoder (envelope into maps, then raw
// lists, then each record): the one-pass decoder must agree with it.
func decodePageViaMaps[T any](body []byte, plural, singular string) ([]T, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		return nil, err
	}
	inner, ok := top[plural]
	if !ok || isEmptyValue(inner) {
		return nil, nil
	}
	var raws List[json.RawMessage]
	if strings.HasPrefix(strings.TrimSpace(string(inner)), "[") {
		if err := json.Unmarshal(inner, &raws); err != nil {
			return nil, err
		}
	} else {
		var env map[string]json.RawMessage
		if err := json.Unmarshal(inner, &env); err != nil {
			return nil, err
		}
		if err := raws.UnmarshalJSON(env[singular]); err != nil {
			return nil, err
		}
	}
	var out []T
	for _, raw := range raws {
		v, err := decodeRecord[T](raw, nil)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

var pageSeeds = []string{
	`{"students":{"student":[{"id":1},{"id":"2"}]}}`,
	`{"students":{"student":{"id":1,"addresses":"","name":{"first_name":"a"}}}}`,
	`{"students":{"@expansions":"x","student":[ {"id":5} , {"id":6,"name":{"last_name":"O'Neil \"x\""}} ]}}`,
	`{"students":{"@expansions":"x"}}`,
	`{"students":[{"id":3}]}`,
	`{"students":""}`,
	`{"students":null}`,
	`{"students":{"student":""}}`,
	`{"other":[1,2],"students":{"student":[{"id":9}]},"tail":{}}`,
	`{"students":{"student":{"_extension_data":{"_table_extension":[{"name":"t","_field":{"name":"f","value":2}}]}}}}`,
	` {"students" : { "student" : [ {"id":1} ] } } `,
	`{"students":5}`,
	`{"students":{"student":"abc"}}`,
	`[]`,
}

func TestDecodePageMatchesMapDecoder(t *testing.T) {
	for _, s := range pageSeeds {
		comparePageDecoders(t, []byte(s))
	}
}

func FuzzDecodePageMatchesMapDecoder(f *testing.F) {
	for _, s := range pageSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		// Duplicate keys are out of scope: maps keep the last, the stream the first.
		if strings.Count(string(b), "students") > 1 || strings.Count(string(b), "student\"") > 1 {
			return
		}
		comparePageDecoders(t, b)
	})
}

func comparePageDecoders(t *testing.T, b []byte) {
	t.Helper()
	for _, kind := range []string{"Student", "RawMessage"} {
		var got, want any
		var gotErr, wantErr error
		if kind == "Student" {
			got, gotErr = decodePage[Student](b, "students", "student")
			want, wantErr = decodePageViaMaps[Student](b, "students", "student")
		} else {
			got, gotErr = decodePage[json.RawMessage](b, "students", "student")
			want, wantErr = decodePageViaMaps[json.RawMessage](b, "students", "student")
		}
		if wantErr != nil {
			continue // the stream may accept a page whose tail is damaged
		}
		if gotErr != nil {
			t.Fatalf("%s: %s: one-pass decoder failed (%v) where the map decoder succeeded", b, kind, gotErr)
		}
		if reflect.ValueOf(got).Len() == 0 && reflect.ValueOf(want).Len() == 0 {
			continue
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: %s:\n got %#v\nwant %#v", b, kind, got, want)
		}
	}
}

// A table API page holds its rows under "record": an array, one bare
// record, or nothing.
func TestDecodeTablePage(t *testing.T) {
	for body, want := range map[string][]int{
		`{"name":"U_X","record":[{"id":1,"name":"U_X","tables":{"u_x":{"a":"1"}}},{"id":"2","name":"U_X","tables":{"u_x":{"a":"2"}}}]}`: {1, 2},
		`{"name":"U_X","record":{"id":5,"name":"U_X","tables":{"u_x":{"a":"5"}}}}`:                                                      {5},
		`{"name":"U_X","record":[]}`: nil,
		`{"name":"U_X","record":""}`: nil,
		`{"name":"U_X"}`:             nil,
	} {
		recs, err := decodePage[SchemaRecord]([]byte(body), "record", "")
		if err != nil {
			t.Fatalf("%s: %v", body, err)
		}
		var got []int
		for _, r := range recs {
			got = append(got, r.ID.Int())
			if v, _ := r.Value("u_x.a"); v != strconv.Itoa(r.ID.Int()) || len(r.Raw) == 0 {
				t.Errorf("%s: record %d reads a=%q", body, r.ID.Int(), v)
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: ids %v, want %v", body, got, want)
		}
	}
}

// schemaRecordViaMaps is the former SchemaRecord decoder (the record into
// maps by encoding/json): the one-walk decoder must agree with it.
func schemaRecordViaMaps(b []byte) (SchemaRecord, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return SchemaRecord{}, err
	}
	r := SchemaRecord{Raw: append(json.RawMessage(nil), b...)}
	idKey, nameKey := "_id", "_name"
	if t, ok := m["tables"]; ok && !isEmptyValue(t) {
		if err := json.Unmarshal(t, &r.Tables); err != nil {
			return SchemaRecord{}, err
		}
		idKey, nameKey = "id", "name"
	} else if m != nil {
		r.Fields = m
	}
	if err := decodeOptional(m[idKey], &r.ID); err != nil {
		return SchemaRecord{}, err
	}
	var name FlexString
	if err := decodeOptional(m[nameKey], &name); err != nil {
		return SchemaRecord{}, err
	}
	r.Name = string(name)
	if r.Fields != nil {
		delete(r.Fields, "_id")
		delete(r.Fields, "_name")
	}
	return r, nil
}

var schemaRecordSeeds = []string{
	`{"id":4001,"name":"students","tables":{"students":{"dcid":"4001","last_name":"O\"Brien","first_name":"Lila"}}}`,
	`{"id":"7","name":7,"tables":{"students":{"dcid":1},"u_x":{"email":null,"n":[1,2]},"empty":{},"gone":null}}`,
	`{"_id":3,"_name":"q","students.dcid":"3","students.last_name":"Ng","count":5}`,
	`{"_id":null,"x":{"y":1}}`,
	`{"id":1,"name":"t","tables":""}`,
	`{"id":1,"tables":null,"a":"b"}`,
	`{"id":1,"tables":{}}`,
	`{"tables":5}`,
	`{"tables":{"s":5}}`,
	`{"tables":{"s":""}}`,
	`{"id":"abc","tables":{"s":{}}}`,
	`{"_id":"1.0","\u0074ables":{"s":{"a":"1"}}}`,
	`{"a":1,"a":2}`,
	` { "id" : 1 , "tables" : { "s" : { "a" : "1" } } } `,
	`{}`, `null`, `[]`, `"x"`, `{"a":}`,
}

func TestSchemaRecordMatchesMapDecoder(t *testing.T) {
	for _, s := range schemaRecordSeeds {
		compareSchemaRecordDecoders(t, []byte(s))
	}
}

func FuzzSchemaRecordMatchesMapDecoder(f *testing.F) {
	for _, s := range schemaRecordSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) { compareSchemaRecordDecoders(t, b) })
}

func compareSchemaRecordDecoders(t *testing.T, b []byte) {
	t.Helper()
	want, wantErr := schemaRecordViaMaps(b)
	var got SchemaRecord
	gotErr := json.Unmarshal(b, &got)
	if (gotErr == nil) != (wantErr == nil) {
		t.Fatalf("%s: error %v, the map decoder's %v", b, gotErr, wantErr)
	}
	if wantErr != nil {
		return
	}
	// json.Unmarshal hands UnmarshalJSON the value without surrounding space.
	want.Raw = json.RawMessage(strings.TrimSpace(string(want.Raw)))
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s:\n got %#v\nwant %#v", b, got, want)
	}
	// In a page, records share their keys' text: each must read the same.
	page := []byte(`{"record":[` + string(b) + `,` + string(b) + `]}`)
	recs, err := decodePage[SchemaRecord](page, "record", "")
	if err != nil || len(recs) != 2 {
		t.Fatalf("%s in a page: %d records, %v", b, len(recs), err)
	}
	for _, r := range recs {
		if !reflect.DeepEqual(r, want) {
			t.Fatalf("%s in a page:\n got %#v\nwant %#v", b, r, want)
		}
	}
}

var powerQuerySeeds = []string{
	`{"name":"q","count":2,"record":[{"id":1,"name":"students","tables":{"students":{"dcid":"1"}}},{"_id":2,"students.dcid":"2"}],"@extensions":"a,b"}`,
	`{"record":{"id":1,"tables":{"s":{"a":"1"}}},"$dataversion":"5"}`,
	`{"record":""}`, `{"record":null}`, `{"record":[]}`, `{"count":null,"Name":"x","RECORD":[{"a":1}]}`, `{}`, `null`,
	`{"record":5}`, `{"record":[1]}`, `{"name":3,"record":[{"a":"b"}],"count":"7"}`, ` { "record" : [ { "a" : 1 } , { "b" : [ ] } ] } `,
	`{"record":[{"a":1}],"record":[{"b":2}]}`, `{"record":[{"a":-1.5e3,"b":"\u00e9\""}],"tail":{"x":[1,2,{}]}}`,
}

// powerQueryResultViaStruct is the former page decoder (encoding/json into
// the struct).
func powerQueryResultViaStruct(raw []byte) (*PowerQueryResult, error) {
	res := &PowerQueryResult{}
	if err := json.Unmarshal(raw, res); err != nil {
		return nil, err
	}
	res.Raw = raw
	return res, nil
}

func TestPowerQueryResultMatchesStructDecoder(t *testing.T) {
	for _, s := range powerQuerySeeds {
		comparePowerQueryDecoders(t, []byte(s))
	}
}

func FuzzPowerQueryResultMatchesStructDecoder(f *testing.F) {
	for _, s := range powerQuerySeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) { comparePowerQueryDecoders(t, b) })
}

func comparePowerQueryDecoders(t *testing.T, b []byte) {
	t.Helper()
	want, wantErr := powerQueryResultViaStruct(b)
	got, err := decodePowerQueryResult(b)
	if (err == nil) != (wantErr == nil) {
		t.Fatalf("%s: error %v, the struct decoder's %v", b, err, wantErr)
	}
	if err != nil {
		return
	}
	if len(got.Records) == 0 && len(want.Records) == 0 {
		got.Records, want.Records = nil, nil
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s:\n got %#v\nwant %#v", b, got, want)
	}
}

// The streamed answer is read value by value: split anywhere by the
// network, it yields the records a whole-answer decoder finds, each as it
// came.
func TestReadRecordsMatchesWholeAnswer(t *testing.T) {
	for _, s := range powerQuerySeeds {
		compareReadRecords(t, []byte(s))
	}
}

func FuzzReadRecordsMatchesWholeAnswer(f *testing.F) {
	for _, s := range powerQuerySeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) { compareReadRecords(t, b) })
}

func compareReadRecords(t *testing.T, b []byte) {
	t.Helper()
	var top map[string]json.RawMessage
	wantErr := json.Unmarshal(b, &top)
	var want List[json.RawMessage]
	if wantErr == nil {
		if top == nil {
			wantErr = errors.New("not an object")
		} else if rec := bytes.TrimSpace(top["record"]); len(rec) > 0 && rec[0] != '[' && rec[0] != '{' && !isEmptyValue(rec) {
			wantErr = errors.New(`"record" is not a list`)
		} else {
			wantErr = want.UnmarshalJSON(rec)
		}
	}
	if strings.Count(string(b), `"record"`) > 1 {
		return // duplicate keys: a stream reads each, a map keeps the last
	}
	var got []string
	err := readRecords(iotest.OneByteReader(bytes.NewReader(b)), func(raw []byte) (bool, error) {
		got = append(got, string(raw))
		return true, nil
	})
	if wantErr != nil {
		return // the stream may yield records before the answer turns bad
	}
	if err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	var ws []string
	for _, r := range want {
		if !isEmptyValue(r) || len(want) > 1 {
			ws = append(ws, string(r))
		}
	}
	if strings.Join(got, "\x00") != strings.Join(ws, "\x00") {
		t.Fatalf("%s:\n got %q\nwant %q", b, got, ws)
	}
}

// tablePageBody is a table API page of n student rows, as the emulator
// writes them.
func tablePageBody(n int) []byte {
	var b strings.Builder
	b.WriteString(`{"name":"students","record":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		id := strconv.Itoa(4001 + i)
		b.WriteString(`{"id":` + id + `,"name":"students","tables":{"students":{"dcid":"` + id + `","enroll_status":"0","first_name":"Lila","grade_level":"2","id":"` + strconv.Itoa(i+1) +
			`","last_name":"ASHGROVE","lastfirst":"ASHGROVE, Lila","middle_name":"Rose","schoolid":"4500","student_number":"` + strconv.Itoa(100001+i) + `"}}}`)
	}
	b.WriteString(`]}`)
	return []byte(b.String())
}

func BenchmarkDecodeTablePage(b *testing.B) {
	body := tablePageBody(100)
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		recs, err := decodePage[SchemaRecord](body, "record", "")
		if err != nil || len(recs) != 100 {
			b.Fatal(len(recs), err)
		}
	}
}
