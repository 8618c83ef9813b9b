package store

import (
	"testing"
	"time"
)

// TestDays: closing days are Vietnam's dates, kept as midnight UTC.
func TestDays(t *testing.T) {
	july1 := time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		at   time.Time
		want time.Time
	}{
		{"JustAfterMidnightInHanoi", time.Date(2025, 6, 30, 17, 30, 0, 0, time.UTC), july1},
		{"JustBeforeMidnightInHanoi", time.Date(2025, 7, 1, 16, 59, 0, 0, time.UTC), july1},
		{"LateEveningInHanoi", time.Date(2025, 6, 30, 16, 59, 0, 0, time.UTC), july1.AddDate(0, 0, -1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := DayOf(tc.at); !got.Equal(tc.want) || !IsDay(got) {
				t.Fatalf("DayOf(%s) = %s", tc.at, got)
			}
		})
	}
	for _, s := range []string{"2025-07-01", "01/07/2025", " 2025-07-01 "} {
		if d, err := ParseDay(s); err != nil || !d.Equal(july1) || !IsDay(d) {
			t.Errorf("ParseDay(%q) = %s, %v", s, d, err)
		}
	}
	for _, s := range []string{"", "2025-7-1", "31/06/2025", "2025-07-01T00:00:00Z", "hôm nay"} {
		if _, err := ParseDay(s); err == nil {
			t.Errorf("ParseDay(%q) took it", s)
		}
	}
	if IsDay(july1.Add(time.Hour)) || IsDay(july1.In(time.FixedZone("ICT", 7*3600))) || IsDay(time.Time{}) {
		t.Error("IsDay takes what is not midnight UTC")
	}
}
