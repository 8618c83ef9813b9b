package apitest

import (
	"fmt"
	"os"
	"testing"

	"lienthong/hub/hubtest"
)

// Run runs a test package's tests with every hub they start through
// hubtest checked against the published API (a Recorder over each hub's
// handler, hubtest.Observe), and returns the exit code for TestMain: the
// tests' own, or 1 when a request the hub accepted or an answer it gave
// breaks the document. Call it from TestMain, after anything TestMain does
// first (a child process's branch):
//
//	func TestMain(m *testing.M) { os.Exit(apitest.Run(m)) }
func Run(m *testing.M) int {
	rec, err := NewRecorder()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	hubtest.Observe = rec.Wrap
	code := m.Run()
	for _, p := range rec.Problems() {
		fmt.Fprintln(os.Stderr, "API schema:", p)
		code = 1
	}
	return code
}
