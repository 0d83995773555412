package env

import (
	"strings"
	"testing"
)

// FuzzParseImport feeds credentials files (Postman environments, emulator
// credentials JSON, pasted text) to ParseImport: it must never panic, every
// refusal names the file, and what it accepts has all three values.
func FuzzParseImport(f *testing.F) {
	f.Add([]byte(`{"name":"District","values":[{"key":"psURL","value":"https://ps.example.org"},{"key":"psClientID","value":"id"},{"key":"psClientSecret","value":"s3cret","type":"secret"}]}`))
	f.Add([]byte(`{"url":"http://127.0.0.1:8080","client_id":"abc","client_secret":"def","plugin_id":1}`))
	f.Add([]byte("Plugin Registration\nServer URL: https://ps.example.org\nClient ID: abc\nClient Secret: def\n"))
	f.Add([]byte(`{"values":[{"key":"psURL","value":12},{"key":"psClientSecret","value":null}]}`))
	f.Add([]byte(`{"values":"nope"}`))
	f.Add([]byte("Client Secret:\n\x00\xff"))
	f.Add([]byte("{"))
	f.Fuzz(func(t *testing.T, data []byte) {
		im, err := ParseImport(data, "fuzz.json")
		if err != nil {
			if !strings.Contains(err.Error(), "fuzz.json") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		if im.URL == "" || im.ClientID == "" || im.Secret == "" {
			t.Fatalf("accepted an incomplete file: %+v", im)
		}
	})
}
