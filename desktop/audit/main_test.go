package audit

import (
	"os"
	"testing"

	"lienthong/hub/apitest"
)

// TestMain checks every hub these tests start against the published API.
func TestMain(m *testing.M) { os.Exit(apitest.Run(m)) }
