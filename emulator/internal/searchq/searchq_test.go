package searchq

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		q    string
		want []Criterion
	}{
		{"name.last_name==JA*", []Criterion{{"name.last_name", Eq, []string{"JA*"}}}},
		{"school_enrollment.enroll_status==A;name.last_name==JA*", []Criterion{
			{"school_enrollment.enroll_status", Eq, []string{"A"}}, {"name.last_name", Eq, []string{"JA*"}}}},
		{"school_enrollment.entry_date=gt=2017-08-01", []Criterion{{"school_enrollment.entry_date", Gt, []string{"2017-08-01"}}}},
		{"local_id=ge=5;local_id=le=9;local_id=lt=8", []Criterion{{"local_id", Ge, []string{"5"}}, {"local_id", Le, []string{"9"}}, {"local_id", Lt, []string{"8"}}}},
		{"school_enrollment.enroll_status==(A,P)", []Criterion{{"school_enrollment.enroll_status", Eq, []string{"A", "P"}}}},
		{"school_enrollment.enroll_status_code==0;student_username==t*", []Criterion{
			{"school_enrollment.enroll_status_code", Eq, []string{"0"}}, {"student_username", Eq, []string{"t*"}}}},
		{"name.last_name==O'Neil-Smith Jr", []Criterion{{"name.last_name", Eq, []string{"O'Neil-Smith Jr"}}}},
	} {
		got, err := Parse(tc.q)
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.q, err)
			continue
		}
		if d := cmp.Diff(tc.want, got); d != "" {
			t.Errorf("Parse(%q) (-want +got):\n%s", tc.q, d)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ q, msg string }{
		{"", "empty"},
		{"name.last_name", "expected an operator"},
		{"name.last_name=JA", "expected an operator"},
		{"name.last_name!=JA", "expected an operator"},
		{"name.last_name==", "has no value"},
		{"==JA", "expected a field name"},
		{"a==1;", "empty criterion"},
		{"a==1;;b==2", "empty criterion"},
		{"status=gt=(A,P)", "needs =="},
		{"status==(A,P", "not closed"},
		{"status==(A,,P)", "value 2 of the list is empty"},
		{"status==((A))", "nested"},
		{"status==A)", "parentheses"},
		{".a==1", "malformed"},
		{strings.Repeat("a", MaxLen+1), "longer than"},
	} {
		_, err := Parse(tc.q)
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("Parse(%q) = %v, want *Error", tc.q, err)
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

func FuzzParse(f *testing.F) {
	for _, s := range []string{"name.last_name==JA*", "a==(A,P);b=ge=2", "a==1;;", "((", "x=lt="} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		cs, err := Parse(q)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Msg == "" {
				t.Fatalf("Parse(%q) returned %v, want a *Error with a message", q, err)
			}
			return
		}
		if len(cs) == 0 {
			t.Fatalf("Parse(%q) accepted the expression but returned no criteria", q)
		}
		for _, c := range cs {
			if c.Field == "" || len(c.Values) == 0 {
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
