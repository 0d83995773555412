package oneroster

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// RFC 5849 §3.4.1.1: the signature base string of the specification's
// example request (with a token and form body parameters, which the
// function takes as plain parameters).
func TestSignatureBaseStringRFC5849Vector(t *testing.T) {
	u, _ := url.Parse("http://example.com/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b")
	params, _ := url.ParseQuery(u.RawQuery)
	params.Add("c2", "")
	params.Add("a3", "2 q")
	for k, v := range map[string]string{
		"oauth_consumer_key":     "9djdj82h48djs9d2",
		"oauth_token":            "kkk9d7dh3k39sjv7",
		"oauth_signature_method": "HMAC-SHA1",
		"oauth_timestamp":        "137131201",
		"oauth_nonce":            "7d8f3e4a",
	} {
		params.Set(k, v)
	}
	want := "POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q%26a3%3Da%26b5%3D%253D%25253D%26c%2540%3D%26c2%3D%26oauth_consumer_key%3D9djdj82h48djs9d2%26oauth_nonce%3D7d8f3e4a%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D137131201%26oauth_token%3Dkkk9d7dh3k39sjv7"
	if got := signatureBaseString("post", u, params); got != want {
		t.Errorf("base string\n got %s\nwant %s", got, want)
	}
}

// RFC 5849 §3.4.1.2: scheme and host lower-cased, default port dropped,
// path kept escaped.
func TestBaseStringURI(t *testing.T) {
	for in, want := range map[string]string{
		"http://EXAMPLE.COM:80/r%20v/X?id=123": "http://example.com/r%20v/X",
		"https://www.example.net:8080/?q=1":    "https://www.example.net:8080/",
		"https://Host.example:443":             "https://host.example/",
		"http://[::1]:8080/ims/oneroster/v1p1": "http://[::1]:8080/ims/oneroster/v1p1",
	} {
		u, _ := url.Parse(in)
		if got := baseStringURI(u); got != want {
			t.Errorf("baseStringURI(%s) = %s, want %s", in, got, want)
		}
	}
}

// The widely published Twitter example: a full HMAC-SHA1 signature, with a
// token secret in the key, from independent implementations.
func TestSignatureTwitterVector(t *testing.T) {
	u, _ := url.Parse("https://api.twitter.com/1/statuses/update.json?include_entities=true")
	params, _ := url.ParseQuery(u.RawQuery)
	params.Set("status", "Hello Ladies + Gentlemen, a signed OAuth request!")
	params.Set("oauth_consumer_key", "xvz1evFS4wEEPTGEFPHBog")
	params.Set("oauth_nonce", "kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg")
	params.Set("oauth_signature_method", "HMAC-SHA1")
	params.Set("oauth_timestamp", "1318622958")
	params.Set("oauth_token", "370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb")
	params.Set("oauth_version", "1.0")
	base := signatureBaseString("POST", u, params)
	key := percentEncode("kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw") + "&" + percentEncode("LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE")
	if got, want := sign(HMACSHA1, key, base), "tnnArxj06cWHq44gCs1OSKk/jLY="; got != want {
		t.Errorf("signature = %s, want %s\nbase: %s", got, want, base)
	}
}

func TestPercentEncode(t *testing.T) {
	for in, want := range map[string]string{
		"Ladies + Gentlemen": "Ladies%20%2B%20Gentlemen",
		"An encoded string!": "An%20encoded%20string%21",
		"Dogs, Cats & Mice":  "Dogs%2C%20Cats%20%26%20Mice",
		"☃":                  "%E2%98%83",
		"-._~azAZ09":         "-._~azAZ09",
		"familyName='Smith'": "familyName%3D%27Smith%27",
	} {
		if got := percentEncode(in); got != want {
			t.Errorf("percentEncode(%q) = %s, want %s", in, got, want)
		}
	}
}

// parseOAuthHeader splits an Authorization: OAuth header into its decoded
// parameters.
func parseOAuthHeader(t *testing.T, h string) map[string]string {
	t.Helper()
	rest, ok := strings.CutPrefix(h, "OAuth ")
	if !ok {
		t.Fatalf("Authorization %q is not an OAuth header", h)
	}
	out := map[string]string{}
	for _, part := range strings.Split(rest, ", ") {
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			t.Fatalf("bad header part %q", part)
		}
		uv, err := url.PathUnescape(strings.Trim(v, `"`))
		if err != nil {
			t.Fatal(err)
		}
		out[k] = uv
	}
	return out
}

// A signed request over HTTP, with a filter value holding spaces (1EdTech
// CTS check 1.3): the query goes out with %20, the signature verifies
// against the base string built from what the server received, and the
// injected nonce and timestamp are used.
func TestOAuth1SignedRequestWithSpaces(t *testing.T) {
	for _, method := range []SignatureMethod{HMACSHA256, HMACSHA1} {
		t.Run(string(method), func(t *testing.T) {
			const secret = "consumer-secret-9f8e"
			var verified bool
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if strings.Contains(r.URL.RawQuery, "+") {
					t.Errorf("query %q encodes a space as '+', want %%20", r.URL.RawQuery)
				}
				if !strings.Contains(r.URL.RawQuery, "familyName%3D%27Van%20Dyke%27") {
					t.Errorf("query %q lacks the %%20-encoded filter", r.URL.RawQuery)
				}
				p := parseOAuthHeader(t, r.Header.Get("Authorization"))
				if p["oauth_nonce"] != "fixed-nonce" || p["oauth_timestamp"] != "1700000000" ||
					p["oauth_signature_method"] != string(method) || p["oauth_consumer_key"] != "ckey" || p["oauth_version"] != "1.0" {
					t.Errorf("oauth params = %v", p)
				}
				params, _ := url.ParseQuery(r.URL.RawQuery)
				for k, v := range p {
					if k != "oauth_signature" {
						params.Set(k, v)
					}
				}
				u := &url.URL{Scheme: "http", Host: r.Host, Path: r.URL.Path}
				want := sign(method, secret+"&", signatureBaseString(r.Method, u, params))
				verified = p["oauth_signature"] == want
				if !verified {
					t.Errorf("signature %s does not verify (want %s)", p["oauth_signature"], want)
				}
				w.Header().Set("Content-Type", "application/json")
				w.Write([]byte(`{"users":[]}`))
			}))
			t.Cleanup(srv.Close)
			c, err := NewClient(srv.URL, WithOAuth1(OAuth1{
				ConsumerKey: "ckey", ConsumerSecret: secret, Method: method,
				Now:   func() time.Time { return time.Unix(1700000000, 0) },
				Nonce: func() string { return "fixed-nonce" },
			}))
			if err != nil {
				t.Fatal(err)
			}
			for _, err := range c.ListUsers(context.Background(), &ListOptions{Filter: Eq("familyName", "Van Dyke")}) {
				t.Fatal(err)
			}
			if !verified {
				t.Fatal("server did not verify a signature")
			}
		})
	}
}

func TestOAuth1Validation(t *testing.T) {
	if _, err := NewClient("https://x.example", WithOAuth1(OAuth1{ConsumerKey: "k", ConsumerSecret: "s", Method: "RSA-SHA1"})); err == nil || !strings.Contains(err.Error(), "HMAC-SHA256") {
		t.Errorf("unsupported method: err = %v", err)
	}
	if _, err := NewClient("https://x.example", WithOAuth1(OAuth1{ConsumerKey: "k"})); err == nil {
		t.Error("missing secret accepted")
	}
}
