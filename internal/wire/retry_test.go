package wire

import (
	"net/http"
	"testing"
	"time"
)

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 31, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"3", 3 * time.Second, true},
		{"0", 0, true},
		{"Sat, 31 Jan 2026 12:00:05 GMT", 5 * time.Second, true},
		{"Sat, 31 Jan 2026 11:00:00 GMT", 0, true}, // in the past
		{"-1", 0, false},
		{"soon", 0, false},
		{"", 0, false},
	} {
		got, ok := ParseRetryAfter(tc.in, now)
		if got != tc.want || ok != tc.ok {
			t.Errorf("ParseRetryAfter(%q) = %s, %v; want %s, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestBackoffHonoursRetryAfterDateWithCap(t *testing.T) {
	b := RetryPolicy{MaxRetryAfter: 80 * time.Millisecond}.Backoff
	date := time.Now().Add(time.Hour).UTC().Format(http.TimeFormat)
	resp := &http.Response{StatusCode: 429, Header: http.Header{"Retry-After": {date}}}
	if d := b(time.Millisecond, time.Second, 0, resp); d != 80*time.Millisecond {
		t.Errorf("Retry-After an hour away with an 80ms cap waited %s", d)
	}
	resp.Header.Set("Retry-After", time.Now().Add(40*time.Second).UTC().Format(http.TimeFormat))
	if d := (RetryPolicy{MaxRetryAfter: time.Minute}).Backoff(time.Millisecond, time.Second, 0, resp); d < 38*time.Second || d > 41*time.Second {
		t.Errorf("Retry-After date 40s away waited %s", d)
	}
	for attempt := range 10 {
		d := b(10*time.Millisecond, 100*time.Millisecond, attempt, nil)
		want := min(10*time.Millisecond<<attempt, 100*time.Millisecond)
		if d < want/2 || d > want {
			t.Errorf("attempt %d: backoff %s outside [%s, %s]", attempt, d, want/2, want)
		}
	}
}
