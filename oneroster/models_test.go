package oneroster

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// Lenient decoding: date or date-time, numbers as strings, GUIDRefs with or
// without href/type, booleans as strings, comma lists; raw JSON and
// metadata stay reachable.
func TestLenientDecoding(t *testing.T) {
	raw := json.RawMessage(`{"sourcedId":"r1","status":"active","dateLastModified":"2024-05-01T12:00:00Z",
		"metadata":{"scoreType":"POINTS","vendor":{"x":1}},
		"lineItem":{"href":"~/ims/oneroster/v1p1/lineItems/li1","sourcedId":"li1","type":"lineItem"},
		"student":{"sourcedId":"s1"},"scoreStatus":"fully graded","score":"9.5",
		"scoreDate":"2024-05-01T12:00:00.000Z","comment":"","extraVendorField":true}`)
	r, err := decodeItem[Result](raw)
	if err != nil {
		t.Fatal(err)
	}
	if r.Score != 9.5 || r.LineItem.Type != "lineItem" || r.Student.SourcedID != "s1" || r.Student.Href != "" {
		t.Errorf("result = %+v", r)
	}
	if got := r.ScoreDate.Format("2006-01-02"); got != "2024-05-01" {
		t.Errorf("scoreDate = %s", got)
	}
	if r.Metadata["scoreType"] != "POINTS" {
		t.Errorf("metadata = %v", r.Metadata)
	}
	if string(r.Raw()) != string(raw) {
		t.Error("Raw() is not the record as received")
	}

	for _, tc := range []struct{ in, want string }{
		{`"2024-05-01"`, "2024-05-01T00:00:00Z"},
		{`"2024-05-01T12:00:00.000Z"`, "2024-05-01T12:00:00Z"},
		{`"2024-05-01T12:00:00"`, "2024-05-01T12:00:00Z"},
		{`"2024-05-01T14:00:00+02:00"`, "2024-05-01T12:00:00Z"},
		{`"2024-05-01 12:00:00"`, "2024-05-01T12:00:00Z"},
		{`null`, "0001-01-01T00:00:00Z"},
		{`""`, "0001-01-01T00:00:00Z"},
	} {
		var d DateTime
		if err := json.Unmarshal([]byte(tc.in), &d); err != nil {
			t.Errorf("%s: %v", tc.in, err)
			continue
		}
		if got := d.UTC().Format(time.RFC3339); got != tc.want {
			t.Errorf("%s -> %s, want %s", tc.in, got, tc.want)
		}
	}
	var d DateTime
	if err := json.Unmarshal([]byte(`"May 1st"`), &d); err == nil {
		t.Error("nonsense date accepted")
	}

	li, err := decodeItem[LineItem](json.RawMessage(`{"sourcedId":"li","title":"T","resultValueMin":"0","resultValueMax":"100","assignDate":"2024-05-01","class":{"sourcedId":"c"}}`))
	if err != nil || li.ResultValueMax != 100 || li.AssignDate.IsZero() {
		t.Errorf("lineItem = %+v, %v", li, err)
	}
	var n Number
	if err := json.Unmarshal([]byte(`"ten"`), &n); err == nil {
		t.Error("non-numeric string accepted as a number")
	}
	u, err := decodeItem[User](json.RawMessage(`{"sourcedId":"u","enabledUser":"true","identifier":12345,"grades":"09,10","orgs":[{"sourcedId":"o"}]}`))
	if err != nil || !bool(u.EnabledUser) || u.Identifier != "12345" || !cmp.Equal([]string(u.Grades), []string{"09", "10"}) {
		t.Errorf("user = %+v, %v", u, err)
	}
}

// The PUT bodies have the shape of Google's 1.1 notebook: dates as the
// binding wants them, zero references and optional fields left out, zero
// scores and minimums kept.
func TestPutBodyShape(t *testing.T) {
	li := LineItem{
		Base:       Base{SourcedID: "li1"},
		Title:      "Quiz",
		AssignDate: NewDateTime(time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)),
		DueDate:    NewDateTime(time.Date(2024, 5, 8, 12, 0, 0, 0, time.FixedZone("x", 3600))),
		Class:      Ref("c1"),
		// ResultValueMin 0 must still be sent.
		ResultValueMax: 10,
	}
	got, _ := json.Marshal(map[string]any{"lineItem": li})
	want := `{"lineItem":{"sourcedId":"li1","title":"Quiz","assignDate":"2024-05-01T12:00:00.000Z","dueDate":"2024-05-08T11:00:00.000Z","class":{"sourcedId":"c1"},"resultValueMin":0,"resultValueMax":10}}`
	if string(got) != want {
		t.Errorf("lineItem body\n got %s\nwant %s", got, want)
	}
	r := Result{Base: Base{SourcedID: "r1"}, LineItem: Ref("li1"), Student: Ref("s1"), ScoreStatus: ScoreNotSubmitted, ScoreDate: NewDate(2024, 5, 1)}
	got, _ = json.Marshal(r)
	want = `{"sourcedId":"r1","lineItem":{"sourcedId":"li1"},"student":{"sourcedId":"s1"},"scoreStatus":"not submitted","score":0,"scoreDate":"2024-05-01"}`
	if string(got) != want {
		t.Errorf("result body\n got %s\nwant %s", got, want)
	}
}
