package register

import (
	"strings"
	"testing"

	"github.com/pskit/pskit/internal/config"
	"github.com/pskit/pskit/plugin"
)

// Whatever a registration holds, its environment name is valid, and two
// different hosts never share one.
func FuzzEnvName(f *testing.F) {
	f.Add("Roster Sync", "https://district.powerschool.com", "district-powerschool.com")
	f.Add("", "", "x")
	f.Add("--..", "http://[::1]:8080/ps", "http://[::1]:8081/ps")
	f.Add("é\x00\x1b", "https://a_b.example", "https://a_5fb.example")
	f.Fuzz(func(t *testing.T, pluginName, url1, host2 string) {
		n1 := EnvName("", plugin.RegistrationRequest{PluginName: pluginName, ServerURL: url1})
		if err := config.ValidateName(n1); err != nil {
			t.Fatalf("EnvName(%q, %q) = %q: %v", pluginName, url1, n1, err)
		}
		h1 := hostOf(url1)
		n2 := EnvName("", plugin.RegistrationRequest{PluginName: pluginName, ServerURL: "https://" + host2})
		if n1 == n2 && len(n1) < 64 && !equalFoldHost(h1, hostOf("https://"+host2)) {
			t.Fatalf("hosts %q and %q share the name %q", h1, host2, n1)
		}
	})
}

func hostOf(u string) string {
	if i := strings.Index(u, "://"); i >= 0 {
		u = u[i+3:]
	}
	h, _, _ := strings.Cut(u, "/")
	return h
}

func equalFoldHost(a, b string) bool { return strings.EqualFold(a, b) }
