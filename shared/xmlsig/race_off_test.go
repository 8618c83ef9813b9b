//go:build !race

package xmlsig

// raceSlack is 1 without the race detector (see race_on_test.go).
const raceSlack = 1
