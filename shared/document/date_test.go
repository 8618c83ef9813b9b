package document

import (
	"encoding/json"
	"testing"
	"time"
)

func TestRegisterYear(t *testing.T) {
	tests := []struct {
		name string
		at   time.Time
		want int
	}{
		{"new year's eve in UTC is new year in Hanoi", time.Date(2024, 12, 31, 17, 0, 0, 0, time.UTC), 2025},
		{"one second before midnight in Hanoi", time.Date(2024, 12, 31, 16, 59, 59, 0, time.UTC), 2024},
		{"midday", time.Date(2025, 6, 1, 5, 0, 0, 0, time.UTC), 2025},
		{"given in another zone", time.Date(2025, 1, 1, 1, 0, 0, 0, time.FixedZone("CET", 3600)), 2025},
		{"US evening already next year in Hanoi", time.Date(2025, 12, 31, 12, 30, 0, 0, time.FixedZone("EST", -5*3600)), 2026},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := RegisterYear(tt.at); got != tt.want {
				t.Errorf("RegisterYear(%v) = %d, want %d", tt.at, got, tt.want)
			}
		})
	}
}

func TestVietnamTimeIsFixedUTCPlus7(t *testing.T) {
	for _, at := range []time.Time{
		time.Date(2025, 1, 15, 0, 0, 0, 0, time.UTC),
		time.Date(2025, 7, 15, 0, 0, 0, 0, time.UTC),
	} {
		if _, off := at.In(VietnamTime).Zone(); off != 7*3600 {
			t.Errorf("offset at %v = %d, want 25200", at, off)
		}
	}
	if got := DateOf(time.Date(2025, 3, 5, 20, 0, 0, 0, time.UTC)); got != NewDate(2025, 3, 6) {
		t.Errorf("DateOf 20:00Z = %v, want 2025-03-06", got)
	}
}

func TestDateValid(t *testing.T) {
	tests := []struct {
		name string
		d    Date
		want bool
	}{
		{"ordinary", NewDate(2015, 9, 30), true},
		{"leap day", NewDate(2024, 2, 29), true},
		{"no leap day", NewDate(2025, 2, 29), false},
		{"century not leap", NewDate(1900, 2, 29), false},
		{"400 years leap", NewDate(2000, 2, 29), true},
		{"day 31 in a 30-day month", NewDate(2025, 4, 31), false},
		{"month 13", NewDate(2025, 13, 1), false},
		{"day 0", NewDate(2025, 1, 0), false},
		{"year 0", NewDate(0, 1, 1), false},
		{"five-digit year", NewDate(10000, 1, 1), false},
		{"zero", Date{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.d.Valid(); got != tt.want {
				t.Errorf("%+v.Valid() = %v, want %v", tt.d, got, tt.want)
			}
		})
	}
}

func TestParseDate(t *testing.T) {
	tests := []struct {
		name, in string
		want     Date
		wantErr  bool
	}{
		{"iso", "2015-09-30", NewDate(2015, 9, 30), false},
		{"slashes", "2015/09/30", Date{}, true},
		{"short", "2015-9-30", Date{}, true},
		{"not a date", "2015-02-30", Date{}, true},
		{"letters", "20x5-09-30", Date{}, true},
		{"signs", "+015-09-30", Date{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseDate(tt.in)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("ParseDate(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestDateJSON(t *testing.T) {
	type wrap struct {
		D Date `json:"d,omitzero"`
	}
	tests := []struct {
		name string
		in   wrap
		want string
	}{
		{"date", wrap{NewDate(2025, 1, 2)}, `{"d":"2025-01-02"}`},
		{"zero is omitted", wrap{}, `{}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := json.Marshal(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tt.want {
				t.Errorf("Marshal = %s, want %s", b, tt.want)
			}
			var back wrap
			if err := json.Unmarshal(b, &back); err != nil || back != tt.in {
				t.Errorf("Unmarshal(%s) = %+v, %v; want %+v", b, back, err, tt.in)
			}
		})
	}
	if _, err := json.Marshal(wrap{NewDate(2025, 2, 30)}); err == nil {
		t.Error("Marshal of 2025-02-30 succeeded")
	}
}

func TestDateOrder(t *testing.T) {
	a, b := NewDate(2024, 12, 31), NewDate(2025, 1, 1)
	if !a.Before(b) || a.After(b) || !b.After(a) || a.Compare(a) != 0 {
		t.Errorf("order of %v and %v is wrong", a, b)
	}
	if got := b.Time(); !got.Equal(time.Date(2024, 12, 31, 17, 0, 0, 0, time.UTC)) {
		t.Errorf("%v.Time() = %v, want midnight in Hanoi", b, got)
	}
}
