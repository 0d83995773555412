package wire

import (
	"errors"
	"fmt"
	"path"
	"regexp"
	"unicode/utf8"
)

// Truncate shortens s to at most n bytes for an error message, on a rune
// boundary, and marks the cut with "…".
func Truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	if n < 0 {
		n = 0
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

func pathClean(p string) string { return path.Clean(p) }

// urlQueryRE finds the query string of a URL in error text.
var urlQueryRE = regexp.MustCompile(`(?i)(\bhttps?://[^\s"'?#]*)\?[^\s"'#]*`)

// ErrorText is err's message with the query string dropped from every URL
// in it: net/http and retryablehttp put the whole request URL in their
// errors, and a query (q=name.last_name==Smith;dob==...) is personal data.
func ErrorText(err error) string {
	if err == nil {
		return ""
	}
	return urlQueryRE.ReplaceAllString(err.Error(), "$1")
}

// TransportError explains a request that got no answer, for the SDK named
// sdk: a timeout or an oversized answer as its typed error (wrapped, so
// errors.As finds it), anything else as text without URL queries or
// secrets, with advice.
func TransportError(sdk, method, path string, err error, red *Redactor) error {
	var timeout *TimeoutError
	var tooLarge *TooLargeError
	switch {
	case errors.As(err, &timeout):
		return fmt.Errorf("%s: %w", sdk, timeout)
	case errors.As(err, &tooLarge):
		return fmt.Errorf("%s: %w", sdk, tooLarge)
	case errors.Is(err, ErrRedirectRefused):
		return fmt.Errorf("%s: %s %s: %s", sdk, method, path, red.Text(ErrorText(err)))
	}
	return fmt.Errorf("%s: %s %s: %s; check the server URL and the network", sdk, method, path, red.Text(ErrorText(err)))
}
