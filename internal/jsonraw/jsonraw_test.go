package jsonraw

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// members walks an object with encoding/json, as the reference.
func members(t testing.TB, b []byte) (keys []string, vals []string) {
	dec := json.NewDecoder(bytes.NewReader(b))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("reference: %s is not an object", b)
	}
	for dec.More() {
		tok, _ := dec.Token()
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			t.Fatal(err)
		}
		keys, vals = append(keys, tok.(string)), append(vals, string(v))
	}
	return keys, vals
}

func walk(b []byte) (keys []string, vals []string, err error) {
	it := Object(b)
	for it.Next() {
		k, err := Unquote(it.Key())
		if err != nil {
			return nil, nil, err
		}
		keys, vals = append(keys, k), append(vals, string(it.Value()))
	}
	return keys, vals, it.Err()
}

var seeds = []string{
	`{}`, ` { } `, `{"a":1}`, `{"id":4001,"name":"students","tables":{"students":{"dcid":"4001","last_name":"O\"Brien"}}}`,
	`{"a" : [1, 2.5e-3, -0, true, false, null, "x\u00e9\n"], "b":{"c":{}}, "a":"dup"}`,
	`{"\u0069d":1, "<k>":"&", "é":"\ud83d\ude00"}`, "{\"a\":\"\x01\"}", `{"a":01}`, `{"a":1.}`, `{"a":-}`, `{"a":1e}`,
	`{"a":tru}`, `{"a":nul}`, `{"a" 1}`, `{"a":1,}`, `{,}`, `{"a":1}x`, `{"a":1} {}`, `[1,2]`, `"s"`, `{"a":"\x"}`,
	`{"a":"\u12G4"}`, `{"a":[1,2,]}`, `{"a":[,1]}`, `{"a":{"b":}}`, `{"a"`, `{"a":"b`, `{`, ``, `   `, `{"a":[]}`,
	`{"a":1E+5,"b":0.5e10,"c":-12.75}`, "{\"a\":\"\xff\xfe\"}",
}

func TestObjectMatchesEncodingJSON(t *testing.T) {
	for _, s := range seeds {
		b := []byte(s)
		keys, vals, err := walk(b)
		valid := json.Valid(b) && bytes.HasPrefix(bytes.TrimSpace(b), []byte("{"))
		if (err == nil) != valid {
			t.Errorf("%q: walk error %v, encoding/json says valid=%v", s, err, valid)
			continue
		}
		if !valid {
			continue
		}
		wk, wv := members(t, b)
		if strings.Join(keys, "\x00") != strings.Join(wk, "\x00") || strings.Join(vals, "\x00") != strings.Join(wv, "\x00") {
			t.Errorf("%q: got %q %q, want %q %q", s, keys, vals, wk, wv)
		}
	}
}

func TestValidMatchesEncodingJSON(t *testing.T) {
	for _, s := range append(seeds, `1`, `-0.0e0`, ` null `, `[{"a":[]}]`, `[1 2]`, strings.Repeat("[", 10000)+strings.Repeat("]", 10000),
		strings.Repeat("[", 10001)+strings.Repeat("]", 10001)) {
		if got, want := Valid([]byte(s)), json.Valid([]byte(s)); got != want {
			t.Errorf("Valid(%.40q) = %v, encoding/json says %v", s, got, want)
		}
	}
}

func TestIncomplete(t *testing.T) {
	full := `{"a":[1,"x\u00e9",true,{"b":null}],"c":-1.5e3}`
	for n := 0; n < len(full); n++ {
		_, _, err := Value([]byte(full[:n]), 0)
		if !errors.Is(err, ErrIncomplete) {
			t.Errorf("Value(%q) = %v, want ErrIncomplete", full[:n], err)
		}
	}
	if _, end, err := Value([]byte(full), 0); err != nil || end != len(full) {
		t.Errorf("Value(full) = %d, %v", end, err)
	}
}

func TestArray(t *testing.T) {
	it := Array([]byte(` [ {"a":1} , "x", 3 ] `))
	var got []string
	for it.Next() {
		got = append(got, string(it.Value()))
	}
	if it.Err() != nil || strings.Join(got, "|") != `{"a":1}|"x"|3` {
		t.Errorf("got %q, %v", got, it.Err())
	}
	if it := Array([]byte(`{"a":1}`)); it.Next() || it.Err() == nil {
		t.Error("an object walked as an array")
	}
}

func TestKeyIsAndAppendString(t *testing.T) {
	if !KeyIs([]byte(`"id"`), "id") || !KeyIs([]byte(`"\u0069d"`), "id") || KeyIs([]byte(`"idx"`), "id") {
		t.Error("KeyIs")
	}
	for _, s := range []string{`"plain_key"`, `"<a&b>"`, `"\u0069d"`, `"é"`, `"tab\there"`} {
		var v string
		json.Unmarshal([]byte(s), &v)
		want, _ := json.Marshal(v)
		if got := AppendString(nil, []byte(s)); string(got) != string(want) {
			t.Errorf("AppendString(%s) = %s, want %s", s, got, want)
		}
	}
}

func FuzzObject(f *testing.F) {
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if got, want := Valid(b), json.Valid(b); got != want {
			t.Fatalf("Valid(%q) = %v, encoding/json says %v", b, got, want)
		}
		keys, vals, err := walk(b)
		valid := json.Valid(b) && bytes.HasPrefix(bytes.TrimSpace(b), []byte("{"))
		if (err == nil) != valid {
			t.Fatalf("%q: walk error %v, encoding/json says valid=%v", b, err, valid)
		}
		if !valid {
			return
		}
		wk, wv := members(t, b)
		if strings.Join(keys, "\x00") != strings.Join(wk, "\x00") || strings.Join(vals, "\x00") != strings.Join(wv, "\x00") {
			t.Fatalf("%q: got %q %q, want %q %q", b, keys, vals, wk, wv)
		}
	})
}

func TestAppendCompactMatchesEncodingJSON(t *testing.T) {
	for _, s := range append(seeds, ` [ 1 , { "a b" : "c\" d" } ] `, "\t\"x \\\\\" \n", `{"a":"\\\\"}  `) {
		compareCompact(t, []byte(s))
	}
}

func FuzzAppendCompact(f *testing.F) {
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) { compareCompact(t, b) })
}

func compareCompact(t *testing.T, b []byte) {
	t.Helper()
	var want bytes.Buffer
	wantErr := json.Compact(&want, b)
	got, err := AppendCompact([]byte("prefix"), b)
	if (err == nil) != (wantErr == nil) {
		t.Fatalf("AppendCompact(%q): error %v, json.Compact's %v", b, err, wantErr)
	}
	if err != nil {
		if string(got) != "prefix" {
			t.Fatalf("AppendCompact(%q) failed and changed dst to %q", b, got)
		}
		return
	}
	if string(got) != "prefix"+want.String() {
		t.Fatalf("AppendCompact(%q) = %q, json.Compact gives %q", b, got[6:], want.String())
	}
}
