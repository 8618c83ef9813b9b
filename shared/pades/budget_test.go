package pades

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/metrics"
	"testing"

	"lienthong/shared/pades/padestest"
)

// measure runs fn and returns the bytes it allocated: an upper bound of
// the heap it could have grown by. runtime/metrics reads the cumulative
// count without stopping the world, so the fuzzer can afford it.
func measure(fn func()) uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(s)
	before := s[0].Value.Uint64()
	fn()
	metrics.Read(s)
	return s[0].Value.Uint64() - before
}

// bombAlloc is what refusing any bomb may allocate in all: the decoded
// bytes' floor plus the parsing of the few objects read before a limit.
const bombAlloc = 96 << 20 * raceAlloc

// TestBombs feeds each crafted PDF to Verify, Prepare and PageBox: each
// is refused with a *BudgetError naming its limit, having allocated a
// bounded amount (before the budget, the stream bomb alone made Verify
// allocate its 448 MiB of zeros and answer "no signatures").
func TestBombs(t *testing.T) {
	p := getPKI(t)
	for _, b := range padestest.Bombs() {
		t.Run(b.Name, func(t *testing.T) {
			if len(b.PDF) > 1<<20 {
				t.Fatalf("the %s bomb is %d bytes; it should be small", b.Name, len(b.PDF))
			}
			r := bytes.NewReader(b.PDF)
			size := int64(len(b.PDF))
			check := func(op string, err error, alloc uint64) {
				t.Helper()
				var be *BudgetError
				if !errors.As(err, &be) || !errors.Is(err, ErrBudget) {
					t.Fatalf("%s: got %v, want a *BudgetError", op, err)
				}
				if be.What != b.What {
					t.Errorf("%s: over %q, want %q", op, be.What, b.What)
				}
				if errors.Is(err, ErrDamaged) {
					t.Errorf("%s: %v also says damaged; the budget error must stand alone", op, err)
				}
				if alloc > bombAlloc {
					t.Errorf("%s allocated %d MiB; want at most %d MiB", op, alloc>>20, bombAlloc>>20)
				}
				t.Logf("%s: %d bytes refused after %.1f MiB allocated: %v", op, size, float64(alloc)/(1<<20), err)
			}
			var err error
			alloc := measure(func() { _, err = Verify(r, size, VerifyOptions{Roots: p.roots}) })
			check("Verify", err, alloc)
			out := &memOutput{}
			alloc = measure(func() { _, err = Prepare(out, r, size, Options{Chain: p.person.Certificates()}) })
			check("Prepare", err, alloc)
			if len(out.b) != 0 {
				t.Errorf("Prepare wrote %d bytes of a document it refused", len(out.b))
			}
		})
	}
}

// TestBudgetScales checks that the budget follows the file's size between
// its floor and its cap.
func TestBudgetScales(t *testing.T) {
	for _, tt := range []struct {
		size        int64
		wantDecoded int64
	}{
		{0, decodedFloor},
		{1 << 20, decodedFloor},
		{4 << 20, 64 << 20},
		{100 << 20, decodedCap},
		{1 << 62, decodedCap},
	} {
		if got := newBudget(tt.size).decodedMax; got != tt.wantDecoded {
			t.Errorf("size %d: decoded budget %d, want %d", tt.size, got, tt.wantDecoded)
		}
	}
	b := newBudget(0)
	if err := b.chargeDecoded(decodedFloor + 1); !errors.Is(err, ErrBudget) {
		t.Fatalf("over the floor: %v", err)
	}
	if err := b.chargeValue(); !errors.Is(err, ErrBudget) {
		t.Errorf("the budget is not sticky: %v", err)
	}
}

// TestManySignatures checks that honest documents stay within the budget:
// ten signatures, each re-reading the revision it signs, on a file with
// object streams and a cross-reference stream.
func TestManySignatures(t *testing.T) {
	p := getPKI(t)
	dir := t.TempDir()
	in := testFile(t, "bao-cao-objstm.pdf")
	for i := range 10 {
		opts := optsFor(p.person)
		if i%2 == 1 {
			opts = optsFor(p.agency)
		}
		in = signTestFile(t, in, filepath.Join(dir, fmt.Sprintf("%d.pdf", i)), opts)
	}
	requireValid(t, verifyFile(t, in, VerifyOptions{Roots: p.roots}), 10)
}

// TestSignFileBomb checks that SignFile refuses a bomb and writes nothing.
func TestSignFileBomb(t *testing.T) {
	p := getPKI(t)
	dir := t.TempDir()
	in, out := filepath.Join(dir, "bomb.pdf"), filepath.Join(dir, "signed.pdf")
	if err := os.WriteFile(in, padestest.StreamBomb(14, 32<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := SignFile(context.Background(), in, out, optsFor(p.person)); !errors.Is(err, ErrBudget) {
		t.Fatalf("SignFile: %v, want ErrBudget", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("SignFile left %d files, want only the input", len(entries))
	}
}
