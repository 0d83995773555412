package wire

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestIsLoopback(t *testing.T) {
	for host, want := range map[string]bool{
		"localhost": true, "LOCALHOST": true, "LocalHost.": true, "app.localhost": true, "A.B.Localhost": true,
		"127.0.0.1": true, "127.8.9.10": true, "::1": true, "[::1]": true,
		"localhost.example.org": false, "notlocalhost": false, "10.0.0.1": false, "::2": false,
		"128.0.0.1": false, "example.org": false, "": false,
	} {
		if got := IsLoopback(host); got != want {
			t.Errorf("IsLoopback(%q) = %v, want %v", host, got, want)
		}
	}
}

func TestCheckURL(t *testing.T) {
	for raw, wantErr := range map[string]string{
		"https://district.example.org/":  "",
		"http://127.0.0.1:8080":          "",
		"http://Ps.LocalHost:1":          "",
		"http://district.example.org":    "WithInsecureHTTP",
		"ftp://x.org":                    "not an absolute http(s) URL",
		"https://u:p@x.org":              "user info",
		"https://x.org/?q=1":             "query",
		"":                               "no server URL",
		"https://x.org/#frag":            "fragment",
		"http://localhost.attacker.test": "WithInsecureHTTP",
	} {
		u, err := CheckURL("server", raw, false)
		switch {
		case wantErr == "" && err != nil:
			t.Errorf("%q: %v", raw, err)
		case wantErr != "" && (err == nil || !strings.Contains(err.Error(), wantErr)):
			t.Errorf("%q: err = %v, want one mentioning %q", raw, err, wantErr)
		case err == nil && strings.HasSuffix(u.Path, "/"):
			t.Errorf("%q: path %q keeps its trailing slash", raw, u.Path)
		}
	}
	if _, err := CheckURL("server", "http://district.example.org", true); err != nil {
		t.Errorf("insecure allowed: %v", err)
	}
}

func TestCleanPath(t *testing.T) {
	for in, want := range map[string]string{
		"/ws/v1/student":                            "/ws/v1/student",
		"ws/v1/student":                             "/ws/v1/student",
		"/ws/schema/query/../../v1/student":         "/ws/v1/student",
		"/ws/schema/query/%2e%2e/%2E%2E/v1/student": "/ws/v1/student",
		"/ws/schema/query/./x":                      "/ws/schema/query/x",
		"/ws//v1/":                                  "/ws/v1/",
		"/ws/schema/query/com.x.q":                  "/ws/schema/query/com.x.q",
	} {
		got, err := CleanPath(in)
		if err != nil || got != want {
			t.Errorf("CleanPath(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"/../etc", "/ws/%2e%2e/%2e%2e/x", "/a%zz", "/a%00b", "/a?b", `/a\..\b`} {
		if got, err := CleanPath(in); !errors.Is(err, ErrUnsafePath) {
			t.Errorf("CleanPath(%q) = %q, %v; want ErrUnsafePath", in, got, err)
		}
	}
}

func FuzzCleanPath(f *testing.F) {
	for _, s := range []string{"/ws/v1/x", "/a/../b", "%2e%2e/x", "/..", "//", "/a/./b/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, err := CleanPath(in)
		if err != nil {
			return
		}
		if !strings.HasPrefix(got, "/") {
			t.Fatalf("CleanPath(%q) = %q, not absolute", in, got)
		}
		for _, seg := range strings.Split(got, "/") {
			if seg == ".." || seg == "." {
				t.Fatalf("CleanPath(%q) = %q keeps a dot segment", in, got)
			}
		}
		if again, err := CleanPath(got); err == nil && again != got && !strings.Contains(got, "%") {
			t.Fatalf("CleanPath not idempotent: %q -> %q -> %q", in, got, again)
		}
	})
}

func TestTruncateIsRuneSafe(t *testing.T) {
	s := "ééééé" // two bytes each
	for n := 0; n <= len(s)+1; n++ {
		got := Truncate(s, n)
		if !utf8.ValidString(got) {
			t.Errorf("Truncate(%q, %d) = %q, not valid UTF-8", s, n, got)
		}
	}
	if Truncate("abc", 3) != "abc" || Truncate("abcd", 3) != "abc…" {
		t.Error("Truncate of ASCII is wrong")
	}
}

func FuzzTruncate(f *testing.F) {
	f.Add("héllo wörld", 3)
	f.Add("日本語", 4)
	f.Fuzz(func(t *testing.T, s string, n int) {
		if !utf8.ValidString(s) || n < 0 || n > 1<<20 {
			return
		}
		got := Truncate(s, n)
		if !utf8.ValidString(got) || len(strings.TrimSuffix(got, "…")) > n {
			t.Fatalf("Truncate(%q, %d) = %q", s, n, got)
		}
	})
}

func TestRedactorWholeValuesOnly(t *testing.T) {
	var r Redactor
	r.AddSecret("none")
	r.AddBasic("my id", "none")
	r.AddToken("tok-123")
	basic := base64.StdEncoding.EncodeToString([]byte("my+id:none"))
	for in, want := range map[string]string{
		"dial tcp: lookup nonexistent.invalid: no such host": "dial tcp: lookup nonexistent.invalid: no such host",
		"secret=none&x=1":               "secret=[REDACTED]&x=1",
		"the secret is none.":           "the secret is [REDACTED].",
		"Authorization: Basic " + basic: "Authorization: Basic [REDACTED]",
		"Bearer tok-123":                "Bearer [REDACTED]",
		"tok-1234 is another token":     "tok-1234 is another token",
		"nonenone":                      "nonenone",
		"":                              "",
	} {
		if got := r.Text(in); got != want {
			t.Errorf("Text(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestErrorTextDropsQueries(t *testing.T) {
	err := &url.Error{Op: "Get", URL: "https://ps.example.org/ws/v1/district/student?q=name.last_name==Smith;dob==2010-01-02&page=2", Err: errors.New("connection reset")}
	got := ErrorText(err)
	if strings.Contains(got, "Smith") || strings.Contains(got, "page=2") || !strings.Contains(got, "https://ps.example.org/ws/v1/district/student") {
		t.Errorf("ErrorText = %q", got)
	}
}

func TestCheckRetry(t *testing.T) {
	ctx := context.Background()
	read := MarkRead(ctx)
	for _, tc := range []struct {
		name string
		ctx  context.Context
		code int
		err  error
		want bool
	}{
		{"read 500", read, 500, nil, true},
		{"read 503", read, 503, nil, true},
		{"read 404", read, 404, nil, false},
		{"write 500", ctx, 500, nil, false},
		{"write 503", ctx, 503, nil, false},
		{"write 429", ctx, 429, nil, true},
		{"read transport", read, 0, errors.New("connection reset"), true},
		{"read cut body", read, 0, &CutBodyError{Err: errors.New("unexpected EOF")}, true},
		{"write transport", ctx, 0, errors.New("connection reset"), false},
		{"read redirect refused", read, 0, &url.Error{Op: "Get", URL: "x", Err: ErrRedirectRefused}, false},
		{"read too large", read, 0, &TooLargeError{}, false},
	} {
		var resp *http.Response
		if tc.err == nil {
			resp = &http.Response{StatusCode: tc.code, Header: http.Header{}}
		}
		if got, _ := CheckRetry(tc.ctx, resp, tc.err); got != tc.want {
			t.Errorf("%s: retry = %v, want %v", tc.name, got, tc.want)
		}
	}
}
