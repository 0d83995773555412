package wire

import (
	"math"
	"time"
)

// paceModel is the Pacer's policy: what spacing between requests to keep,
// learnt from which gaps the server accepted and which it refused. It holds
// no clock and no locks, so it can be driven by a simulated server.
//
// A server with a minimum interval I refuses a request that arrives less
// than I after the last request it accepted; a refused request does not
// move its clock. So a request's gap (its send time less that of the latest
// earlier request not refused) is evidence: refused, I is above the gap;
// accepted, I is at most the gap. Arrival times differ from send times by
// scheduling jitter, so the evidence is noisy near I.
type paceModel struct {
	min     time.Duration // known limit (WithRateLimit): never faster
	spacing time.Duration // current spacing; 0 while no refusal is known

	throttled bool          // a refusal has been seen
	lo        time.Duration // largest refused gap not contradicted by a shorter accepted one
	hiAcc     time.Duration // shortest accepted gap above lo (0: none yet)
	hiHint    time.Duration // upper bound from Retry-After: gap + wait (0: none)
	margin    float64       // kept above lo; grows with refusals jitter explains

	contradicted int // refusals of gaps once accepted since the last acceptance
}

// Policy constants.
const (
	paceSeed = 10 * time.Millisecond // lowest first probe when nothing is known
	paceMax  = time.Minute           // slowest pace learnt or accepted

	paceMarginMin  = 0.05 // kept above the largest refused gap
	paceMarginStep = 0.05 // added at each refusal of a gap once accepted
	paceMarginMax  = 0.5  // beyond this, such refusals mean the server tightened
	paceBisect     = 1.5  // bounds further apart than this are bisected
	paceDescent    = 16   // an accepted request shortens the spacing by 1/16 towards the floor
)

// refused takes a refusal of a request sent gap after the latest earlier
// request not refused (gap < 0: unknown), with the server's Retry-After
// (0: none). evidence is false when the gap bounds nothing: for a request
// sent before any refusal was known (sent unpaced, in a burst, it may have
// reached the server after requests sent later), or when the request the
// gap runs from was answered late (it may have reached the server late, a
// stalled machine, so the server saw a shorter gap). The spacing never
// shortens on a refusal.
func (m *paceModel) refused(gap, retryAfter time.Duration, evidence bool) {
	m.throttled = true
	if m.margin == 0 {
		m.margin = paceMarginMin
	}
	if gap >= 0 {
		switch {
		case gap <= m.lo || !evidence:
			// Sent closer than a spacing already known to be refused
			// (queued or in flight at an older pace): nothing new.
		case m.hiAcc > 0 && gap >= m.hiAcc:
			// A gap the server once accepted, refused now: arrival jitter
			// compressed it, so keep a wider margin (past the widest, the
			// server has tightened).
			if !m.contradict(gap) {
				m.margin = min(m.margin+paceMarginStep, paceMarginMax)
			}
		default:
			m.lo = gap
		}
		if m.hiHint > 0 && gap >= m.hiHint {
			m.hiHint = 0 // the hint was wrong (a capped or coarse Retry-After)
		}
		if retryAfter > 0 {
			// The server asks to wait at most retryAfter: its interval is
			// at most gap + retryAfter.
			if h := gap + retryAfter; m.hiHint == 0 || h < m.hiHint {
				m.hiHint = h
			}
		}
	}
	t, bisect := m.target()
	if !bisect {
		// Refused on the way down, with the bounds close: go back to the
		// shortest accepted gap and come down again from there, rather
		// than creep up from lo a refusal at a time.
		if m.hiAcc > 0 {
			t = max(t, m.hiAcc)
		} else if m.hiHint > 0 {
			t = max(t, time.Duration(math.Sqrt(float64(m.lo)*float64(m.hiHint))))
		}
	}
	m.spacing = m.clamp(max(m.spacing, t))
}

// upper is the least upper bound known (0: none).
func (m *paceModel) upper() time.Duration {
	hi := m.hiAcc
	if m.hiHint > 0 && (hi == 0 || m.hiHint < hi) {
		hi = m.hiHint
	}
	return hi
}

// contradict notes a refusal the bounds do not explain, and starts
// learning anew (reporting true) when the server has tightened: the third
// such refusal with nothing accepted between, or one past the widest
// margin. The new lower bound is the spacing the refusals kept coming at,
// not the gap, which a stall may have stretched.
func (m *paceModel) contradict(gap time.Duration) bool {
	m.contradicted++
	if m.contradicted < 3 && m.margin < paceMarginMax {
		return false
	}
	m.lo, m.hiAcc, m.hiHint, m.margin, m.contradicted = min(gap, m.spacing), 0, 0, paceMarginMin, 0
	return true
}

// accepted takes an answer other than a refusal to a request sent gap
// after the latest earlier request not refused (gap < 0: unknown).
// evidence is false for a request sent before any refusal was known (its
// gap says nothing about a limit) or answered late (it may have reached
// the server late, so the server saw a longer gap).
func (m *paceModel) accepted(gap time.Duration, evidence bool) {
	if !m.throttled {
		return
	}
	m.contradicted = 0
	if evidence && gap > m.lo && (m.hiAcc == 0 || gap < m.hiAcc) {
		m.hiAcc = gap
	}
	m.margin = max(paceMarginMin, m.margin-paceMarginStep/128)
	m.lo -= m.lo / 16384 // a server that relents is followed, slowly
	t, bisect := m.target()
	if t >= m.spacing || gap < 0 || float64(gap) > float64(m.spacing)*(1+2*paceMarginStep) {
		// Only a gap near the spacing says the spacing works (the retry
		// of a refusal, for one, leaves a gap twice as long).
		return
	}
	if !bisect {
		t = max(t, m.spacing-m.spacing/paceDescent)
	}
	m.spacing = m.clamp(t)
}

// target is the spacing the evidence calls for, and whether it is a probe
// between bounds still far apart (taken at once) rather than the settled
// floor (approached gradually).
func (m *paceModel) target() (time.Duration, bool) {
	if !m.throttled {
		return 0, false
	}
	floor := time.Duration(float64(m.lo) * (1 + m.margin))
	hi := m.upper()
	switch {
	case hi == 0:
		// No upper bound yet: grow fast to find one.
		return max(paceSeed, 4*m.lo), true
	case float64(hi) > paceBisect*float64(floor):
		// Probe the geometric middle: each probe halves the ratio's
		// logarithm, at the cost of a refusal about every other one.
		lo := max(m.lo, min(paceSeed, hi/4))
		return time.Duration(math.Sqrt(float64(lo) * float64(hi))), true
	default:
		return max(floor, m.lo+1), false
	}
}

func (m *paceModel) clamp(d time.Duration) time.Duration {
	return min(max(d, m.min), paceMax)
}
