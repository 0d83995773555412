package powerschool

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

func TestExpiresInStringOrNumber(t *testing.T) {
	for _, tc := range []struct {
		name string
		val  any
		want time.Duration
	}{
		{"string as PowerSchool sends it", "1814654", 1814654 * time.Second},
		{"number as some servers send it", 3600, time.Hour},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakePS(t)
			f.expiresIn = tc.val
			c := f.client()
			tok, err := c.Token(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			got := time.Until(tok.Expiry)
			if got < tc.want-time.Minute || got > tc.want {
				t.Errorf("token expires in %s, want about %s", got, tc.want)
			}
		})
	}
}

func TestConcurrentStartFetchesOneToken(t *testing.T) {
	f := newFakePS(t)
	f.handle("GET /ws/v1/district", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, map[string]any{"district": map[string]any{"name": "Test District"}})
	})
	c := f.client()
	start := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for range 64 {
		wg.Go(func() {
			<-start
			d, err := c.District(context.Background())
			if err == nil && d.Name != "Test District" {
				err = errors.New("wrong district name " + d.Name)
			}
			errs <- err
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := f.tokens.Load(); n != 1 {
		t.Errorf("64 concurrent requests caused %d token requests, want 1", n)
	}
	if n := f.api.Load(); n != 64 {
		t.Errorf("server saw %d API requests, want 64", n)
	}
}

func TestRetryOnceAfter401(t *testing.T) {
	f := newFakePS(t)
	f.handle("GET /ws/v1/district", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, map[string]any{"district": map[string]any{"name": "D"}})
	})
	c := f.client()
	ctx := context.Background()
	if _, err := c.District(ctx); err != nil {
		t.Fatal(err)
	}
	f.revokeAll() // the server forgets the token (expired, regenerated credentials)
	if _, err := c.District(ctx); err != nil {
		t.Fatalf("after the token was revoked: %v", err)
	}
	if n := f.tokens.Load(); n != 2 {
		t.Errorf("token requests = %d, want 2 (one initial, one after the 401)", n)
	}
}

func TestSecond401IsAuthError(t *testing.T) {
	f := newFakePS(t)
	f.handle("GET /ws/v1/district", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusUnauthorized) // refuses every token
	})
	c := f.client()
	_, err := c.District(context.Background())
	var ae *AuthError
	if !errors.As(err, &ae) || ae.TokenEndpoint {
		t.Fatalf("err = %v, want an API-call *AuthError", err)
	}
	if !IsAuthError(err) || !strings.Contains(err.Error(), "refused") || !strings.Contains(err.Error(), "Data Provider Configuration") {
		t.Errorf("error does not explain the refusal: %v", err)
	}
	if n := f.tokens.Load(); n != 2 {
		t.Errorf("token requests = %d, want 2 (retry exactly once)", n)
	}
}

