package emulator

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"
)

// Faults are the misbehaviours the emulator injects into /ws/ and /oauth/
// answers (never /emulator/). Decisions come from a generator seeded with
// Options.Seed, so a run with the same requests in the same order sees the
// same faults.
type Faults struct {
	Latency  time.Duration `json:"latency"`   // added to every answer
	Jitter   time.Duration `json:"jitter"`    // plus a random [0, Jitter)
	FailRate float64       `json:"fail_rate"` // fraction answered 500, 502 or 503
	DropRate float64       `json:"drop_rate"` // fraction of connections closed unanswered
	TokenTTL time.Duration `json:"token_ttl"` // lifetime of newly issued tokens
}

func (f Faults) validate() error {
	switch {
	case f.Latency < 0 || f.Jitter < 0:
		return errors.New("emulator: latency and jitter must not be negative")
	case f.FailRate < 0 || f.FailRate > 1 || math.IsNaN(f.FailRate):
		return fmt.Errorf("emulator: fail rate must be between 0 and 1, got %v", f.FailRate)
	case f.DropRate < 0 || f.DropRate > 1 || math.IsNaN(f.DropRate):
		return fmt.Errorf("emulator: drop rate must be between 0 and 1, got %v", f.DropRate)
	case f.TokenTTL < time.Second:
		return fmt.Errorf("emulator: token lifetime must be at least 1s, got %s", f.TokenTTL)
	}
	return nil
}

// SetFaults replaces the injected faults; it takes effect on the next request.
func (s *Server) SetFaults(f Faults) error {
	if f.TokenTTL == 0 {
		f.TokenTTL = DefaultTokenTTL
	}
	if err := f.validate(); err != nil {
		return err
	}
	s.mu.Lock()
	s.faults = f
	s.mu.Unlock()
	return nil
}

// Faults returns the faults in force.
func (s *Server) Faults() Faults {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.faults
}

var failStatuses = [...]int{http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable}

// injectFaults delays, drops or fails the request; it reports whether the
// request should go on to its handler.
func (s *Server) injectFaults(w http.ResponseWriter, r *http.Request) bool {
	s.mu.Lock()
	f := s.faults
	var delay time.Duration = f.Latency
	if f.Jitter > 0 {
		delay += time.Duration(s.rng.Int64N(int64(f.Jitter)))
	}
	drop := f.DropRate > 0 && s.rng.Float64() < f.DropRate
	fail := 0
	if !drop && f.FailRate > 0 && s.rng.Float64() < f.FailRate {
		fail = failStatuses[s.rng.IntN(len(failStatuses))]
	}
	s.mu.Unlock()

	if delay > 0 {
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return false
		}
	}
	if drop {
		s.stats.fault()
		if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
			conn.Close()
			return false
		}
		panic(http.ErrAbortHandler) // closes the connection without an answer
	}
	if fail != 0 {
		s.stats.fault()
		writeError(w, fail, "injected fault: the emulator answers "+strconv.Itoa(fail)+" to a share of requests (fail rate); retry")
		return false
	}
	return true
}

// throttle enforces the plugin's minimum interval between API requests.
// Rejected requests do not move the window.
func (s *Server) throttle(w http.ResponseWriter, p *pluginState) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	interval := p.settings.minInterval()
	if interval <= 0 {
		return true
	}
	now := s.now()
	if !p.lastRequest.IsZero() {
		if wait := p.lastRequest.Add(interval).Sub(now); wait > 0 {
			secs := int(math.Ceil(wait.Seconds())) // Retry-After takes whole seconds
			w.Header().Set("Retry-After", strconv.Itoa(secs))
			writeError(w, http.StatusTooManyRequests, fmt.Sprintf("too many requests for plugin %d: wait %d seconds before the next request", p.id, secs))
			return false
		}
	}
	p.lastRequest = now
	return true
}
