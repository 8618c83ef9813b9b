package hubclient_test

import (
	"os"
	"testing"

	"lienthong/hub/apitest"
)

// TestMain checks every hub these tests start against the published API:
// what this client sends, and what it is answered, is what the document
// says.
func TestMain(m *testing.M) { os.Exit(apitest.Run(m)) }
