package mirror

import (
	"testing"
	"time"
)

func TestReadFrom(t *testing.T) {
	probe := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		w     string
		probe time.Time
		want  string
	}{
		// A busy table: the look-back before the watermark.
		{"2026-12-03T08:59:00Z", probe, "2026-12-03T08:54:00Z"},
		// An idle table: before the last probe, less the skew allowance.
		{"2025-08-01T06:00:00Z", probe, "2026-12-03T07:55:00Z"},
		{"2025-08-01T06:00:00Z", time.Time{}, "2025-08-01T05:55:00Z"},
		// No zone: the district's local time, the watermark alone.
		{"2025-08-01 06:00:00", probe, "2025-08-01 05:55:00"},
		{"2025-08-01T06:00:00", probe, "2025-08-01T05:55:00"},
		{"2025-08-01", probe, "2025-07-31"},
		{"4403", probe, "4403"},
	} {
		if got := readFrom(c.w, c.probe, 5*time.Minute); got != c.want {
			t.Errorf("readFrom(%q, %v) = %q, want %q", c.w, c.probe, got, c.want)
		}
	}
}