func TestConcurrent401sRefreshOnce(t *testing.T) {
	f := newFakePS(t)
	f.handle("GET /ws/v1/district", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, map[string]any{"district": map[string]any{"name": "D"}})
	})
	c := f.client()
	if _, err := c.District(context.Background()); err != nil {
		t.Fatal(err)
	}
	f.revokeAll()
	var wg sync.WaitGroup
	for range 32 {
		wg.Go(func() {
			if _, err := c.District(context.Background()); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n := f.tokens.Load(); n != 2 {
		t.Errorf("32 goroutines hitting a revoked token caused %d token requests in all, want 2", n)
	}
}

func TestBadCredentialsAuthError(t *testing.T) {
	f := newFakePS(t)
	f.tokenStatus = http.StatusUnauthorized
	c := f.client()
	_, err := c.Metadata(context.Background())
	var ae *AuthError
	if !errors.As(err, &ae) || !ae.TokenEndpoint || ae.StatusCode != 401 {
		t.Fatalf("err = %#v, want a token-endpoint *AuthError", err)
	}
	msg := err.Error()
	for _, want := range []string{"rejected the client ID and secret", "System > System Settings > Plugin Management Configuration", "Bad client credentials"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q lacks %q", msg, want)
		}
	}
	if strings.Contains(msg, testSecret) {
		t.Errorf("error leaks the secret: %q", msg)
	}
}

func TestValidateToken(t *testing.T) {
	f := newFakePS(t)
	c := f.client()
	info, err := c.ValidateToken(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !info.Valid || info.PluginID != 42 || info.PowerSchoolVersion != "25.12.0.0.253441049" {
		t.Errorf("ValidateToken = %+v", info)
	}

	// A metadata answer without plugin_id (as for an unauthenticated caller) means invalid.
	g := newFakePS(t)
	g.metadata = map[string]any{"powerschool_version": "25.12"}
	info, err = g.client().ValidateToken(context.Background())
	if err != nil || info.Valid {
		t.Errorf("without plugin_id: info=%+v err=%v, want invalid and no error", info, err)
	}
}

// memCache is a TokenCache in memory.
type memCache struct {
	mu      sync.Mutex
	m       map[string]*oauth2.Token
	deletes int
}

func (m *memCache) Load(_ context.Context, k string) (*oauth2.Token, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.m[k], nil
}

func (m *memCache) Store(_ context.Context, k string, t *oauth2.Token) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.m[k] = t
	return nil
}

func (m *memCache) Delete(_ context.Context, k string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.m, k)
	m.deletes++
	return nil
}

func TestTokenCacheValidTokenIsValidatedOnce(t *testing.T) {
	f := newFakePS(t)
	f.valid["CACHED-TOKEN-1"] = true
	cache := &memCache{m: map[string]*oauth2.Token{
		CacheKey(f.url(), testClientID): {AccessToken: "CACHED-TOKEN-1", TokenType: "Bearer", Expiry: time.Now().Add(time.Hour)},
	}}
	var logs bytes.Buffer
	c := f.client(WithTokenCache(cache), WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			if _, err := c.Metadata(context.Background()); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n := f.tokens.Load(); n != 0 {
		t.Errorf("a valid cached token caused %d token requests, want 0", n)
	}
	if n := f.api.Load(); n != 17 {
		t.Errorf("API requests = %d, want 17 (one validation, then 16 calls)", n)
	}
	for _, want := range []string{"validating existing token", "token valid", "plugin_id=42"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("logs lack %q:\n%s", want, logs.String())
		}
	}
}

func TestTokenCacheInvalidTokenIsReplaced(t *testing.T) {
	f := newFakePS(t)
	key := CacheKey(f.url(), testClientID)
	cache := &memCache{m: map[string]*oauth2.Token{key: {AccessToken: "STALE", Expiry: time.Now().Add(time.Hour)}}}
	var logs bytes.Buffer
	c := f.client(WithTokenCache(cache), WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	if _, err := c.Metadata(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := f.tokens.Load(); n != 1 {
		t.Errorf("token requests = %d, want 1", n)
	}
	got := cache.m[key]
	if got == nil || got.AccessToken == "STALE" || !strings.HasPrefix(got.AccessToken, "TOKEN-") {
		t.Errorf("cache holds %+v, want the new token", got)
	}
	if cache.deletes != 1 {
		t.Errorf("cache deletes = %d, want 1", cache.deletes)
	}
	for _, want := range []string{"token invalid, getting a new one", "new token obtained", "expires_in="} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("logs lack %q:\n%s", want, logs.String())
		}
	}
}

func TestInvalidateToken(t *testing.T) {
	f := newFakePS(t)
	c := f.client()
	ctx := context.Background()
	t1, err := c.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c.InvalidateToken(ctx)
	t2, err := c.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if t1.AccessToken == t2.AccessToken || f.tokens.Load() != 2 {
		t.Errorf("after InvalidateToken got %q again (%d token requests)", t2.AccessToken, f.tokens.Load())
	}
}
