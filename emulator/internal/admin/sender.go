package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/pskit/pskit/plugin"
)

// RegistrationResult is the vendor's answer to a Registration Request.
type RegistrationResult struct {
	StatusCode int
	// Reply is the decoded JSON answer, when the vendor sent one.
	Reply plugin.RegistrationReply
	// Body is the start of a non-JSON answer, as text.
	Body string
}

// Accepted reports a 2xx answer, which means the vendor took the
// registration.
func (r RegistrationResult) Accepted() bool { return r.StatusCode >= 200 && r.StatusCode < 300 }

// HTTPSender POSTs the Registration Request as JSON (plugin.RegistrationRequest,
// the one definition of the payload). It sends to https:// URLs, and to
// http:// only on a loopback host, so a local `psctl register listen` can
// be used without a certificate while credentials never cross a network
// in clear text. Redirects are not followed: the credentials go only to
// the URL in plugin.xml.
type HTTPSender struct {
	// Client is the HTTP client (nil: a client with no redirects). Its
	// CheckRedirect is replaced so that redirects are never followed.
	Client *http.Client
	// Timeout bounds the whole exchange (default 15 seconds).
	Timeout time.Duration
}

const maxReplySize = 16 << 10

// Send delivers req to target.
func (s *HTTPSender) Send(ctx context.Context, target string, req plugin.RegistrationRequest) (RegistrationResult, error) {
	u, err := CheckRegistrationURL(target)
	if err != nil {
		return RegistrationResult{}, err
	}
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = 15 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	body, err := json.Marshal(req)
	if err != nil {
		return RegistrationResult{}, fmt.Errorf("encoding the registration request: %v", err)
	}
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		return RegistrationResult{}, fmt.Errorf("registration URL %s: %v", u.Redacted(), err)
	}
	hreq.Header.Set("Content-Type", plugin.RegistrationContentType)
	hreq.Header.Set("Accept", "application/json")
	client := http.Client{}
	if s.Client != nil {
		client = *s.Client
	}
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := client.Do(hreq)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return RegistrationResult{}, fmt.Errorf("the registration server at %s did not answer within %s; check that it is running and reachable, or press Cancel and hand the credentials over manually", u.Redacted(), timeout)
		}
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return RegistrationResult{}, fmt.Errorf("could not reach the registration server at %s: %v; check that it is running, or press Cancel and hand the credentials over manually", u.Redacted(), err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxReplySize))
	if err != nil {
		return RegistrationResult{}, fmt.Errorf("reading the answer of %s: %v", u.Redacted(), err)
	}
	res := RegistrationResult{StatusCode: resp.StatusCode}
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if mt == "application/json" && json.Unmarshal(data, &res.Reply) == nil {
		return res, nil
	}
	res.Body = printable(data)
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		res.Body = "redirect to " + resp.Header.Get("Location") + " (not followed: credentials are sent only to the registration URL itself)"
	}
	return res, nil
}

// CheckRegistrationURL parses a <registration url> and applies the
// emulator's rule: https anywhere, http only to a loopback host.
func CheckRegistrationURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("registration URL %q is not an absolute URL; fix <registration url> in plugin.xml", raw)
	}
	if u.User != nil {
		return nil, fmt.Errorf("registration URL %s must not contain a user name or password", u.Redacted())
	}
	switch u.Scheme {
	case "https":
		return u, nil
	case "http":
		if IsLoopbackHost(u.Hostname()) {
			return u, nil
		}
		return nil, fmt.Errorf("registration URL %s uses http:// on a non-loopback host; credentials are sent over http only to 127.0.0.1, ::1 or localhost, so use https://", u.Redacted())
	}
	return nil, fmt.Errorf("registration URL %s must use https:// (or http:// on loopback)", u.Redacted())
}

// IsLoopbackHost reports whether host is localhost or a loopback IP.
func IsLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// printable keeps a reply displayable: valid UTF-8, at most 500 characters.
func printable(b []byte) string {
	s := strings.ToValidUTF8(string(b), "?")
	if utf8.RuneCountInString(s) > 500 {
		s = string([]rune(s)[:500]) + "…"
	}
	return strings.TrimSpace(s)
}
