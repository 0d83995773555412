package env

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseImport(t *testing.T) {
	tests := []struct {
		name, data string
		want       Imported
	}{
		{"postman", `{"id":"x","name":"Springfield Prod","values":[
			{"key":"psURL","value":"https://springfield.powerschool.com","enabled":true},
			{"key":"psClientID","value":"99702fda-963e-4494-9276-94dfca726669","enabled":true},
			{"key":"psClientSecret","value":"365301c4-4562-4d32-9ab0-2ad05c8952eb","enabled":true},
			{"key":"psToken","value":"","enabled":true}],"_postman_variable_scope":"environment"}`,
			Imported{Name: "Springfield Prod", URL: "https://springfield.powerschool.com", ClientID: "99702fda-963e-4494-9276-94dfca726669", Secret: "365301c4-4562-4d32-9ab0-2ad05c8952eb", Kind: "Postman environment"}},
		{"emulator credentials", `{"url":"http://127.0.0.1:8080","client_id":"a","client_secret":"b","plugin_id":3}`,
			Imported{URL: "http://127.0.0.1:8080", ClientID: "a", Secret: "b", Kind: "credentials JSON"}},
		{"copied text", "Plugin: My Sync\r\nServer URL: https://ps.example.org\r\nClient ID: c7857b6c\r\nClient Secret: 365301c4\r\n",
			Imported{URL: "https://ps.example.org", ClientID: "c7857b6c", Secret: "365301c4", Kind: "text"}},
		{"labels on their own lines, bare URL", "https://ps.example.org/\n\nClient ID\n  abc  \nClient Secret\n\"def\"\n",
			Imported{URL: "https://ps.example.org/", ClientID: "abc", Secret: "def", Kind: "text"}},
		{"shell variables", "export PS_URL=https://ps.example.org\nexport PS_CLIENT_ID='i'\nexport PS_CLIENT_SECRET=\"s\"\n",
			Imported{URL: "https://ps.example.org", ClientID: "i", Secret: "s", Kind: "text"}},
		{"tab separated", "Client ID\tx1\nClient Secret\tx2\nURL\thttps://a.example\n",
			Imported{URL: "https://a.example", ClientID: "x1", Secret: "x2", Kind: "text"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseImport([]byte(tt.data), "f")
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, *got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseImportMissing(t *testing.T) {
	tests := []struct {
		name, data string
		want       []string
		not        []string
	}{
		{"postman without secret", `{"name":"x","values":[{"key":"psURL","value":"https://a"},{"key":"psClientID","value":"id"},{"key":"psClientSecret","value":""}]}`,
			[]string{"env.json", "client secret", "psClientSecret"}, []string{"psURL", "psClientID"}},
		{"text without URL and ID", "Client Secret: s\n", []string{"server URL", "client ID", `"Client ID: ..."`}, []string{"client secret ("}},
		{"not JSON", `{"values": [`, []string{"not valid JSON"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseImport([]byte(tt.data), "env.json")
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(err.Error(), n) {
					t.Errorf("error %q names %q, which is present", err, n)
				}
			}
		})
	}
}

func TestSuggestName(t *testing.T) {
	for in, want := range map[string]string{"Springfield Prod": "springfield-prod", "ps (staging)": "ps-staging", "": "", "***": ""} {
		if got := suggestName(in); got != want {
			t.Errorf("suggestName(%q) = %q, want %q", in, got, want)
		}
	}
}
