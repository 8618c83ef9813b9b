package hubclient_test

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"

	"lienthong/hub/hubtest"
	"lienthong/shared/hubclient"
)

// upload uploads n random bytes as agency c.
func upload(t *testing.T, c *hubclient.Client, n int) {
	t.Helper()
	data := make([]byte, n)
	rand.Read(data)
	sum := sha256.Sum256(data)
	if err := c.Upload(testContext(t), hex.EncodeToString(sum[:]), bytes.NewReader(data), int64(n), 0, nil); err != nil {
		t.Fatalf("upload of %d bytes: %v", n, err)
	}
}

// TestBulkTransfersOverTCP: by default a request that sends more than
// BulkMin bytes, or streams its answer, goes over TCP while the others go
// over QUIC; with BulkQUIC all go over QUIC.
func TestBulkTransfersOverTCP(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{})
	a := h.Agencies["000.00.00.H49"]
	for _, bulkQUIC := range []bool{false, true} {
		c, err := hubclient.New(h.Addr, a.Key, h.Verifier(), hubclient.Options{ServerName: "localhost", BulkQUIC: bulkQUIC})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		upload(t, c, hubclient.BulkMin)
		if c.Transport() != "h3" || c.BulkTransport() != "" {
			t.Fatalf("BulkQUIC %v: an upload of BulkMin bytes went over %q, a bulk transfer over %q: want h3 and none", bulkQUIC, c.Transport(), c.BulkTransport())
		}
		want := map[bool]string{false: "h2", true: "h3"}[bulkQUIC]
		upload(t, c, hubclient.BulkMin+1)
		if c.BulkTransport() != want || c.Transport() != "h3" {
			t.Fatalf("BulkQUIC %v: an upload of more than BulkMin bytes went over %q, the rest over %q: want %s and h3", bulkQUIC, c.BulkTransport(), c.Transport(), want)
		}
		c2, err := hubclient.New(h.Addr, a.Key, h.Verifier(), hubclient.Options{ServerName: "localhost", BulkQUIC: bulkQUIC})
		if err != nil {
			t.Fatal(err)
		}
		defer c2.Close()
		if _, err := c2.Download(testContext(t), strings.Repeat("0", 32), strings.Repeat("0", 64), 0, &bytes.Buffer{}); !errors.Is(err, hubclient.ErrNotFound) {
			t.Fatalf("download of nothing: %v", err)
		}
		if c2.BulkTransport() != want || c2.Transport() != "" {
			t.Fatalf("BulkQUIC %v: a download went over %q, with %q recorded for other requests: want %s and none", bulkQUIC, c2.BulkTransport(), c2.Transport(), want)
		}
	}
}

// TestBulkOverQUICWhenTCPIsBlocked: when the hub cannot be reached over
// TCP, a bulk transfer goes over QUIC instead, and so do the next.
func TestBulkOverQUICWhenTCPIsBlocked(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{})
	addr := udpForwarder(t, h.Addr)
	a := h.Agencies["000.00.00.H49"]
	var log bytes.Buffer
	c, err := hubclient.New(addr, a.Key, h.Verifier(), hubclient.Options{ServerName: "localhost", Logger: slog.New(slog.NewTextHandler(&log, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for range 2 {
		upload(t, c, hubclient.BulkMin+1)
		if c.BulkTransport() != "h3" {
			t.Fatalf("with TCP blocked an upload went over %q", c.BulkTransport())
		}
	}
	if n := strings.Count(log.String(), "TCP unreachable"); n != 1 {
		t.Fatalf("TCP was tried and found unreachable %d times for 2 uploads, want once:\n%s", n, log.String())
	}
	c.Close()
	h.Stop() // while the forwarder carries the client's goodbye, which the hub waits for
}

// udpForwarder relays UDP datagrams between a new loopback port and to
// (the hub's QUIC), one upstream socket per client address, until the
// test ends; nothing listens on TCP at its port.
func udpForwarder(t *testing.T, to string) string {
	t.Helper()
	up, err := net.ResolveUDPAddr("udp", to)
	if err != nil {
		t.Fatal(err)
	}
	pc, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	ups := map[string]*net.UDPConn{}
	t.Cleanup(func() {
		pc.Close()
		mu.Lock()
		for _, u := range ups {
			u.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	wg.Go(func() {
		buf := make([]byte, 64<<10)
		for {
			n, from, err := pc.ReadFromUDP(buf)
			if err != nil {
				return
			}
			mu.Lock()
			u := ups[from.String()]
			if u == nil {
				if u, err = net.DialUDP("udp", nil, up); err != nil {
					mu.Unlock()
					return
				}
				ups[from.String()] = u
				wg.Go(func() {
					back := make([]byte, 64<<10)
					for {
						n, err := u.Read(back)
						if err != nil {
							return
						}
						pc.WriteToUDP(back[:n], from)
					}
				})
			}
			mu.Unlock()
			u.Write(buf[:n])
		}
	})
	return pc.LocalAddr().String()
}
