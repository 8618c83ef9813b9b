package certs

import (
	"errors"
	"fmt"
	"strings"
)

// AgencyURIPrefix starts the URI subject alternative name that carries an
// agency's code (mã định danh) in its certificates.
const AgencyURIPrefix = "urn:lienthong:agency:"

// ErrBadAgencyCode reports a string that is not a well-formed agency code.
var ErrBadAgencyCode = errors.New("malformed agency code")

// AgencyCode is an agency's identifier (mã định danh) in the QCVN 102 form
// V1V2V3.Z1Z2.Y1Y2.H49: four dot-separated groups of 3, 2, 2 and 3
// characters, 13 in all. The last group names the level-1 body (a letter and
// two digits, e.g. G22 or H49); the groups to its left are levels 2 to 4,
// and a group of zeros means "this level is the body itself".
type AgencyCode string

// ParseAgencyCode checks s and returns it as an AgencyCode. Letters are
// accepted in upper case only, since codes are compared byte for byte.
func ParseAgencyCode(s string) (AgencyCode, error) {
	if len(s) != 13 {
		return "", fmt.Errorf("%w %q: want 13 characters like 000.00.00.H49, got %d", ErrBadAgencyCode, s, len(s))
	}
	groups := strings.Split(s, ".")
	if len(groups) != 4 || len(groups[0]) != 3 || len(groups[1]) != 2 || len(groups[2]) != 2 || len(groups[3]) != 3 {
		return "", fmt.Errorf("%w %q: want four groups of 3, 2, 2 and 3 characters like 000.00.00.H49", ErrBadAgencyCode, s)
	}
	for _, g := range groups[:3] {
		for _, c := range g {
			if !isUpperAlnum(c) {
				return "", fmt.Errorf("%w %q: group %q may hold only digits and upper-case letters", ErrBadAgencyCode, s, g)
			}
		}
	}
	top := groups[3]
	if top[0] < 'A' || top[0] > 'Z' || !isDigit(rune(top[1])) || !isDigit(rune(top[2])) {
		return "", fmt.Errorf("%w %q: the last group must be a letter and two digits like H49", ErrBadAgencyCode, s)
	}
	return AgencyCode(s), nil
}

// Level returns the agency's level in the national directory: 1 for a
// ministry or province (000.00.00.H49), up to 4 for a body three levels
// below it.
func (c AgencyCode) Level() int {
	groups := strings.Split(string(c), ".")
	for i := 0; i < 3; i++ {
		if strings.Trim(groups[i], "0") != "" {
			return 4 - i
		}
	}
	return 1
}

// Parent returns the code of the body one level up, and false for a level-1
// body.
func (c AgencyCode) Parent() (AgencyCode, bool) {
	groups := strings.Split(string(c), ".")
	for i := 0; i < 3; i++ {
		if strings.Trim(groups[i], "0") != "" {
			groups[i] = strings.Repeat("0", len(groups[i]))
			return AgencyCode(strings.Join(groups, ".")), true
		}
	}
	return "", false
}

// URI returns the URI subject alternative name that names this agency.
func (c AgencyCode) URI() string { return AgencyURIPrefix + string(c) }

func (c AgencyCode) String() string { return string(c) }

func isDigit(c rune) bool      { return c >= '0' && c <= '9' }
func isUpperAlnum(c rune) bool { return isDigit(c) || (c >= 'A' && c <= 'Z') }
