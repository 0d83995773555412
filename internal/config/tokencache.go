package config

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/oauth2"
)

// TokenCache keeps access tokens on disk between psctl runs, one 0600 file
// per key under <config dir>/tokens, so a second run makes no token request.
// Keys name a server and client ID (powerschool.CacheKey), and the file is
// chosen by the key and a hash of the client secret too: a token obtained
// with one secret is never used with another (a mistyped secret saved again
// fails at once instead of hiding behind a cached token), and two
// environments with the same server and client ID keep their own tokens. It
// implements powerschool.TokenCache.
type TokenCache struct {
	Dir    string // the config directory
	Secret string // the client secret the tokens were obtained with
}

type cachedToken struct {
	Key         string    `json:"key"`
	AccessToken string    `json:"access_token"`
	TokenType   string    `json:"token_type,omitempty"`
	Expiry      time.Time `json:"expiry,omitzero"`
}

func (c *TokenCache) path(key string) string {
	secret := sha256.Sum256([]byte(c.Secret))
	sum := sha256.Sum256([]byte(key + "\x00" + hex.EncodeToString(secret[:])))
	return filepath.Join(c.Dir, "tokens", hex.EncodeToString(sum[:16])+".json")
}

// Load returns the cached token, or nil without error when there is none or
// it has expired.
func (c *TokenCache) Load(_ context.Context, key string) (*oauth2.Token, error) {
	data, err := os.ReadFile(c.path(key))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading token cache: %w (psctl auth logout clears it)", err)
	}
	var ct cachedToken
	if err := json.Unmarshal(data, &ct); err != nil || ct.Key != key || ct.AccessToken == "" {
		// A damaged or foreign entry is not worth an error: fetch a new token.
		return nil, nil
	}
	tok := &oauth2.Token{AccessToken: ct.AccessToken, TokenType: ct.TokenType, Expiry: ct.Expiry}
	if !tok.Valid() {
		return nil, nil
	}
	return tok, nil
}

// Store saves tok for key, mode 0600.
func (c *TokenCache) Store(ctx context.Context, key string, tok *oauth2.Token) error {
	if tok == nil || tok.AccessToken == "" {
		return c.Delete(ctx, key)
	}
	p := c.path(key)
	if err := EnsureDir(filepath.Dir(p), nil); err != nil {
		return err
	}
	data, err := json.Marshal(cachedToken{Key: key, AccessToken: tok.AccessToken, TokenType: tok.TokenType, Expiry: tok.Expiry})
	if err != nil {
		return err
	}
	return WriteFileAtomic(p, data)
}

// Delete drops the cached token; a missing entry is not an error.
func (c *TokenCache) Delete(_ context.Context, key string) error {
	err := os.Remove(c.path(key))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("removing cached token: %w", err)
	}
	return nil
}
