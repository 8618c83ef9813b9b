//go:build race

package clerk_test

// raceDetector is true when the tests run under the race detector, which
// makes hashing and signing of very large files tens of times slower.
const raceDetector = true
