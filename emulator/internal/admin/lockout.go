package admin

import (
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Failed sign-ins are limited per client address (10, then one more every
// 6 seconds) and per user name across clients (a looser 50, then one more
// every 6 seconds, against guessing spread over many addresses). Another
// client's failures no longer lock out the administrator's own address.
const (
	clientBurst  = 10
	userBurst    = 50
	refillEvery  = 6 * time.Second
	maxLimiters  = 10000 // per kind; full limiters are dropped first
	anyUserLabel = "\x00"
)

type lockout struct {
	mu      sync.Mutex
	clients map[string]*rate.Limiter
	users   map[string]*rate.Limiter
}

func newLockout() *lockout {
	return &lockout{clients: map[string]*rate.Limiter{}, users: map[string]*rate.Limiter{}}
}

// clientOf is the address a request comes from, without its port.
func clientOf(r *http.Request) string {
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return host
	}
	return r.RemoteAddr
}

func userKey(user string) string {
	if user == "" {
		return anyUserLabel
	}
	return strings.ToLower(user)
}

// allowed reports whether the client may try to sign in as user now.
func (l *lockout) allowed(client, user string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if c, ok := l.clients[client]; ok && c.TokensAt(now) < 1 {
		return false
	}
	if u, ok := l.users[userKey(user)]; ok && u.TokensAt(now) < 1 {
		return false
	}
	return true
}

// failed records a failed sign-in.
func (l *lockout) failed(client, user string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	take(l.clients, client, clientBurst, now)
	take(l.users, userKey(user), userBurst, now)
}

func take(m map[string]*rate.Limiter, key string, burst int, now time.Time) {
	lim, ok := m[key]
	if !ok {
		if len(m) >= maxLimiters {
			prune(m, now)
		}
		lim = rate.NewLimiter(rate.Every(refillEvery), burst)
		m[key] = lim
	}
	lim.AllowN(now, 1)
}

// prune drops limiters that have refilled (they hold no memory of
// failures); if none has, it drops one at random rather than grow.
func prune(m map[string]*rate.Limiter, now time.Time) {
	for k, lim := range m {
		if lim.TokensAt(now) >= float64(lim.Burst()) {
			delete(m, k)
		}
	}
	for k := range m {
		if len(m) < maxLimiters {
			break
		}
		delete(m, k)
	}
}
