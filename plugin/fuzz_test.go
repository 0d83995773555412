package plugin

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// The seed corpora live in testdata/fuzz/<FuzzName>; plain `go test` runs
// them. `go test -fuzz=FuzzParse ./plugin` explores further.

func FuzzParse(f *testing.F) {
	f.Add([]byte(validDoc))
	f.Add([]byte(minimalXML))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse(data)
		if err != nil {
			return
		}
		p.Validate()
		out, err := Marshal(p)
		if err != nil {
			t.Fatalf("Marshal of a parsed plugin failed: %v", err)
		}
		p2, err := Parse(out)
		if err != nil {
			t.Fatalf("re-parse of Marshal output failed: %v\n%s", err, out)
		}
		out2, err := Marshal(p2)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out, out2) {
			t.Fatalf("Marshal is not stable:\n%s\n---\n%s", out, out2)
		}
	})
}

func FuzzLoad(f *testing.F) {
	f.Add([]byte(minimalXML))
	f.Add(zipOf(f, "plugin.xml", minimalXML, "queries_root/a.named_queries.xml", `<queries><query name="a.b.c.d.e"><sql>select 1 from dual</sql></query></queries>`))
	f.Add(zipOf(f, "x/plugin.xml", minimalXML))
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := Load(data)
		if err != nil {
			return
		}
		if b.Plugin == nil || b.Files == nil {
			t.Fatalf("Load succeeded with an incomplete bundle: %+v", b)
		}
		b.Validate()
		for name := range b.Files {
			if strings.HasPrefix(name, "/") || strings.HasPrefix(name, "../") || strings.Contains(name, "/../") {
				t.Fatalf("kept an unsafe path %q", name)
			}
		}
	})
}

func FuzzDecodeRegistrationRequest(f *testing.F) {
	good, _ := json.Marshal(validRegistration())
	f.Add(good)
	f.Add([]byte(`{"plugin_id":17}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := DecodeRegistrationRequest(bytes.NewReader(data))
		if err != nil {
			return
		}
		verr := r.Validate()
		if len(r.ClientSecret) >= 12 {
			others := r.ServerURL + r.PluginName + r.PluginVersion + r.PluginID + r.ClientID + r.CallbackData
			if !strings.Contains(others, r.ClientSecret) {
				for _, s := range []string{fmt.Sprintf("%v", r), fmt.Sprintf("%#v", r), fmt.Sprintf("%+v", r)} {
					if strings.Contains(s, r.ClientSecret) {
						t.Fatalf("formatting leaks the secret: %s", s)
					}
				}
				if verr != nil && strings.Contains(verr.Error(), r.ClientSecret) {
					t.Fatalf("Validate leaks the secret: %v", verr)
				}
			}
		}
		again, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		r2, err := DecodeRegistrationRequest(bytes.NewReader(again))
		if err != nil {
			t.Fatalf("re-decode: %v", err)
		}
		if r2.String() != r.String() || r2.ClientSecret != r.ClientSecret {
			t.Fatalf("JSON round trip changed the request: %v vs %v", r, r2)
		}
	})
}

func FuzzFieldsFromError(f *testing.F) {
	f.Add([]byte("No access to the field STUDENTS.SSN"))
	f.Add([]byte(`{"message":"Forbidden","errors":[{"resource":"STUDENTS","field":"SSN","code":"x"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		fields, err := FieldsFromError(data)
		if err != nil {
			if len(fields) != 0 {
				t.Fatal("fields returned with an error")
			}
			return
		}
		if len(fields) == 0 {
			t.Fatal("no error and no fields")
		}
		for _, fl := range fields {
			if !identifier.MatchString(fl.Table) || !identifier.MatchString(fl.Field) || (fl.Access != ViewOnly && fl.Access != FullAccess) {
				t.Fatalf("bad field %+v", fl)
			}
		}
	})
}
