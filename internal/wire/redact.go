package wire

import (
	"encoding/base64"
	"net/url"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// Redacted replaces a secret in text.
const Redacted = "[REDACTED]"

// maxTokens is how many access tokens a Redactor remembers.
const maxTokens = 8

// Redactor removes known secrets from text bound for errors and logs: the
// client secret, the Basic header's base64(id:secret), and access tokens,
// each also in its query-escaped and base64 forms. A secret is replaced only
// where it stands as a whole value (not inside a longer word), so a short
// secret such as "none" leaves "nonexistent.invalid" alone. It is safe for
// concurrent use; the zero value is ready.
type Redactor struct {
	mu      sync.Mutex
	secrets []string // configured secrets and their wire forms
	tokens  []string // forms of recent access tokens, newest last
}

// forms returns s as it may appear on the wire: raw, query-escaped, base64.
func forms(s string) []string {
	out := []string{s}
	for _, f := range []string{url.QueryEscape(s), url.PathEscape(s), base64.StdEncoding.EncodeToString([]byte(s)), base64.RawURLEncoding.EncodeToString([]byte(s))} {
		if f != s {
			out = append(out, f)
		}
	}
	return out
}

// AddSecret registers a configured secret for the Redactor's life.
func (r *Redactor) AddSecret(s string) {
	if s == "" {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.secrets = append(r.secrets, forms(s)...)
}

// AddBasic registers the credentials of an HTTP Basic header, in the form
// x/oauth2 and most servers use (base64 of escaped id ":" escaped secret)
// and the plain one, so a server echoing the header is scrubbed too.
func (r *Redactor) AddBasic(id, secret string) {
	r.AddSecret(url.QueryEscape(id) + ":" + url.QueryEscape(secret))
	r.AddSecret(id + ":" + secret)
}

// AddToken registers an access token; only the latest few are kept.
func (r *Redactor) AddToken(tok string) {
	if tok == "" {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, t := range r.tokens {
		if t == tok {
			return
		}
	}
	r.tokens = append(r.tokens, forms(tok)...)
	if n := len(r.tokens); n > maxTokens*5 {
		r.tokens = r.tokens[n-maxTokens*5:]
	}
}

// Text returns s with every registered secret replaced by [REDACTED].
func (r *Redactor) Text(s string) string {
	if r == nil || s == "" {
		return s
	}
	r.mu.Lock()
	list := make([]string, 0, len(r.secrets)+len(r.tokens))
	list = append(list, r.secrets...)
	list = append(list, r.tokens...)
	r.mu.Unlock()
	// Longest first, so a secret's base64(id:secret) goes before the secret.
	for i := 1; i < len(list); i++ {
		for j := i; j > 0 && len(list[j]) > len(list[j-1]); j-- {
			list[j], list[j-1] = list[j-1], list[j]
		}
	}
	for _, secret := range list {
		s = replaceWhole(s, secret)
	}
	return s
}

// replaceWhole replaces the occurrences of secret in s that are not part of
// a longer word: the characters on either side, if any, are not letters,
// digits or '_'.
func replaceWhole(s, secret string) string {
	if secret == "" || !strings.Contains(s, secret) {
		return s
	}
	var b strings.Builder
	for {
		i := strings.Index(s, secret)
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		end := i + len(secret)
		before, _ := utf8.DecodeLastRuneInString(s[:i])
		after, _ := utf8.DecodeRuneInString(s[end:])
		if (i > 0 && wordRune(before) && wordRune(firstRune(secret))) || (end < len(s) && wordRune(after) && wordRune(lastRune(secret))) {
			b.WriteString(s[:i+1])
			s = s[i+1:]
			continue
		}
		b.WriteString(s[:i])
		b.WriteString(Redacted)
		s = s[end:]
	}
}

func wordRune(r rune) bool { return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) }

func firstRune(s string) rune { r, _ := utf8.DecodeRuneInString(s); return r }

func lastRune(s string) rune { r, _ := utf8.DecodeLastRuneInString(s); return r }
