//go:build !race

package pades

// raceAlloc scales the tests' allocation bounds (see race_on_test.go).
const raceAlloc = 1
