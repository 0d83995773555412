package emulator

import (
	"context"
	"crypto/subtle"
	"fmt"
	"math"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
)

// tokenInfo is an issued access token.
type tokenInfo struct {
	pluginID int
	expires  time.Time
}

func (s *Server) oauthRoutes() {
	// Both spellings are used against real servers (reference §1.1).
	s.mux.HandleFunc("POST /oauth/access_token", s.handleToken)
	s.mux.HandleFunc("POST /oauth/access_token/", s.handleToken)
}

// oauthError is the OAuth 2.0 (RFC 6749 §5.2) error body.
type oauthError struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
}

type tokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   string `json:"expires_in"` // a string on real servers
}

func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	id, secret, ok := r.BasicAuth()
	if !ok {
		w.Header().Set("WWW-Authenticate", `Basic realm="PowerSchool"`)
		writeJSON(w, http.StatusUnauthorized, oauthError{"invalid_client",
			"send the client ID and secret with HTTP Basic authentication (Authorization: Basic base64(id:secret))"})
		return
	}
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct != "application/x-www-form-urlencoded" {
		writeJSON(w, http.StatusBadRequest, oauthError{"invalid_request",
			"send the body as application/x-www-form-urlencoded with grant_type=client_credentials"})
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		writeJSON(w, http.StatusBadRequest, oauthError{"invalid_request", "the form body could not be read: " + err.Error()})
		return
	}
	if gt := r.PostForm.Get("grant_type"); gt != "client_credentials" {
		writeJSON(w, http.StatusBadRequest, oauthError{"unsupported_grant_type",
			fmt.Sprintf("grant_type is %q; only client_credentials is supported", gt)})
		return
	}
	tok, expires, ok := s.issueToken(id, secret)
	if !ok {
		w.Header().Set("WWW-Authenticate", `Basic realm="PowerSchool"`)
		writeJSON(w, http.StatusUnauthorized, oauthError{"invalid_client",
			"client authentication failed: the client ID or secret is wrong, was regenerated, or the plugin is disabled or deleted"})
		return
	}
	writeJSON(w, http.StatusOK, tokenResponse{AccessToken: tok, TokenType: "Bearer", ExpiresIn: strconv.FormatInt(secondsLeft(expires, s.now()), 10)})
}

func secondsLeft(expires, now time.Time) int64 {
	return int64(math.Ceil(expires.Sub(now).Seconds()))
}

// issueToken checks the client credentials and returns the plugin's current
// token, minting one if it has none or it expired.
func (s *Server) issueToken(clientID, secret string) (string, time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, found := s.byClient[clientID]
	// Compare in constant time, against a dummy when the id is unknown.
	want := "00000000-0000-0000-0000-000000000000"
	if found {
		want = p.secret
	}
	if subtle.ConstantTimeCompare([]byte(secret), []byte(want)) != 1 || !found || !p.enabled {
		return "", time.Time{}, false
	}
	now := s.now()
	if t, ok := s.tokens[p.token]; ok && now.Before(t.expires) {
		return p.token, t.expires, true
	}
	delete(s.tokens, p.token)
	tok := uuid.NewString()
	expires := now.Add(s.faults.TokenTTL)
	s.tokens[tok] = tokenInfo{pluginID: p.id, expires: expires}
	p.token = tok
	if s.store.Persistent() {
		_, err := s.exec(`DELETE FROM EMU_ACCESS_TOKEN WHERE PLUGINID = ?`, p.id)
		if err == nil {
			_, err = s.exec(`INSERT INTO EMU_ACCESS_TOKEN (TOKEN, PLUGINID, EXPIRES) VALUES (?, ?, ?)`, tok, p.id, expires.UnixMilli())
		}
		if err != nil {
			s.log.Warn("could not persist an access token; it will not survive a restart", "plugin", p.id, "err", err)
		}
	}
	return tok, expires, true
}

