package gradebook

import (
	"reflect"
	"testing"
)

func TestParseFilter(t *testing.T) {
	cases := []struct {
		in   string
		want filter
	}{
		{"familyName='jones'", filter{Clauses: []clause{{"familyName", "=", "jones"}}}},
		{"dateLastModified>'2015-01-01'", filter{Clauses: []clause{{"dateLastModified", ">", "2015-01-01"}}}},
		{"a!='x' AND b>='2'", filter{Clauses: []clause{{"a", "!=", "x"}, {"b", ">=", "2"}}}},
		{"a<='1' OR b~'o'", filter{Clauses: []clause{{"a", "<=", "1"}, {"b", "~", "o"}}, Or: true}},
		{"title='it's' OR title='x'", filter{Clauses: []clause{{"title", "=", "it's"}, {"title", "=", "x"}}, Or: true}},
		{"title='a AND b'", filter{Clauses: []clause{{"title", "=", "a AND b"}}}},
		{"class.sourcedId=''", filter{Clauses: []clause{{"class.sourcedId", "=", ""}}}},
	}
	for _, c := range cases {
		got, err := parseFilter(c.in)
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("parseFilter(%q) = %+v, %v; want %+v", c.in, got, err, c.want)
		}
		if got.String() != c.in {
			t.Errorf("String() = %q, want %q", got.String(), c.in)
		}
	}
	for _, bad := range []string{"", "familyName", "familyName=jones", "='x'", "a='x", "a='x' AND", "a='1' AND b='2' OR c='3'", "a b='1'", "a.='1'", "a^='1'"} {
		if f, err := parseFilter(bad); err == nil {
			t.Errorf("parseFilter(%q) = %+v, want an error", bad, f)
		}
	}
}

func TestFilterMatch(t *testing.T) {
	rec := record{"sourcedId": "1", "score": 80.0, "grades": []string{"09", "10"},
		"class": record{"sourcedId": "701"}, "orgs": []record{{"sourcedId": "1"}, {"sourcedId": "2"}}, "title": "Quiz One"}
	for in, want := range map[string]bool{
		"score>'79.5'": true, "score>'100'": false, "score='80'": true,
		"grades='10'": true, "grades!='10'": false, "grades!='11'": true,
		"class.sourcedId='701'": true, "class='701'": true, "orgs.sourcedId='2'": true,
		"title~'one'": true, "title='quiz one'": true, "missing=''": true, "missing!=''": false,
		"score<'50' OR title~'quiz'": true, "score<'50' AND title~'quiz'": false,
	} {
		f, err := parseFilter(in)
		if err != nil {
			t.Fatal(err)
		}
		if got := f.match(rec); got != want {
			t.Errorf("%s matched %v, want %v", in, got, want)
		}
	}
}

// FuzzParseFilter checks the parser never panics and that what it accepts
// writes back to a filter that parses the same.
func FuzzParseFilter(f *testing.F) {
	for _, s := range []string{"familyName='jones'", "a='1' AND b!='2'", "x~'it''s' OR y>='3'"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := parseFilter(s)
		if err != nil {
			return
		}
		again, err := parseFilter(got.String())
		if err != nil {
			t.Fatalf("%q parsed to %+v, whose String %q does not parse: %v", s, got, got.String(), err)
		}
		if !reflect.DeepEqual(got, again) {
			t.Fatalf("%q: %+v re-parses as %+v", s, got, again)
		}
		got.match(record{"a": "1", "b": []string{"x"}, "c": record{"sourcedId": "z"}})
	})
}
