package document

import (
	"errors"
	"fmt"
	"time"
)

// VietnamTime is Vietnam's time zone, Asia/Ho_Chi_Minh: UTC+07:00 all year
// round, without daylight saving since 1975. It is a fixed zone so that the
// hub and the desktop give the same dates whether or not the time zone
// database is installed.
var VietnamTime = time.FixedZone("ICT", 7*60*60)

// RegisterYear returns the year of the registers (sổ đăng ký) that an event
// at t belongs to. Outgoing and incoming numbers start again at 1 on
// 1 January and run to 31 December, Vietnam time: 2024-12-31T17:30Z is
// already 2025 in Hà Nội.
func RegisterYear(t time.Time) int { return t.In(VietnamTime).Year() }

// Date is a calendar date (ngày tháng) without a time of day, as on a
// document's promulgation line or its due date. The zero Date means "no
// date". In JSON it is a string "2006-01-02"; in a [DocumentID] it is
// written "2006/01/02".
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// ErrBadDate reports a string that is not a valid calendar date.
var ErrBadDate = errors.New("malformed date")

// DateOf returns the date of t in Vietnam.
func DateOf(t time.Time) Date {
	y, m, d := t.In(VietnamTime).Date()
	return Date{y, m, d}
}

// NewDate returns the given date; see [Date.Valid] to check it.
func NewDate(year int, month time.Month, day int) Date { return Date{year, month, day} }

// IsZero reports the zero Date, which stands for "no date".
func (d Date) IsZero() bool { return d == Date{} }

// Valid reports whether d is a real calendar date with a four-digit year.
func (d Date) Valid() bool {
	if d.Year < 1 || d.Year > 9999 || d.Month < 1 || d.Month > 12 || d.Day < 1 {
		return false
	}
	return d.Day <= daysIn(d.Year, d.Month)
}

func daysIn(year int, month time.Month) int {
	return time.Date(year, month+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// Time returns the start of the day d in Vietnam.
func (d Date) Time() time.Time { return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, VietnamTime) }

// Compare returns -1, 0 or +1 as d is before, equal to or after e.
func (d Date) Compare(e Date) int {
	switch {
	case d.Year != e.Year:
		return cmpInt(d.Year, e.Year)
	case d.Month != e.Month:
		return cmpInt(int(d.Month), int(e.Month))
	default:
		return cmpInt(d.Day, e.Day)
	}
}

// Before reports whether d is before e.
func (d Date) Before(e Date) bool { return d.Compare(e) < 0 }

// After reports whether d is after e.
func (d Date) After(e Date) bool { return d.Compare(e) > 0 }

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// String returns the date as "2006-01-02".
func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day) }

// Slashed returns the date as "2006/01/02", the form of a [DocumentID].
func (d Date) Slashed() string { return fmt.Sprintf("%04d/%02d/%02d", d.Year, int(d.Month), d.Day) }

// ParseDate reads a date written "2006-01-02".
func ParseDate(s string) (Date, error) {
	d, ok := parseYMD(s, '-')
	if !ok {
		return Date{}, fmt.Errorf("%w %q: want yyyy-mm-dd", ErrBadDate, s)
	}
	return d, nil
}

// parseSlashedDate reads "yyyy/MM/dd" and, because some edXML
// implementations write it so, "dd/MM/yyyy".
func parseSlashedDate(s string) (Date, error) {
	if d, ok := parseYMD(s, '/'); ok {
		return d, nil
	}
	if len(s) == 10 && s[2] == '/' && s[5] == '/' {
		if d, ok := parseYMD(s[6:]+"/"+s[3:5]+"/"+s[:2], '/'); ok {
			return d, nil
		}
	}
	return Date{}, fmt.Errorf("%w %q: want yyyy/MM/dd or dd/MM/yyyy", ErrBadDate, s)
}

func parseYMD(s string, sep byte) (Date, bool) {
	if len(s) != 10 || s[4] != sep || s[7] != sep {
		return Date{}, false
	}
	y, ok1 := atoiDigits(s[:4])
	m, ok2 := atoiDigits(s[5:7])
	dd, ok3 := atoiDigits(s[8:])
	d := Date{y, time.Month(m), dd}
	if !ok1 || !ok2 || !ok3 || !d.Valid() {
		return Date{}, false
	}
	return d, true
}

func atoiDigits(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, len(s) > 0
}

// MarshalText writes the date as "2006-01-02".
func (d Date) MarshalText() ([]byte, error) {
	if d.IsZero() {
		return []byte{}, nil
	}
	if !d.Valid() {
		return nil, fmt.Errorf("%w: %d-%d-%d is not a calendar date", ErrBadDate, d.Year, int(d.Month), d.Day)
	}
	return []byte(d.String()), nil
}

// UnmarshalText reads a date written "2006-01-02"; the empty string is the
// zero Date.
func (d *Date) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*d = Date{}
		return nil
	}
	v, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}
