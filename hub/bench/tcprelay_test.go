package bench

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"lienthong/certs"
)

func TestRawTCPRelay(t *testing.T) {
	hub, agencies, v := relayPKI(t, 3)
	docs := relayDocs(12, 3, 300<<10)
	var want int64
	for _, d := range docs {
		want += int64(len(d.Data))
	}
	for _, tt := range []struct {
		name  string
		check bool
	}{{"bare", false}, {"checking", true}} {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			res, err := RawTCPRelay(ctx, hub, agencies, v, docs, 4, tt.check, nil)
			if err != nil {
				t.Fatal(err)
			}
			if res.Bytes != want || res.MBPerSec <= 0 || res.CPUPerGB <= 0 || res.Parallel != 4 || res.Checked != tt.check || !res.TCP {
				t.Fatalf("%+v, want %d bytes over TCP", res, want)
			}
		})
	}
}

// serveTCPRelay serves a TCP relay in this process until the test ends,
// as one in a process of its own is reached: by its address.
func serveTCPRelay(t *testing.T, hub *certs.KeyPair, v *certs.Verifier, check bool) *RelayProc {
	ln, err := listenTCPRelay(hub, v)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- ServeTCPRelay(ctx, ln, check) }()
	t.Cleanup(func() {
		cancel()
		if err := <-served; !errors.Is(err, context.Canceled) {
			t.Errorf("the relay stopped with %v, want context.Canceled", err)
		}
	})
	return &RelayProc{Addr: ln.Addr().String(), PID: os.Getpid()}
}

// TestRawTCPRelayRefusesWrongDigest shows that the checking TCP relay
// does the work it is timed for, at the relay and at the recipient each:
// a document whose bytes are not those its SHA-256 names is refused, and
// the run fails at once rather than hang.
func TestRawTCPRelayRefusesWrongDigest(t *testing.T) {
	for _, tt := range []struct {
		name                     string
		relayChecks, endsCheck   bool
		relayInProcess, refusing bool
	}{
		{"relay and recipient check", true, true, true, true},
		{"the relay alone checks", true, false, false, true},
		{"the recipient alone checks", false, true, false, true},
		{"neither checks", false, false, false, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			hub, agencies, v := relayPKI(t, 2)
			docs := relayDocs(6, 2, 64<<10)
			docs[3].SHA256[0] ^= 1
			var at *RelayProc
			if !tt.relayInProcess {
				at = serveTCPRelay(t, hub, v, tt.relayChecks)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			_, err := RawTCPRelay(ctx, hub, agencies, v, docs, 2, tt.endsCheck, at)
			switch {
			case !tt.refusing && err != nil:
				t.Fatalf("no check, yet: %v", err)
			case tt.refusing && (err == nil || !strings.Contains(err.Error(), "document 3") || errors.Is(err, context.DeadlineExceeded)):
				t.Fatalf("a wrong digest relayed: %v", err)
			}
		})
	}
}

// TestRawTCPRelayRefusesUnknownRecipient: a document to an agency that is
// not among the run's is refused before the run, and by the relay, which
// closes the connection it came on rather than wait for that agency.
func TestRawTCPRelayRefusesUnknownRecipient(t *testing.T) {
	hub, agencies, v := relayPKI(t, 2)
	docs := relayDocs(2, 2, 1<<10)
	docs[1].To = 2
	if _, err := RawTCPRelay(context.Background(), hub, agencies, v, docs, 1, true, nil); err == nil {
		t.Fatal("a document to a third agency among two was accepted")
	}

	at := serveTCPRelay(t, hub, v, true)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	ends, err := connectTCPRelay(ctx, at.Addr, agencies, v, 1, true, &wg)
	if err != nil {
		t.Fatal(err)
	}
	defer wg.Wait()
	defer ends.Close()
	if err := ends.send(ctx, 1, docs[1]); err == nil || errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("the relay took a document to agency 2 of two: %v", err)
	}
	docs[0].To = 1
	if err := ends.send(ctx, 0, docs[0]); err != nil {
		t.Fatalf("the relay refused a document to a known agency: %v", err)
	}
}

// TestRawTCPRelayAtProcess relays through a TCP relay reached by its
// address, as one in a process of its own is: the relay side's CPU is
// reported apart. (Enough bytes for some 100 ms of CPU: /proc counts it
// in ticks of 10 ms.)
func TestRawTCPRelayAtProcess(t *testing.T) {
	hub, agencies, v := relayPKI(t, 3)
	at := serveTCPRelay(t, hub, v, true)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := RawTCPRelay(ctx, hub, agencies, v, relayDocs(24, 3, 1<<20), 3, true, at)
	if err != nil {
		t.Fatal(err)
	}
	if res.RelayCPUPerGB <= 0 || res.CPUPerGB < res.RelayCPUPerGB || res.Bytes == 0 || !res.TCP {
		t.Fatalf("%+v: want the relay's CPU apart and within the whole", res)
	}
}

// The report sets the hub's CPU beside the checking TCP relay's, on the
// line after the checking QUIC relay's.
func TestPrintTCPRelay(t *testing.T) {
	res := &Result{
		Raw:              RawResult{MBPerSec: 400},
		RelayChecked:     RelayResult{MBPerSec: 100, RelayCPUPerGB: 4, Checked: true},
		RelayCheckedTCP:  RelayResult{MBPerSec: 250, RelayCPUPerGB: 2, Checked: true, TCP: true},
		Hub:              CPUUse{PerGB: 10},
		HubToRelayCPU:    2.5,
		HubToTCPRelayCPU: 5,
	}
	var out bytes.Buffer
	res.Print(&out)
	want := "  the checking relay's process:      4.00 CPU-s/GB relayed (bare relay's: 0.00); hub process 10.00 CPU-s/GB = 2.50× the checking relay's\n" +
		"  the checking TCP relay's process:     2.00 CPU-s/GB relayed (250.0 MB/s); hub process = 5.00× it\n"
	if !strings.Contains(out.String(), want) {
		t.Fatalf("report lacks\n%s\nin\n%s", want, out.String())
	}
}
