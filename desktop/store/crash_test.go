package store

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"lienthong/shared/document"

	bolt "go.etcd.io/bbolt"
)

const crashEnv = "LIENTHONG_STORE_CRASH_CHILD"

func crashID(i int) string { return fmt.Sprintf("%032x", i) }

func crashFile(i int) []byte {
	return bytes.Repeat([]byte(fmt.Sprintf("page of document %d;", i)), 20000) // ~400 kB, two chunks
}

// TestCrashChild is the child process of TestCrashSafety: it stores
// documents in a loop and prints "ack N" after each one is durable.
func TestCrashChild(t *testing.T) {
	path := os.Getenv(crashEnv)
	if path == "" {
		t.Skip("run by TestCrashSafety")
	}
	s, err := OpenOptions(path, pass, testOptions)
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(3)
	}
	nin, _ := s.Count(Query{Box: Incoming})
	nout, _ := s.Count(Query{Box: Outgoing})
	for i := nin + nout + 1; ; i++ {
		var m *document.Metadata
		date := day(2025, 3, 5)
		if i%2 == 0 {
			m = meta(organ(agencies[i%5]), document.Recipient{Code: self.Code, Name: self.Name}, i, date, fmt.Sprintf("Công văn đến số %d", i))
		} else {
			n, err := s.NextNumber("", date.Time())
			if err != nil {
				fmt.Println("next number:", err)
				os.Exit(3)
			}
			m = meta(self, agencies[i%5], n, date, fmt.Sprintf("Công văn đi số %d", i))
		}
		p := payload(m, crashFile(i))
		p.MessageID = crashID(i)
		w, err := s.NewAttachment()
		if err != nil {
			fmt.Println("stage:", err)
			os.Exit(3)
		}
		w.Write(crashFile(i))
		b, err := w.Close()
		if err != nil {
			fmt.Println("stage:", err)
			os.Exit(3)
		}
		nd := NewDocument{Payload: p, Packet: []byte("packet"), Blobs: []Blob{b}}
		if i%2 == 0 {
			nd.Statuses = []StatusEntry{status(m, self.Code, document.StatusArrived, time.Now())}
			nd.Queue = []OutboxItem{{Kind: Ack, Doc: p.MessageID, Message: p.MessageID}}
			nd.InboxCursor = strconv.Itoa(i)
			err = s.SaveIncoming(nd)
		} else {
			nd.Queue = []OutboxItem{{Kind: SendDocument, Doc: p.MessageID, Message: p.MessageID}}
			err = s.SaveOutgoing(nd)
		}
		if err != nil {
			fmt.Println("save:", err)
			os.Exit(3)
		}
		fmt.Printf("ack %d\n", i)
	}
}

func TestCrashSafety(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	path := filepath.Join(t.TempDir(), "clerk.db")
	acked := map[int]bool{}
	inflight := map[int]bool{} // written when a child was killed: may or may not be stored
	maxAcked := 0
	r := rand.New(rand.NewPCG(1, 2))
	for round := range 6 {
		t.Run(fmt.Sprintf("kill %d", round), func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
			cmd.Env = append(os.Environ(), crashEnv+"="+path)
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			want := 2 + r.IntN(10)
			lines := bufio.NewScanner(out)
			got := 0
			for got < want && lines.Scan() {
				line := lines.Text()
				if n, ok := strings.CutPrefix(line, "ack "); ok {
					i, _ := strconv.Atoi(n)
					acked[i] = true
					maxAcked = max(maxAcked, i)
					got++
				} else if !strings.HasPrefix(line, "=== ") {
					t.Errorf("child: %s", line)
				}
			}
			time.Sleep(time.Duration(r.IntN(15000)) * time.Microsecond) // land anywhere in a transaction
			cmd.Process.Signal(syscall.SIGKILL)
			// Acknowledgements printed before the kill count too.
			for lines.Scan() {
				if n, ok := strings.CutPrefix(lines.Text(), "ack "); ok {
					i, _ := strconv.Atoi(n)
					acked[i] = true
					maxAcked = max(maxAcked, i)
				}
			}
			err = cmd.Wait()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
				t.Fatalf("child ended with %v, not killed", err)
			}
			inflight[maxAcked+1] = true
			checkAfterCrash(t, path, acked, inflight, maxAcked)
		})
	}
	if len(acked) < 12 {
		t.Errorf("only %d writes acknowledged", len(acked))
	}
}

func checkAfterCrash(t *testing.T, path string, acked, inflight map[int]bool, maxAcked int) {
	t.Helper()
	s, err := OpenOptions(path, pass, testOptions)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	if err := s.db.View(func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			return err
		}
		if n := tx.Bucket(bucketStaged).Stats().KeyN; n != 0 {
			return fmt.Errorf("%d staged blobs left after open", n)
		}
		return nil
	}); err != nil {
		t.Fatalf("consistency: %v", err)
	}
	present := map[string]int{}
	for _, box := range []Box{Incoming, Outgoing} {
		n, err := s.Count(Query{Box: box})
		if err != nil {
			t.Fatal(err)
		}
		rows, err := s.List(Query{Box: box, Limit: 10000})
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != n {
			t.Errorf("%v: count %d, listed %d", box, n, len(rows))
		}
		for _, r := range rows {
			present[r.ID]++
		}
	}
	for i := 1; i <= maxAcked+1; i++ {
		id := crashID(i)
		c := present[id]
		switch {
		case acked[i] && c != 1:
			t.Errorf("acknowledged document %d listed %d times", i, c)
		case c > 1:
			t.Errorf("document %d listed %d times", i, c)
		case !acked[i] && c == 1 && !inflight[i]:
			t.Errorf("document %d stored but never acknowledged", i)
		}
		if c == 0 {
			continue
		}
		delete(present, id)
		rd, _, err := s.OpenAttachment(id, 0)
		if err != nil {
			t.Errorf("document %d attachment: %v", i, err)
			continue
		}
		data, err := io.ReadAll(rd)
		if err != nil || !bytes.Equal(data, crashFile(i)) {
			t.Errorf("document %d attachment: %d bytes, %v", i, len(data), err)
		}
		hits, err := s.Search(map[bool]Box{true: Incoming, false: Outgoing}[i%2 == 0], fmt.Sprintf("cong van so %d", i), 0, 100)
		if err != nil || !slices.ContainsFunc(hits, func(r Summary) bool { return r.ID == id }) {
			t.Errorf("document %d not found by search: %v", i, err)
		}
	}
	if len(present) > 0 {
		t.Errorf("unexpected documents %v", present)
	}
	items, err := s.Outbox(0)
	if err != nil {
		t.Fatal(err)
	}
	queued := map[string]int{}
	for _, it := range items {
		queued[it.Doc]++
	}
	for i := 1; i <= maxAcked+1; i++ {
		if _, err := s.Get(crashID(i)); err == nil && queued[crashID(i)] != 1 {
			t.Errorf("document %d has %d outbox items", i, queued[crashID(i)])
		}
	}
}
