package boltstore_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"lienthong/certs"
	"lienthong/hub/store"
	"lienthong/hub/store/boltstore"
	"lienthong/hub/store/storetest"
)

// crashDirEnv, when set, makes TestCrashChild the child of TestCrash: it
// hammers the store in that directory until it is killed.
const crashDirEnv = "LIENTHONG_STORE_CRASH_DIR"

// crashModeEnv chooses the child's group commit: "batch" for
// CommitBoltBatch, else the default.
const crashModeEnv = "LIENTHONG_STORE_CRASH_MODE"

var crashAgencies = []certs.AgencyCode{storetest.Quangninh, storetest.Govoffice, storetest.Nghean, storetest.Caobang}

// TestCrashChild is not a test on its own: TestCrash runs the test binary
// again with crashDirEnv set and SIGKILLs it.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv(crashDirEnv)
	if dir == "" {
		t.Skip("run by TestCrash only")
	}
	var opts boltstore.Options
	if os.Getenv(crashModeEnv) == "batch" {
		opts.GroupCommit = boltstore.CommitBoltBatch
	}
	s, err := boltstore.Open(dir, opts)
	if err != nil {
		fmt.Fprintf(os.Stdout, "E open: %v\n", err)
		os.Exit(2)
	}
	ctx := context.Background()
	var mu sync.Mutex
	report := func(format string, args ...any) {
		line := fmt.Sprintf(format+"\n", args...)
		mu.Lock()
		os.Stdout.Write([]byte(line)) // one write: a line is whole or absent
		mu.Unlock()
	}
	var wg sync.WaitGroup
	for w := range 12 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), uint64(time.Now().UnixNano())))
			for {
				sender := crashAgencies[rng.IntN(len(crashAgencies))]
				var rcpts []certs.AgencyCode
				for _, a := range crashAgencies {
					if a != sender && rng.IntN(2) == 0 {
						rcpts = append(rcpts, a)
					}
				}
				if len(rcpts) == 0 {
					rcpts = []certs.AgencyCode{crashAgencies[(indexOf(sender)+1)%len(crashAgencies)]}
				}
				sub := storetest.NewSubmission(sender, 2000+rng.IntN(8000), rcpts...)
				switch rng.IntN(4) {
				case 0: // an attachment in one go
					blob := storetest.RandomBytes(10_000 + rng.IntN(50_000))
					// Stream slowly, as from the network, so that kills land
					// mid-write.
					if _, err := s.PutBlob(ctx, sender, storetest.Digest(blob), &slowReader{r: bytes.NewReader(blob)}, storetest.T0); err != nil {
						report("E put: %v", err)
						continue
					}
					sub.BlobDigests = []string{storetest.Digest(blob)}
				case 1: // an attachment in chunks, sometimes left unfinished
					blob := storetest.RandomBytes(30_000 + rng.IntN(50_000))
					up, err := s.BeginUpload(ctx, sender, storetest.Digest(blob), int64(len(blob)))
					if err != nil {
						report("E begin: %v", err)
						continue
					}
					off := int64(0)
					for off < int64(len(blob)) && err == nil {
						end := min(off+16_000, int64(len(blob)))
						off, err = s.AppendUpload(ctx, up, off, bytes.NewReader(blob[off:end]))
					}
					if err != nil || rng.IntN(3) == 0 {
						continue
					}
					if _, err := s.CommitUpload(ctx, up, storetest.T0); err != nil {
						report("E commit: %v", err)
						continue
					}
					sub.BlobDigests = []string{storetest.Digest(blob)}
				}
				if _, _, err := s.Accept(ctx, sub, nil); err != nil {
					report("E accept: %v", err)
					continue
				}
				report("A %s", sub.MessageID)
				// Retry now and then: must stay one message.
				if rng.IntN(5) == 0 {
					if _, existed, err := s.Accept(ctx, sub, nil); err != nil || !existed {
						report("E retry: existed=%v err=%v", existed, err)
					}
				}
				r := rcpts[rng.IntN(len(rcpts))]
				ds, err := s.Lease(ctx, r, 1+rng.IntN(3), storetest.T0, time.Minute)
				if err != nil {
					report("E lease: %v", err)
					continue
				}
				for _, d := range ds {
					if rng.IntN(4) == 0 {
						continue // lease and never ack: the lease outlives the crash
					}
					if _, _, err := s.Ack(ctx, r, d.MessageID, d.LeaseToken, storetest.T0, nil); err != nil {
						report("E ack: %v", err)
						continue
					}
					report("K %s %s", r, d.MessageID)
				}
			}
		}()
	}
	wg.Wait()
}

// slowReader returns at most 8 KB per read and pauses between reads.
type slowReader struct {
	r io.Reader
}

func (s *slowReader) Read(p []byte) (int, error) {
	time.Sleep(200 * time.Microsecond)
	return s.r.Read(p[:min(len(p), 8<<10)])
}

func indexOf(code certs.AgencyCode) int {
	for i, a := range crashAgencies {
		if a == code {
			return i
		}
	}
	return -1
}

