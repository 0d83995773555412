package emulator

import (
	"maps"
	"strings"
	"sync"
)

// Stats are the emulator's request counters since start (or ResetStats).
type Stats struct {
	// TokenRequests counts calls to /oauth/access_token, successful or not.
	TokenRequests int64 `json:"token_requests"`
	// APIRequests counts /ws/ requests by route, e.g.
	// "GET /ws/v1/district/student" (unknown paths under "(unmatched)").
	APIRequests map[string]int64 `json:"api_requests"`
	// Statuses counts every answer (API, OAuth and control) by HTTP status.
	Statuses map[int]int64 `json:"statuses"`
	// Throttled counts 429 answers; Faults counts injected 5xx answers and
	// dropped connections.
	Throttled int64 `json:"throttled"`
	Faults    int64 `json:"faults"`
}

type stats struct {
	mu sync.Mutex
	s  Stats
}

func (st *stats) record(route string, status int) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.s.APIRequests == nil {
		st.s.APIRequests, st.s.Statuses = map[string]int64{}, map[int]int64{}
	}
	switch {
	case route == "POST /oauth/access_token" || route == "POST /oauth/access_token/":
		st.s.TokenRequests++
	case len(route) > 0 && (strings.Contains(route, " /ws/") || route == "(unmatched)"):
		st.s.APIRequests[route]++
	}
	st.s.Statuses[status]++
	if status == 429 {
		st.s.Throttled++
	}
}

func (st *stats) fault() {
	st.mu.Lock()
	st.s.Faults++
	st.mu.Unlock()
}

// Stats returns a copy of the counters.
func (s *Server) Stats() Stats {
	s.stats.mu.Lock()
	defer s.stats.mu.Unlock()
	out := s.stats.s
	out.APIRequests = maps.Clone(s.stats.s.APIRequests)
	out.Statuses = maps.Clone(s.stats.s.Statuses)
	if out.APIRequests == nil {
		out.APIRequests, out.Statuses = map[string]int64{}, map[int]int64{}
	}
	return out
}

// ResetStats zeroes the counters.
func (s *Server) ResetStats() {
	s.stats.mu.Lock()
	s.stats.s = Stats{}
	s.stats.mu.Unlock()
}
