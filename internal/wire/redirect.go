package wire

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// ErrRedirectRefused is wrapped by the error of a redirect that the policy
// refused. Such a request is not retried.
var ErrRedirectRefused = errors.New("redirect refused")

// maxRedirects is how many redirects one request may follow.
const maxRedirects = 5

// SameOrigin is a CheckRedirect that follows a redirect only to base's
// scheme and host (port included), so credentials added to every request
// never reach another server or cross the network in clear text.
func SameOrigin(base *url.URL) func(*http.Request, []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		if len(via) >= maxRedirects {
			return fmt.Errorf("%w: stopped after %d redirects", ErrRedirectRefused, maxRedirects)
		}
		if !strings.EqualFold(req.URL.Scheme, base.Scheme) || !strings.EqualFold(req.URL.Host, base.Host) {
			return fmt.Errorf("%w: the server redirected to %s://%s, which is not %s://%s, and the request carries credentials; check the server URL", ErrRedirectRefused, req.URL.Scheme, req.URL.Host, base.Scheme, base.Host)
		}
		return nil
	}
}

// NoRedirect is the token request's CheckRedirect: the client ID and secret
// are sent to the token URL as configured and nowhere else.
func NoRedirect(req *http.Request, via []*http.Request) error {
	return fmt.Errorf("%w: the token endpoint redirected to %s; the client secret is sent only to the token URL as configured: use the URL the redirect points to if it is right", ErrRedirectRefused, WithoutQuery(req.URL))
}
