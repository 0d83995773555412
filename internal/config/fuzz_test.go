package config

import (
	"strings"
	"testing"
)

// FuzzParse checks that no input crashes the parser and that every error
// names the file, so the user knows what to fix.
func FuzzParse(f *testing.F) {
	f.Add([]byte("current: dev\nenvironments:\n  dev:\n    url: https://dev.example\n    client_id: abc\n    secret_store: keyring\n"))
	f.Add([]byte("environments:\n  dev: {url: 'x', client_id: y, read_only: true}\n"))
	f.Add([]byte("::::\n\t- ["))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse(data, "fuzz.yml")
		if err != nil {
			if !strings.Contains(err.Error(), "fuzz.yml") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		for name, env := range cfg.Environments {
			if ValidateName(name) != nil || env == nil || env.URL == "" || env.ClientID == "" {
				t.Fatalf("Parse accepted an invalid environment %q: %+v", name, env)
			}
		}
	})
}