// TestCrash SIGKILLs a process that hammers the store at random moments,
// reopens the store each time and checks that every Accept and Ack that
// returned nil is there exactly once and that no half-written blob is
// visible.
func TestCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test re-executes the test binary")
	}
	dir := t.TempDir()
	accepted := map[string]bool{}
	acked := map[string]bool{} // recipient \x00 message id
	rounds := 6
	for round := range rounds {
		killAfter := time.Duration(rand.IntN(600)) * time.Millisecond
		mode := []string{"queue", "batch"}[round%2]
		lines := runAndKill(t, dir, mode, killAfter)
		var nA, nK int
		for _, l := range lines {
			f := strings.Fields(l)
			switch {
			case len(f) == 2 && f[0] == "A":
				accepted[f[1]] = true
				nA++
			case len(f) == 3 && f[0] == "K":
				acked[f[1]+"\x00"+f[2]] = true
				nK++
			case len(f) > 0 && f[0] == "E":
				t.Errorf("round %d: child reported an error: %s", round, l)
			}
		}
		t.Logf("round %d (%s): killed %s after the first reports: %d accepts, %d acks acknowledged", round, mode, killAfter, nA, nK)
		if nA == 0 {
			t.Fatalf("round %d: the child accepted nothing before it was killed", round)
		}
		checkAfterCrash(t, dir, accepted, acked)
	}
}

// runAndKill runs the child on dir, lets it report a few accepts, kills
// it after a further d and returns every line it wrote.
func runAndKill(t *testing.T, dir, mode string, d time.Duration) []string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashDirEnv+"="+dir, crashModeEnv+"="+mode)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var lines []string
	started := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines = append(lines, sc.Text())
			if len(lines) == 5 {
				close(started)
			}
		}
	}()
	select {
	case <-started:
	case <-done:
	case <-time.After(time.Minute):
	}
	time.Sleep(d)
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatalf("kill child: %v", err)
	}
	<-done
	err = cmd.Wait()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("child did not die by SIGKILL: %v; output %q", err, lines)
	}
	return lines
}

func checkAfterCrash(t *testing.T, dir string, accepted, acked map[string]bool) {
	t.Helper()
	ctx := context.Background()
	s, err := boltstore.Open(dir, boltstore.Options{})
	if err != nil {
		t.Fatalf("reopen after crash: %v", err)
	}
	defer s.Close()
	if err := s.Verify(ctx); err != nil {
		t.Errorf("after crash: %v", err)
	}

	// Every message is in exactly one sender's sent list, once.
	sentCount := map[string]int{}
	var all []string
	for _, a := range crashAgencies {
		recs, err := s.Sent(ctx, a, 0, 1<<30)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			sentCount[r.MessageID]++
			all = append(all, r.MessageID)
		}
		st, _ := s.Stats(ctx, a)
		if st.Sent != uint64(len(recs)) {
			t.Errorf("%s: stats say %d sent, sent list has %d", a, st.Sent, len(recs))
		}
	}
	for id := range accepted {
		if sentCount[id] != 1 {
			t.Errorf("accepted message %s is in the sent lists %d times", id, sentCount[id])
		}
		if _, err := s.Message(ctx, id); err != nil {
			t.Errorf("accepted message %s: %v", id, err)
		}
	}
	for id, n := range sentCount {
		if n != 1 {
			t.Errorf("message %s in sent lists %d times", id, n)
		}
	}
	// Deliveries agree with queues and statistics.
	received, ackedN := map[certs.AgencyCode]uint64{}, map[certs.AgencyCode]uint64{}
	pending := map[certs.AgencyCode]map[string]bool{}
	for _, id := range all {
		ds, err := s.Deliveries(ctx, id)
		if err != nil {
			t.Fatalf("deliveries of %s: %v", id, err)
		}
		for _, d := range ds {
			received[d.Recipient]++
			switch d.State {
			case store.Acked:
				ackedN[d.Recipient]++
			case store.Pending:
				if pending[d.Recipient] == nil {
					pending[d.Recipient] = map[string]bool{}
				}
				pending[d.Recipient][id] = true
			}
			if acked[string(d.Recipient)+"\x00"+id] && d.State != store.Acked {
				t.Errorf("acknowledged delivery of %s to %s is %s after the crash", id, d.Recipient, d.State)
			}
		}
	}
	far := storetest.T0.Add(24 * time.Hour) // every lease has expired
	for _, a := range crashAgencies {
		inbox, err := s.Inbox(ctx, a, 0, 1<<30, far)
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, d := range inbox {
			if seen[d.MessageID] {
				t.Errorf("%s: %s queued twice", a, d.MessageID)
			}
			seen[d.MessageID] = true
			if !pending[a][d.MessageID] {
				t.Errorf("%s: %s listed but not pending", a, d.MessageID)
			}
		}
		if len(seen) != len(pending[a]) {
			t.Errorf("%s: %d pending deliveries, %d listed", a, len(pending[a]), len(seen))
		}
		st, _ := s.Stats(ctx, a)
		if st.Received != received[a] || st.Acked != ackedN[a] {
			t.Errorf("%s: stats received/acked %d/%d, deliveries say %d/%d", a, st.Received, st.Acked, received[a], ackedN[a])
		}
	}
	// No temporary file, and every visible blob is whole.
	blobs := filepath.Join(dir, "blobs")
	if tmp, _ := os.ReadDir(filepath.Join(blobs, "tmp")); len(tmp) != 0 {
		t.Errorf("%d temporary files left after reopen", len(tmp))
	}
	objs, err := os.ReadDir(filepath.Join(blobs, "objects"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range objs {
		f, err := os.Open(filepath.Join(blobs, "objects", e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		h := sha256.New()
		io.Copy(h, f)
		f.Close()
		if hex.EncodeToString(h.Sum(nil)) != e.Name() {
			t.Errorf("blob %s does not hash to its name", e.Name())
		}
	}
	for _, id := range all {
		m, _ := s.Message(ctx, id)
		for _, d := range m.BlobDigests {
			if info, _ := s.StatBlob(ctx, d); !info.Present {
				t.Errorf("message %s names blob %s, which is missing", id, d)
			}
		}
	}
}
