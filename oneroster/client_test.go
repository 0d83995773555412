package oneroster_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/pskit/pskit/oneroster"
	"github.com/pskit/pskit/oneroster/internal/ortest"
)

var creds = oneroster.WithOAuth2(oneroster.OAuth2{ClientID: "id", ClientSecret: "secret-value"})

func TestNewClientURLRules(t *testing.T) {
	for _, tc := range []struct {
		server string
		opts   []oneroster.Option
		ok     bool
		base   string
	}{
		{"https://ps.example.org", nil, true, "https://ps.example.org/ims/oneroster/v1p1"},
		{"https://ps.example.org/", []oneroster.Option{oneroster.WithBasePath("/api/ims/oneroster/v1p1/")}, true, "https://ps.example.org/api/ims/oneroster/v1p1"},
		{"https://ps.example.org/ws/v1p1/ims/oneroster/v1p1", []oneroster.Option{oneroster.WithBasePath("/")}, true, "https://ps.example.org/ws/v1p1/ims/oneroster/v1p1"},
		{"https://ps.example.org", []oneroster.Option{oneroster.WithBasePath("")}, true, "https://ps.example.org/ims/oneroster/v1p1"},
		{"https://district.aeries.net/aeries", nil, true, "https://district.aeries.net/aeries/ims/oneroster/v1p1"},
		{"http://127.0.0.1:8080", nil, true, "http://127.0.0.1:8080/ims/oneroster/v1p1"},
		{"http://localhost:8080", nil, true, "http://localhost:8080/ims/oneroster/v1p1"},
		{"http://[::1]:8080", nil, true, "http://[::1]:8080/ims/oneroster/v1p1"},
		{"http://ps.example.org", nil, false, ""},
		{"http://ps.example.org", []oneroster.Option{oneroster.WithInsecureHTTP()}, true, "http://ps.example.org/ims/oneroster/v1p1"},
		{"ps.example.org", nil, false, ""},
		{"ftp://ps.example.org", nil, false, ""},
		{"https://user:pw@ps.example.org", nil, false, ""},
	} {
		c, err := oneroster.NewClient(tc.server, append([]oneroster.Option{creds}, tc.opts...)...)
		if (err == nil) != tc.ok {
			t.Errorf("NewClient(%q): err = %v, want ok=%v", tc.server, err, tc.ok)
			continue
		}
		if err != nil {
			if strings.Contains(err.Error(), "pw") {
				t.Errorf("error leaks URL password: %v", err)
			}
			continue
		}
		if got := c.BaseURL(); got != tc.base {
			t.Errorf("NewClient(%q).BaseURL() = %s, want %s", tc.server, got, tc.base)
		}
	}
}

func TestNewClientRefusesHTTPTokenURL(t *testing.T) {
	_, err := oneroster.NewClient("https://ps.example.org", oneroster.WithOAuth2(oneroster.OAuth2{
		ClientID: "id", ClientSecret: "s", TokenURL: "http://auth.example.org/token",
	}))
	if err == nil || !strings.Contains(err.Error(), "unencrypted") {
		t.Errorf("http token URL: err = %v", err)
	}
}

func TestNewClientNeedsOneCredential(t *testing.T) {
	if _, err := oneroster.NewClient("https://x.example"); err == nil || !strings.Contains(err.Error(), "WithOAuth2") {
		t.Errorf("no credentials: err = %v", err)
	}
	o1 := oneroster.WithOAuth1(oneroster.OAuth1{ConsumerKey: "k", ConsumerSecret: "s"})
	if _, err := oneroster.NewClient("https://x.example", creds, o1); err == nil {
		t.Error("both credentials accepted")
	}
	if _, err := oneroster.NewClient("https://x.example", oneroster.WithOAuth2(oneroster.OAuth2{ClientID: "id"})); err == nil {
		t.Error("missing secret accepted")
	}
}

// The token is fetched once with HTTP Basic at {server}/oauth/access_token
// (expires_in as a string, as PowerSchool sends it) and reused.
func TestOAuth2TokenReuse(t *testing.T) {
	srv := ortest.Start(t)
	c := ortest.Client(t, srv)
	for range 3 {
		if _, err := c.GetOrg(context.Background(), "district"); err != nil {
			t.Fatal(err)
		}
	}
	if n := srv.Stats().TokenRequests; n != 1 {
		t.Errorf("token requests = %d, want 1", n)
	}
}

