package emulator

import "testing"

// TestErrorDialectsOnTheWire pins the exact bytes, status and content type
// of one failure in each error dialect, over plain HTTP: /ws/v1, /ws/schema,
// /ws/xte and OneRoster's imsx status.
func TestErrorDialectsOnTheWire(t *testing.T) {
	s, c := start(t, Options{Students: 20})
	tok := token(t, c)
	cases := []struct {
		name, path  string
		status      int
		contentType string
		body        string
	}{
		{"v1 not found", "/ws/v1/student/abc", 404, "application/json;charset=UTF-8",
			`{"message":"no student with id abc"}`},
		{"v1 bad request", "/ws/v1/district/student?page=0", 400, "application/json;charset=UTF-8",
			`{"message":"page must be a whole number from 1, got \"0\""}`},
		{"v1 unknown path", "/ws/v1/nothing", 404, "application/json;charset=UTF-8",
			`{"message":"no resource at /ws/v1/nothing"}`},
		{"schema", "/ws/schema/table/nosuch", 404, "application/json",
			`{"message":"table \"nosuch\" not found: the table API serves extension tables (U_*, *COREFIELDS) and the core tables; list them with GET /ws/schema/table"}` + "\n"},
		{"xte", "/ws/xte/nothing", 404, "application/json",
			`{"message":"No /ws/xte endpoint at /ws/xte/nothing; the emulator serves teacher_category, section/assignment and score"}` + "\n"},
		{"oneroster", "/ims/oneroster/v1p1/nothing", 404, "application/json",
			`{"statusInfoSet":[{"imsx_codeMajor":"failure","imsx_severity":"error","imsx_description":"no OneRoster 1.1 endpoint at /nothing","imsx_CodeMinor":{"imsx_codeMinorField":[{"imsx_codeMinorFieldName":"TargetEndSystem","imsx_codeMinorFieldValue":"unknownobject"}]}}]}` + "\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := get(t, s.URL(), tc.path, tok)
			if a.status != tc.status || a.header.Get("Content-Type") != tc.contentType || string(a.body) != tc.body {
				t.Errorf("GET %s: %d %q %q\nwant %d %q %q", tc.path, a.status, a.header.Get("Content-Type"), a.body, tc.status, tc.contentType, tc.body)
			}
		})
	}
}
