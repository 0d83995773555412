package oneroster

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// SignatureMethod is the OAuth 1.0a signature method.
type SignatureMethod string

// Signature methods. OneRoster 1.1 providers use HMAC-SHA256; a few accept
// only HMAC-SHA1.
const (
	HMACSHA256 SignatureMethod = "HMAC-SHA256"
	HMACSHA1   SignatureMethod = "HMAC-SHA1"
)

// OAuth1 configures OAuth 1.0a request signing (two-legged: consumer key and
// secret, no token), for providers that predate OAuth 2.
type OAuth1 struct {
	ConsumerKey    string
	ConsumerSecret string
	// Method defaults to HMACSHA256.
	Method SignatureMethod
	// Now and Nonce default to the clock and 16 random bytes; tests set them.
	Now   func() time.Time
	Nonce func() string
}

func (o OAuth1) validate() error {
	if o.ConsumerKey == "" || o.ConsumerSecret == "" {
		return errors.New("oneroster: OAuth 1.0a needs ConsumerKey and ConsumerSecret")
	}
	switch o.Method {
	case "", HMACSHA256, HMACSHA1:
		return nil
	}
	return fmt.Errorf("oneroster: OAuth 1.0a signature method %q is not supported: use HMAC-SHA256 or HMAC-SHA1", o.Method)
}

// oauth1Transport signs each request with an Authorization: OAuth header.
type oauth1Transport struct {
	cfg  OAuth1
	base http.RoundTripper
}

func (t *oauth1Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	header, err := t.cfg.authorization(req.Method, req.URL)
	if err != nil {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, err
	}
	r := req.Clone(req.Context())
	r.Header.Set("Authorization", header)
	return t.base.RoundTrip(r)
}

// authorization returns the Authorization header value for a request. The
// signed parameters are the oauth_* ones plus the URL's query; request
// bodies here are JSON, which OAuth 1.0a does not sign.
func (o OAuth1) authorization(method string, u *url.URL) (string, error) {
	method = strings.ToUpper(method)
	sigMethod := o.Method
	if sigMethod == "" {
		sigMethod = HMACSHA256
	}
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	nonce := o.Nonce
	if nonce == nil {
		nonce = randomNonce
	}
	oauth := map[string]string{
		"oauth_consumer_key":     o.ConsumerKey,
		"oauth_nonce":            nonce(),
		"oauth_signature_method": string(sigMethod),
		"oauth_timestamp":        strconv.FormatInt(now().Unix(), 10),
		"oauth_version":          "1.0",
	}
	query, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return "", fmt.Errorf("oneroster: cannot sign a request whose query does not parse: %w", err)
	}
	params := url.Values{}
	for k, vs := range query {
		params[k] = append([]string(nil), vs...)
	}
	for k, v := range oauth {
		params.Set(k, v)
	}
	base := signatureBaseString(method, u, params)
	sig := sign(sigMethod, percentEncode(o.ConsumerSecret)+"&", base)
	oauth["oauth_signature"] = sig

	keys := make([]string, 0, len(oauth))
	for k := range oauth {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = percentEncode(k) + `="` + percentEncode(oauth[k]) + `"`
	}
	return "OAuth " + strings.Join(parts, ", "), nil
}

// signatureBaseString follows RFC 5849 §3.4.1: METHOD & base URI &
// normalized parameters, each percent-encoded.
func signatureBaseString(method string, u *url.URL, params url.Values) string {
	return strings.ToUpper(method) + "&" + percentEncode(baseStringURI(u)) + "&" + percentEncode(normalizeParams(params))
}

// baseStringURI is scheme://host[:port]/path with scheme and host in lower
// case, the default port dropped and no query or fragment (RFC 5849
// §3.4.1.2).
func baseStringURI(u *url.URL) string {
	scheme := strings.ToLower(u.Scheme)
	host := strings.ToLower(u.Hostname())
	port := u.Port()
	switch {
	case port != "" && !(scheme == "http" && port == "80") && !(scheme == "https" && port == "443"):
		host = net.JoinHostPort(host, port)
	case strings.Contains(host, ":"): // IPv6 literal
		host = "[" + host + "]"
	}
	path := u.EscapedPath()
	if path == "" {
		path = "/"
	}
	return scheme + "://" + host + path
}

// normalizeParams sorts the parameters by encoded name, then encoded value,
// and joins them as name=value pairs (RFC 5849 §3.4.1.3.2).
func normalizeParams(params url.Values) string {
	type pair struct{ k, v string }
	var pairs []pair
	for k, vs := range params {
		for _, v := range vs {
			pairs = append(pairs, pair{percentEncode(k), percentEncode(v)})
		}
	}
	sort.Slice(pairs, func(i, j int) bool {
		if pairs[i].k != pairs[j].k {
			return pairs[i].k < pairs[j].k
		}
		return pairs[i].v < pairs[j].v
	})
	parts := make([]string, len(pairs))
	for i, p := range pairs {
		parts[i] = p.k + "=" + p.v
	}
	return strings.Join(parts, "&")
}

func sign(method SignatureMethod, key, base string) string {
	var h func() hash.Hash = sha256.New
	if method == HMACSHA1 {
		h = sha1.New
	}
	mac := hmac.New(h, []byte(key))
	mac.Write([]byte(base))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

func randomNonce() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b)
}
