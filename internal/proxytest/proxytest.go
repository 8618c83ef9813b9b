// Package proxytest runs a real HTTP proxy, Debian's tinyproxy, on a
// loopback port for tests of clients that reach the hub through a CONNECT
// proxy. A test that needs it fails when tinyproxy is not installed
// (packaging/install-deps.sh installs it); the proxy is stopped, its
// process group killed, when the test ends.
package proxytest

import (
	"bytes"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"lienthong/hub/bench"
)

// Config is the proxy's configuration.
type Config struct {
	// ConnectPorts are the ports the proxy lets clients CONNECT to; a
	// CONNECT to another port is refused with 403.
	ConnectPorts []int
	// User and Password, when User is set, are the Basic credentials the
	// proxy asks for (407 without them).
	User, Password string
}

// Proxy is a running tinyproxy.
type Proxy struct {
	Addr  string // host:port
	cmd   *exec.Cmd
	out   *syncBuffer
	marks int // Settled's markers sent
}

// Start starts tinyproxy with conf on a free loopback port and waits until
// it accepts connections.
func Start(t testing.TB, conf Config) *Proxy {
	t.Helper()
	bin, err := exec.LookPath("tinyproxy")
	if err != nil {
		t.Fatalf("tinyproxy is not installed (packaging/install-deps.sh installs it): %v", err)
	}
	port, err := bench.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	var cf bytes.Buffer
	fmt.Fprintf(&cf, "Port %d\nListen 127.0.0.1\nTimeout 60\nLogLevel Connect\nMaxClients 50\nAllow 127.0.0.1\n", port)
	for _, p := range conf.ConnectPorts {
		fmt.Fprintf(&cf, "ConnectPort %d\n", p)
	}
	if conf.User != "" {
		fmt.Fprintf(&cf, "BasicAuth %s %s\n", conf.User, conf.Password)
	}
	path := filepath.Join(t.TempDir(), "tinyproxy.conf")
	if err := os.WriteFile(path, cf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	p := &Proxy{Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), out: &syncBuffer{}}
	p.cmd = exec.Command(bin, "-d", "-c", path) // -d: in the foreground, the log on stdout
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start tinyproxy: %v", err)
	}
	done := make(chan struct{})
	go func() { p.cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-done
	})
	for deadline := time.Now().Add(10 * time.Second); ; {
		c, err := net.Dial("tcp", p.Addr)
		if err == nil {
			c.Close()
			break
		}
		select {
		case <-done:
			t.Fatalf("tinyproxy exited: %s", p.out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("tinyproxy does not listen on %s: %v\n%s", p.Addr, err, p.out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	return p
}

// URL is the proxy's URL with the credentials user and password (none
// when user is empty).
func (p *Proxy) URL(user, password string) *url.URL {
	u := &url.URL{Scheme: "http", Host: p.Addr}
	if user != "" {
		u.User = url.UserPassword(user, password)
	}
	return u
}

var connectRe = regexp.MustCompile(`Request \(file descriptor \d+\): CONNECT (\S+) HTTP`)

// Connects returns the targets of the CONNECT requests the proxy has
// logged so far, in order (see Settled).
func (p *Proxy) Connects() []string { return unmarked(p.connects()) }

func (p *Proxy) connects() []string {
	var out []string
	for _, m := range connectRe.FindAllStringSubmatch(p.out.String(), -1) {
		out = append(out, m[1])
	}
	return out
}

// unmarked leaves Settled's markers out.
func unmarked(targets []string) []string {
	return slices.DeleteFunc(slices.Clone(targets), func(s string) bool { return strings.HasPrefix(s, "proxytest-mark-") })
}

// Settled returns the targets of every CONNECT the proxy logged before
// the call, none missing: its log reaches this process through a pipe, a
// little after the proxy answered, so Settled sends a CONNECT of its own
// to a marker target and waits until the log shows it (10 s at most).
func (p *Proxy) Settled(t testing.TB) []string {
	t.Helper()
	p.marks++
	mark := fmt.Sprintf("proxytest-mark-%d.invalid:1", p.marks)
	c, err := net.Dial("tcp", p.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n", mark, mark)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		all := p.connects()
		if i := slices.Index(all, mark); i >= 0 {
			return unmarked(all[:i])
		}
		if time.Now().After(deadline) {
			t.Fatalf("the proxy did not log the CONNECT to %s:\n%s", mark, p.Log())
		}
	}
}

// Log returns the proxy's log so far.
func (p *Proxy) Log() string { return p.out.String() }

// syncBuffer is a buffer the proxy's output is copied into while tests
// read it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(b []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(b)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
