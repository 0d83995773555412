package powerschool

import (
	"encoding/json"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
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
		v, err := decodeRecord[T](raw)
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
