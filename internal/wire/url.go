package wire

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
)

// IsLoopback reports whether host (without port) names this machine:
// 127.0.0.0/8, ::1, "localhost" or any "*.localhost" name (RFC 6761),
// compared without regard to case.
func IsLoopback(host string) bool {
	h := strings.ToLower(strings.TrimSuffix(host, "."))
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(h, "[]"))
	return ip != nil && ip.IsLoopback()
}

// CheckURL parses an absolute http(s) URL that will receive credentials. It
// refuses user info, a query or a fragment, and plain http to a host other
// than loopback unless insecure is true. what names the URL in errors
// ("server", "token"). The path loses its trailing slash.
func CheckURL(what, raw string, insecure bool) (*url.URL, error) {
	if strings.TrimSpace(raw) == "" {
		return nil, fmt.Errorf("no %s URL; give one of the form https://district.example.org", what)
	}
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("%s URL %q is not an absolute http(s) URL; use the form https://district.example.org", what, Truncate(raw, 200))
	}
	if u.User != nil {
		return nil, fmt.Errorf("the %s URL must not carry user info: pass credentials with their own option", what)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("the %s URL %s must not have a query or a fragment", what, WithoutQuery(u))
	}
	if u.Scheme == "http" && !insecure && !IsLoopback(u.Hostname()) {
		return nil, fmt.Errorf("refusing plain http to %s: the client secret and tokens would cross the network unencrypted; use https, or WithInsecureHTTP() on a trusted test network", u.Host)
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return u, nil
}

// WithoutQuery is u as text without user info, query or fragment: what an
// error may show of a request URL (a query can hold names and birth dates).
func WithoutQuery(u *url.URL) string {
	if u == nil {
		return ""
	}
	c := *u
	c.User, c.RawQuery, c.ForceQuery, c.Fragment, c.RawFragment = nil, "", false, "", ""
	return c.String()
}

// ErrUnsafePath is wrapped by CleanPath's errors.
var ErrUnsafePath = errors.New("unsafe request path")

// CleanPath resolves "." and ".." segments, also when they are
// percent-encoded (%2e%2e), and refuses a path that climbs above the root.
// A read-only check must look at the cleaned path: a server that
// normalises paths would route /ws/schema/query/../../v1/student to a write.
func CleanPath(p string) (string, error) {
	dec, err := url.PathUnescape(p)
	if err != nil {
		return "", fmt.Errorf("%w: %q is not a valid escaped path: %v", ErrUnsafePath, Truncate(p, 200), err)
	}
	if strings.ContainsAny(dec, "\x00?#\\") {
		return "", fmt.Errorf("%w: %q holds a NUL, '?', '#' or '\\'; pass the query separately", ErrUnsafePath, Truncate(p, 200))
	}
	if !strings.HasPrefix(dec, "/") {
		dec = "/" + dec
	}
	depth := 0
	for _, seg := range strings.Split(dec, "/") {
		switch seg {
		case "", ".":
		case "..":
			depth--
			if depth < 0 {
				return "", fmt.Errorf("%w: %q climbs above the server's root", ErrUnsafePath, Truncate(p, 200))
			}
		default:
			depth++
		}
	}
	clean := pathClean(dec)
	if strings.HasSuffix(dec, "/") && clean != "/" {
		clean += "/"
	}
	return clean, nil
}