func TestOAuth2ScopesAndTokenURL(t *testing.T) {
	var gotScope, gotAuth string
	mux := http.NewServeMux()
	mux.HandleFunc("POST /custom/token", func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		gotScope, gotAuth = r.PostForm.Get("scope"), r.Header.Get("Authorization")
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"access_token":"abc123token","token_type":"bearer","expires_in":21600}`)
	})
	mux.HandleFunc("GET /ims/oneroster/v1p1/orgs/o1", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer abc123token" {
			w.WriteHeader(401)
			return
		}
		fmt.Fprint(w, `{"org":{"sourcedId":"o1","status":"active","name":"D","type":"district"}}`)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	c, err := oneroster.NewClient(srv.URL, oneroster.WithOAuth2(oneroster.OAuth2{
		ClientID: "id", ClientSecret: "sec", TokenURL: srv.URL + "/custom/token",
		Scopes: []string{oneroster.ScopeRosterReadonly, oneroster.ScopeGradebookCreatePut},
	}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetOrg(context.Background(), "o1"); err != nil {
		t.Fatal(err)
	}
	if want := oneroster.ScopeRosterReadonly + " " + oneroster.ScopeGradebookCreatePut; gotScope != want {
		t.Errorf("scope = %q, want %q", gotScope, want)
	}
	if !strings.HasPrefix(gotAuth, "Basic ") {
		t.Errorf("token request Authorization = %q, want Basic", gotAuth)
	}
}

// After a 401 the token is fetched again and the request retried once.
func TestOAuth2RefetchAfter401(t *testing.T) {
	var tokens, calls atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("POST /oauth/access_token", func(w http.ResponseWriter, r *http.Request) {
		n := tokens.Add(1)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"access_token":"token-%d","token_type":"Bearer","expires_in":"3600"}`, n)
	})
	mux.HandleFunc("PUT /ims/oneroster/v1p1/categories/c1", func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if r.Header.Get("Authorization") != "Bearer token-2" { // the first token was revoked
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var buf bytes.Buffer
		buf.ReadFrom(r.Body)
		if !strings.Contains(buf.String(), `"title":"Tests"`) {
			t.Errorf("retried body = %s", buf.String())
		}
		w.WriteHeader(http.StatusCreated)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	c, err := oneroster.NewClient(srv.URL, creds)
	if err != nil {
		t.Fatal(err)
	}
	out, err := c.PutCategory(context.Background(), oneroster.Category{Base: oneroster.Base{SourcedID: "c1"}, Title: "Tests"})
	if err != nil || out != oneroster.Created {
		t.Fatalf("PutCategory = %v, %v", out, err)
	}
	if tokens.Load() != 2 || calls.Load() != 2 {
		t.Errorf("tokens=%d calls=%d, want 2 and 2", tokens.Load(), calls.Load())
	}
}

// Secrets never reach errors or logs, even when the provider echoes the
// credentials it received.
func TestSecretsNeverInErrorsOrLogs(t *testing.T) {
	const secret = "s3cr3t-client-secret-value"
	const token = "tok-4f1c9e2a-very-secret"
	var echo atomic.Bool
	mux := http.NewServeMux()
	mux.HandleFunc("POST /oauth/access_token", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if echo.Load() {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprintf(w, `{"error":"invalid_client","error_description":"bad credentials %s"}`, r.Header.Get("Authorization"))
			return
		}
		fmt.Fprintf(w, `{"access_token":%q,"token_type":"Bearer","expires_in":"3600"}`, token)
	})
	mux.HandleFunc("/ims/oneroster/v1p1/", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
		fmt.Fprintf(w, `{"imsx_codeMajor":"failure","imsx_severity":"error","imsx_description":"failed for %s"}`, r.Header.Get("Authorization"))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	newC := func() *oneroster.Client {
		c, err := oneroster.NewClient(srv.URL, oneroster.WithOAuth2(oneroster.OAuth2{ClientID: "the-client", ClientSecret: secret}),
			oneroster.WithLogger(logger), oneroster.WithRetryPolicy(oneroster.RetryPolicy{}))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	ctx := context.Background()
	var errs []error
	_, err := newC().GetUser(ctx, "u1")
	errs = append(errs, err)
	for _, err := range newC().ListUsers(ctx, nil) {
		errs = append(errs, err)
	}
	echo.Store(true)
	_, err = newC().GetUser(ctx, "u1")
	errs = append(errs, err)
	var te *oneroster.TokenError
	if !errors.As(err, &te) {
		t.Errorf("token failure = %T %v, want *TokenError", err, err)
	}
	for _, err := range errs {
		if err == nil {
			t.Fatal("want an error")
		}
		for _, s := range []string{secret, token} {
			if strings.Contains(err.Error(), s) {
				t.Errorf("error leaks a secret: %v", err)
			}
		}
		if !strings.Contains(err.Error(), "[REDACTED]") {
			t.Errorf("error should show the scrubbed echo: %v", err)
		}
	}
	if logs.Len() == 0 {
		t.Fatal("no log output")
	}
	if strings.Contains(logs.String(), secret) || strings.Contains(logs.String(), token) {
		t.Errorf("logs leak a secret:\n%s", logs.String())
	}
}

// A redirect off the provider's host would carry the bearer token: refused.
func TestRedirectToOtherHostRefused(t *testing.T) {
	var leaked atomic.Bool
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" {
			leaked.Store(true)
		}
	}))
	t.Cleanup(other.Close)
	mux := http.NewServeMux()
	mux.HandleFunc("POST /oauth/access_token", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"access_token":"tok-1234","token_type":"Bearer","expires_in":"3600"}`)
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/steal", http.StatusFound)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	c, err := oneroster.NewClient(srv.URL, creds)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.GetUser(context.Background(), "u1")
	if err == nil || !strings.Contains(err.Error(), "redirect refused") {
		t.Errorf("err = %v, want a refused redirect", err)
	}
	if leaked.Load() {
		t.Error("credentials reached the other host")
	}
}

func TestCancelledContext(t *testing.T) {
	c := ortest.Client(t, ortest.Start(t))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := c.GetUser(ctx, "u1")
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

// A wrong token URL is a TokenError that names the fix, and is not mistaken
// for a missing record.
func TestTokenURLNotFound(t *testing.T) {
	srv := ortest.Start(t)
	cr := srv.Credentials()
	c, err := oneroster.NewClient(srv.URL(), oneroster.WithOAuth2(oneroster.OAuth2{
		ClientID: cr.ClientID, ClientSecret: cr.ClientSecret, TokenURL: srv.URL() + "/wrong/token",
	}), oneroster.WithRetryPolicy(oneroster.RetryPolicy{}))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.GetUser(context.Background(), "u1")
	var te *oneroster.TokenError
	if !errors.As(err, &te) || errors.Is(err, oneroster.ErrNotFound) || !strings.Contains(err.Error(), "TokenURL") {
		t.Errorf("err = %v, want a TokenError pointing at TokenURL", err)
	}
}
