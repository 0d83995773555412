package wire

import (
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
