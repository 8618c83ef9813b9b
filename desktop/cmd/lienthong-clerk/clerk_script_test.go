package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"lienthong/internal/proxytest"
	"lienthong/internal/scripttest"

	"lienthong/certs"
	"lienthong/hub/hubtest"
	"lienthong/hub/store"
)

// clerkPDFs are the real test PDFs the clerk scripts send.
const clerkPDFs = "../../clerk/testdata"

// TestClerkScript runs the clerk's subcommands (testdata/clerk/*.txtar)
// against a real in-process hub: each script gets its own hub on loopback,
// the agencies' .p12 files, the roots and the passphrase files in its work
// folder, and $HUB set to the hub's address.
func TestClerkScript(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: "testdata/clerk",
		Setup: func(env *testscript.Env) error {
			t := env.T().(testing.TB)
			h := hubtest.Start(t, hubtest.Options{})
			hub := &scriptHub{t: t, h: h}
			env.Values[scriptHubKey{}] = hub
			env.Defer(func() { hub.h.Stop() })
			files := map[string][]byte{
				"roots.pem":   h.PKI.RootPEM(),
				"pass.txt":    []byte("mật khẩu văn thư\n"),
				"p12pass.txt": []byte("p12-pass\n"),
				"wrong.txt":   []byte("sai\n"),
			}
			for name, code := range map[string]string{"qn": "000.00.00.H49", "na": "000.00.00.H41", "vpcp": "000.00.00.G22"} {
				p12, err := certs.EncodePKCS12(h.Agencies[code].Key, "p12-pass")
				if err != nil {
					return err
				}
				files[name+".p12"] = p12
			}
			for _, pdf := range []string{"cong-van.pdf", "quyet-dinh.pdf", "bao-cao.pdf"} {
				b, err := os.ReadFile(filepath.Join(clerkPDFs, pdf))
				if err != nil {
					return err
				}
				files[pdf] = b
			}
			for name, data := range files {
				if err := os.WriteFile(filepath.Join(env.WorkDir, name), data, 0o600); err != nil {
					return err
				}
			}
			env.Setenv("HUB", h.Addr)
			env.Setenv(EnvPassphrase, "")
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"exitcode": scripttest.ExitStatus,
			"jsonget":  cmdJSONGet,
			"hub":      cmdHub,
			"proxy":    cmdProxy,
		},
	})
}

// cmdJSONGet sets an environment variable from a field of the JSON object
// (or of the first element of the JSON array) that the last command
// printed: jsonget VAR FIELD.
func cmdJSONGet(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: jsonget VAR FIELD")
	}
	out := strings.TrimSpace(ts.ReadFile("stdout"))
	var v any
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		ts.Fatalf("stdout is not JSON: %v", err)
	}
	if list, ok := v.([]any); ok {
		if len(list) == 0 {
			ts.Fatalf("empty JSON array")
		}
		v = list[0]
	}
	obj, ok := v.(map[string]any)
	if !ok {
		ts.Fatalf("stdout is not a JSON object")
	}
	s, ok := obj[args[1]].(string)
	if !ok {
		ts.Fatalf("no string field %q", args[1])
	}
	ts.Setenv(args[0], s)
}

type scriptHubKey struct{}

// cmdProxy starts a real tinyproxy that lets clients CONNECT to the
// script's hub, asking for the credentials USER PASSWORD when given, and
// sets $PROXY to its host:port (proxy start [USER PASSWORD]); or prints
// the targets of the CONNECTs it logged, one a line (proxy connects).
// The proxy is stopped when the script ends.
func cmdProxy(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 {
		ts.Fatalf("usage: proxy start [USER PASSWORD] | proxy connects")
	}
	sh := ts.Value(scriptHubKey{}).(*scriptHub)
	switch {
	case args[0] == "start" && (len(args) == 1 || len(args) == 3):
		_, port, _ := net.SplitHostPort(sh.h.Addr)
		n, err := strconv.Atoi(port)
		ts.Check(err)
		conf := proxytest.Config{ConnectPorts: []int{n}}
		if len(args) == 3 {
			conf.User, conf.Password = args[1], args[2]
		}
		sh.proxy = proxytest.Start(sh.t, conf)
		ts.Setenv("PROXY", sh.proxy.Addr)
	case args[0] == "connects" && len(args) == 1 && sh.proxy != nil:
		for _, c := range sh.proxy.Settled(sh.t) {
			fmt.Fprintln(ts.Stdout(), c)
		}
	default:
		ts.Fatalf("usage: proxy start [USER PASSWORD] | proxy connects (after start)")
	}
}

// scriptHub is a script's hub, which the script may stop and start again.
type scriptHub struct {
	t     testing.TB
	h     *hubtest.Hub
	proxy *proxytest.Proxy // started by the script, if it did
}

// cmdHub stops the script's hub or starts it again over its old state (on
// a new port: $HUB is updated), or closes an agency's code from today,
// succeeded by another: hub stop|start|close CODE SUCCESSOR.
func cmdHub(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 {
		ts.Fatalf("usage: hub stop|start|close CODE SUCCESSOR")
	}
	sh := ts.Value(scriptHubKey{}).(*scriptHub)
	switch args[0] {
	case "close":
		if len(args) != 3 {
			ts.Fatalf("usage: hub close CODE SUCCESSOR")
		}
		_, err := sh.h.Store.CloseAgencies(context.Background(), []store.Succession{{Code: certs.AgencyCode(args[1]),
			On: store.DayOf(time.Now()), Successor: certs.AgencyCode(args[2])}}, time.Now())
		ts.Check(err)
	case "stop":
		sh.h.Stop()
	case "start":
		sh.h = hubtest.Start(sh.t, hubtest.Options{Dir: sh.h.Dir, PKI: sh.h.PKI})
		ts.Setenv("HUB", sh.h.Addr)
	default:
		ts.Fatalf("usage: hub stop|start")
	}
}
