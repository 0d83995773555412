package fiql

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseV1(t *testing.T) {
	for _, tc := range []struct {
		q    string
		want []Condition
	}{
		{"name.last_name==JA*", []Condition{{Selector: "name.last_name", Op: Eq, Values: []string{"JA*"}}}},
		{"school_enrollment.enroll_status==A;name.last_name==JA*", []Condition{
			{Selector: "school_enrollment.enroll_status", Op: Eq, Values: []string{"A"}}, {Selector: "name.last_name", Op: Eq, Values: []string{"JA*"}}}},
		{"school_enrollment.entry_date=gt=2017-08-01", []Condition{{Selector: "school_enrollment.entry_date", Op: Gt, Values: []string{"2017-08-01"}}}},
		{"local_id=ge=5;local_id=le=9;local_id=lt=8", []Condition{{Selector: "local_id", Op: Ge, Values: []string{"5"}}, {Selector: "local_id", Op: Le, Values: []string{"9"}}, {Selector: "local_id", Op: Lt, Values: []string{"8"}}}},
		{"school_enrollment.enroll_status==(A,P)", []Condition{{Selector: "school_enrollment.enroll_status", Op: Eq, Values: []string{"A", "P"}}}},
		{"school_enrollment.enroll_status_code==0;student_username==t*", []Condition{
			{Selector: "school_enrollment.enroll_status_code", Op: Eq, Values: []string{"0"}}, {Selector: "student_username", Op: Eq, Values: []string{"t*"}}}},
		{"name.last_name==O'Neil-Smith Jr", []Condition{{Selector: "name.last_name", Op: Eq, Values: []string{"O'Neil-Smith Jr"}}}},
	} {
		got, err := V1.Parse(tc.q)
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.q, err)
			continue
		}
		if d := cmp.Diff(tc.want, got); d != "" {
			t.Errorf("Parse(%q) (-want +got):\n%s", tc.q, d)
		}
	}
}

func TestParseErrorsV1(t *testing.T) {
	for _, tc := range []struct{ q, msg string }{
		{"", "empty"},
		{"name.last_name", "expected an operator"},
		{"name.last_name=JA", "expected an operator"},
		{"name.last_name!=JA", "expected an operator"},
		{"name.last_name==", "has no value"},
		{"==JA", "expected a field name"},
		{"a==1;", "empty condition"},
		{"a==1;;b==2", "empty condition"},
		{"status=gt=(A,P)", "needs =="},
		{"status==(A,P", "not closed"},
		{"status==(A,,P)", "value 2 of the list is empty"},
		{"status==((A))", "nested"},
		{"status==A)", "parentheses"},
		{".a==1", "malformed"},
		{strings.Repeat("a", V1.MaxLen+1), "longer than"},
	} {
		_, err := V1.Parse(tc.q)
		var e *SyntaxError
		if !errors.As(err, &e) {
			t.Errorf("Parse(%q) = %v, want *SyntaxError", tc.q, err)
			continue
		}
		if !strings.Contains(e.Error(), tc.msg) {
			t.Errorf("Parse(%q) error %q does not mention %q", tc.q, e.Error(), tc.msg)
		}
	}
}

func TestLike(t *testing.T) {
	for in, want := range map[string]string{"JA*": "JA%", "*a_b%*": `%a\_b\%%`, `x\y`: `x\\y`} {
		if got := Like(in); got != want {
			t.Errorf("Like(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzParseV1(f *testing.F) {
	for _, s := range []string{"name.last_name==JA*", "a==(A,P);b=ge=2", "a==1;;", "((", "x=lt="} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		cs, err := V1.Parse(q)
		if err != nil {
			var e *SyntaxError
			if !errors.As(err, &e) || e.Msg == "" {
				t.Fatalf("Parse(%q) returned %v, want a *SyntaxError with a message", q, err)
			}
			return
		}
		if len(cs) == 0 {
			t.Fatalf("Parse(%q) accepted the expression but returned no criteria", q)
		}
		for _, c := range cs {
			if c.Selector == "" || len(c.Values) == 0 {
				t.Fatalf("Parse(%q) gave an incomplete criterion %+v", q, c)
			}
			for _, v := range c.Values {
				if v == "" {
					t.Fatalf("Parse(%q) gave an empty value in %+v", q, c)
				}
			}
		}
	})
}
