package emulator

import (
	"mime"
	"net"
	"net/http"
	"strings"

	"github.com/pskit/pskit/plugin"
)

// guard keeps web pages in the user's browser away from the emulator: a
// Host that is not a loopback address (a DNS-rebinding name) is refused
// unless remote access is on, and writes from another origin are refused
// (net/http's CrossOriginProtection: Sec-Fetch-Site, else Origin against
// Host). Clients that are not browsers send neither header and pass.
func (s *Server) guard(next http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusForbidden, "cross-origin request refused: the emulator accepts writes only from its own pages and from clients that are not browsers (Origin "+r.Header.Get("Origin")+")")
	}))
	checked := cop.Handler(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.opts.AllowRemote && !loopbackHost(r.Host) {
			writeError(w, http.StatusMisdirectedRequest, "the emulator answers only to a loopback address (127.0.0.1, [::1] or localhost), not to Host "+r.Host+"; use the URL psctl emulator printed")
			return
		}
		// A backstop for every handler: none reads more than the largest
		// body any of them accepts (a plugin upload); each has its own,
		// smaller limit too.
		r.Body = http.MaxBytesReader(w, r.Body, maxRequestBody)
		checked.ServeHTTP(w, r)
	})
}

// maxRequestBody is the largest body the emulator reads: a plugin upload
// through the admin pages, with its multipart framing.
const maxRequestBody = plugin.MaxBundleSize + 1<<20

// loopbackHost reports a Host header naming this machine by a loopback IP
// or "localhost".
func loopbackHost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.Trim(host, "[]"), ".")
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// pluginTypes are the content types a plugin upload may carry.
var pluginTypes = map[string]bool{
	"application/zip": true, "application/x-zip-compressed": true, "application/octet-stream": true,
	"application/xml": true, "text/xml": true,
}

// writeTypeOK reports whether a write to the control surface says what it
// carries in a way a cross-site form or simple fetch cannot: JSON (a zip or
// XML for a plugin upload), or the admin key header. Browsers send such
// requests only after a CORS preflight, which the emulator never grants.
func writeTypeOK(r *http.Request, upload bool) bool {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return true
	}
	if r.Header.Get(AdminKeyHeader) != "" {
		return true
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil {
		return false
	}
	if upload {
		return pluginTypes[mt]
	}
	return mt == "application/json"
}
