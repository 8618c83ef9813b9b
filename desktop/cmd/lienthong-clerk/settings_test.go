//go:build cgo

package main

import (
	"encoding/json"
	"strings"
	"testing"

	"lienthong/hub/hubtest"
)

// TestSettingsPollHub: settings --poll-hub keeps the long-poll front's
// address, shows it, and "none" puts the polls back at the hub; an address
// without a port is a usage error that changes nothing.
func TestSettingsPollHub(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{})
	f := h.StartFront(t, nil)
	d := newDesk(t, h, nil)
	if out := d.must(append([]string{"settings", "--poll-hub", f.Addr()}, d.home("qn")...)...); !strings.Contains(out, "polls  "+f.Addr()+"\n") {
		t.Fatalf("settings does not show the poll address:\n%s", out)
	}
	if code, _, stderr := d.run(append([]string{"settings", "--poll-hub", "front"}, d.home("qn")...)...); code != 2 || !strings.Contains(stderr, "--poll-hub") {
		t.Fatalf("a poll address without a port: exit %d, %s", code, stderr)
	}
	var v settingsView
	if err := json.Unmarshal([]byte(d.must(append([]string{"settings", "--json"}, d.home("qn")...)...)), &v); err != nil || v.Poll != f.Addr() {
		t.Fatalf("settings --json: %+v %v", v, err)
	}
	d.must(append([]string{"sync"}, d.home("qn")...)...)
	if out := d.must(append([]string{"settings", "--poll-hub", "none"}, d.home("qn")...)...); !strings.Contains(out, "polls  (at the hub)\n") {
		t.Fatalf("settings --poll-hub none:\n%s", out)
	}
}