func (s *Server) loadTokens(ctx context.Context) error {
	rows, err := s.store.DB.QueryContext(ctx, `SELECT TOKEN, PLUGINID, EXPIRES FROM EMU_ACCESS_TOKEN`)
	if err != nil {
		return fmt.Errorf("loading access tokens: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var tok string
		var id int
		var ms int64
		if err := rows.Scan(&tok, &id, &ms); err != nil {
			return fmt.Errorf("loading access tokens: %w", err)
		}
		if p, ok := s.plugins[id]; ok {
			s.tokens[tok] = tokenInfo{pluginID: id, expires: time.UnixMilli(ms)}
			p.token = tok
		}
	}
	return rows.Err()
}

func (s *Server) dropTokensLocked(pluginID int) {
	for tok, t := range s.tokens {
		if t.pluginID == pluginID {
			delete(s.tokens, tok)
		}
	}
	if p, ok := s.plugins[pluginID]; ok {
		p.token = ""
	}
	if _, err := s.exec(`DELETE FROM EMU_ACCESS_TOKEN WHERE PLUGINID = ?`, pluginID); err != nil {
		s.log.Warn("could not delete stored tokens", "plugin", pluginID, "err", err)
	}
}

// ExpireTokens makes every issued access token invalid at once; the next
// token request gets a new one.
func (s *Server) ExpireTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id := range s.plugins {
		s.dropTokensLocked(id)
	}
	clear(s.tokens)
}

// tokenStatus is the outcome of checking a bearer token.
type tokenStatus int

const (
	tokenMissing tokenStatus = iota
	tokenInvalid
	tokenExpired
	tokenOK
)

// authenticate resolves the request's bearer token to its plugin.
func (s *Server) authenticate(r *http.Request) (*pluginState, tokenStatus) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return nil, tokenMissing
	}
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || tok == "" {
		return nil, tokenInvalid
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	t, ok := s.tokens[strings.TrimSpace(tok)]
	if !ok {
		return nil, tokenInvalid
	}
	p, ok := s.plugins[t.pluginID]
	if !ok || !p.enabled {
		return nil, tokenInvalid
	}
	if !s.now().Before(t.expires) {
		return nil, tokenExpired
	}
	return p, tokenOK
}

// unauthorized answers 401 with the WWW-Authenticate header clients key on
// (reference §1.3).
func unauthorized(w http.ResponseWriter, st tokenStatus) {
	switch st {
	case tokenMissing:
		w.Header().Set("WWW-Authenticate", `Bearer realm="PowerSchool"`)
		writeError(w, http.StatusUnauthorized, "this resource needs an access token: send Authorization: Bearer <token> from POST /oauth/access_token")
	case tokenExpired:
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token",realm="PowerSchool",error_description="The access token has expired"`)
		writeError(w, http.StatusUnauthorized, "the access token has expired; request a new one from /oauth/access_token")
	default:
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token",realm="PowerSchool",error_description="The access token is invalid"`)
		writeError(w, http.StatusUnauthorized, "the access token is invalid (revoked, regenerated, or its plugin is disabled); request a new one from /oauth/access_token")
	}
}

type callerKey struct{}

// caller is the plugin behind an authenticated request, as handlers see it.
type caller struct {
	PluginID  int
	PageSizes PageSizes
	p         *pluginState
}

// callerFrom returns the authenticated plugin of a request served through
// s.authed.
func callerFrom(ctx context.Context) (caller, bool) {
	c, ok := ctx.Value(callerKey{}).(caller)
	return c, ok
}

// authed requires a valid bearer token, applies throttling, and puts the
// calling plugin in the request context.
func (s *Server) authed(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, st := s.authenticate(r)
		if st != tokenOK {
			unauthorized(w, st)
			return
		}
		if !s.throttle(w, p) {
			return
		}
		s.mu.RLock()
		c := caller{PluginID: p.id, PageSizes: p.settings.PageSizes, p: p}
		s.mu.RUnlock()
		h(w, r.WithContext(context.WithValue(r.Context(), callerKey{}, c)))
	}
}

// v1 is authed plus accessLevelV1Api: NONE (also when the attribute is
// absent) denies /ws/v1 (reference §3.1, §6.1).
func (s *Server) v1(h http.HandlerFunc) http.HandlerFunc {
	return s.authed(func(w http.ResponseWriter, r *http.Request) {
		c, _ := callerFrom(r.Context())
		s.mu.RLock()
		level := c.p.accessLevel
		s.mu.RUnlock()
		if level == "NONE" {
			writeError(w, http.StatusForbidden, fmt.Sprintf("plugin %d has accessLevelV1Api NONE, so /ws/v1 is denied; set <oauth accessLevelV1Api=\"READ\"/> (or FULL) in plugin.xml or on Data Provider Configuration", c.PluginID))
			return
		}
		h(w, r)
	})
}
