package auditlog

import (
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"
)

const origin = "hub.lienthong.example/log"

func entry(i int) *Entry {
	return &Entry{
		Kind: KindAccepted, At: time.Date(2026, 11, 23, 9, 0, i, 0, time.UTC),
		MessageID: fmt.Sprintf("%032x", i), EnvelopeSHA256: strings.Repeat("ab", 32), Business: "new",
		Sender: "000.00.00.H49", Recipients: []string{"000.00.00.H41"}, Due: "2026-12-01",
	}
}

func buildLog(t testing.TB, n int) *Memory {
	t.Helper()
	m := &Memory{}
	for i := 0; i < n; i++ {
		if _, err := m.Append(entry(i).Encode()); err != nil {
			t.Fatal(err)
		}
	}
	return m
}

func keys(t testing.TB) (note.Signer, string) {
	t.Helper()
	skey, vkey, err := note.GenerateKey(rand.Reader, "hub.lienthong.example")
	if err != nil {
		t.Fatal(err)
	}
	s, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	return s, vkey
}

func TestEntryCanonical(t *testing.T) {
	e := entry(1)
	e.At = e.At.In(time.FixedZone("ICT", 7*3600))
	b := e.Encode()
	got, err := DecodeEntry(b)
	if err != nil {
		t.Fatal(err)
	}
	if !got.At.Equal(e.At) || got.MessageID != e.MessageID {
		t.Fatalf("round trip: %+v", got)
	}
	for _, bad := range []string{
		strings.Replace(string(b), `"kind"`, ` "kind"`, 1),                                        // same meaning, other bytes
		strings.Replace(string(b), `{"kind"`, `{"extra":1,"kind"`, 1),                             // unknown field
		strings.Replace(string(b), `"kind":"accepted",`, `"kind":"accepted","kind":"status",`, 1), // duplicate
		`{"kind":"accepted"}`, // no time
	} {
		if _, err := DecodeEntry([]byte(bad)); !errors.Is(err, ErrMalformed) {
			t.Errorf("DecodeEntry(%s) = %v", bad, err)
		}
	}
}

func TestInclusionAndConsistency(t *testing.T) {
	signer, vkey := keys(t)
	m := buildLog(t, 1000)
	for _, size := range []int64{1, 2, 3, 7, 8, 9, 100, 1000} {
		head, err := Head(origin, size, m)
		if err != nil {
			t.Fatal(err)
		}
		signed, err := head.Sign(signer)
		if err != nil {
			t.Fatal(err)
		}
		cp, err := OpenCheckpoint(signed, vkey, origin)
		if err != nil || cp != head {
			t.Fatalf("checkpoint round trip: %v", err)
		}
		for _, idx := range []int64{0, size / 2, size - 1} {
			p, err := ProveInclusion(idx, size, m)
			if err != nil {
				t.Fatal(err)
			}
			if err := VerifyInclusion(m.Entry(idx), p, cp); err != nil {
				t.Fatalf("size %d index %d: %v", size, idx, err)
			}
			if err := VerifyInclusion(entry(int(idx)+1).Encode(), p, cp); !errors.Is(err, ErrBadProof) {
				t.Fatalf("another entry passed as index %d: %v", idx, err)
			}
		}
	}
	older, _ := Head(origin, 300, m)
	newer, _ := Head(origin, 1000, m)
	p, err := ProveConsistency(300, 1000, m)
	if err != nil {
		t.Fatal(err)
	}
	if err := VerifyConsistency(older, newer, p); err != nil {
		t.Fatal(err)
	}
}

// TestTamperDetected rewrites history in the ways a dishonest hub could,
// and checks that an auditor holding an older checkpoint or a proof for
// an entry notices.
func TestTamperDetected(t *testing.T) {
	honest := buildLog(t, 64)
	saved, _ := Head(origin, 40, honest) // an auditor's saved checkpoint
	proof10, _ := ProveInclusion(10, 40, honest)

	rebuild := func(change func([]*Entry) []*Entry) *Memory {
		var es []*Entry
		for i := 0; i < 64; i++ {
			es = append(es, entry(i))
		}
		es = change(es)
		m := &Memory{}
		for _, e := range es {
			if _, err := m.Append(e.Encode()); err != nil {
				t.Fatal(err)
			}
		}
		return m
	}
	tests := []struct {
		name   string
		change func([]*Entry) []*Entry
	}{
		{"an entry changed", func(es []*Entry) []*Entry { es[10].Recipients = []string{"000.00.00.G22"}; return es }},
		{"an entry deleted", func(es []*Entry) []*Entry { return append(es[:10], es[11:]...) }},
		{"two entries reordered", func(es []*Entry) []*Entry { es[10], es[11] = es[11], es[10]; return es }},
		{"truncated", func(es []*Entry) []*Entry { return es[:30] }},
		{"rewritten from a point on", func(es []*Entry) []*Entry {
			for i := 20; i < len(es); i++ {
				es[i].Due = "2027-01-01"
			}
			return es
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			forged := rebuild(tt.change)
			size := forged.Size()
			newHead, err := Head(origin, size, forged)
			if err != nil {
				t.Fatal(err)
			}
			var consistent error
			if size < saved.Size {
				consistent = VerifyConsistency(saved, newHead, ConsistencyProof{})
			} else {
				p, err := ProveConsistency(saved.Size, size, forged)
				if err != nil {
					t.Fatal(err)
				}
				consistent = VerifyConsistency(saved, newHead, p)
			}
			if !errors.Is(consistent, ErrRollback) {
				t.Errorf("the saved checkpoint did not expose it: %v", consistent)
			}
			if size > 10 {
				// The forged log's entry 10 no longer proves into the saved head,
				// or the old proof no longer matches the forged entry.
				forgedEntry := forged.Entry(10)
				if string(forgedEntry) != string(honest.Entry(10)) {
					if err := VerifyInclusion(forgedEntry, proof10, saved); !errors.Is(err, ErrBadProof) {
						t.Errorf("forged entry 10 proved into the saved checkpoint: %v", err)
					}
				}
			}
		})
	}
}

func TestVerifierKey(t *testing.T) {
	skey, vkey, err := note.GenerateKey(rand.Reader, "hub.example.vn")
	if err != nil {
		t.Fatal(err)
	}
	got, err := VerifierKey(skey)
	if err != nil || got != vkey {
		t.Fatalf("VerifierKey = %q, %v; want %q", got, err, vkey)
	}
	for _, bad := range []string{"", vkey, "PRIVATE+KEY+x+00000000+AAAA"} {
		if _, err := VerifierKey(bad); !errors.Is(err, ErrMalformed) {
			t.Errorf("VerifierKey(%q) = %v", bad, err)
		}
	}
}

func TestCheckpointRefusals(t *testing.T) {
	signer, vkey := keys(t)
	other, otherV := keys(t)
	_ = otherV
	m := buildLog(t, 5)
	head, _ := Head(origin, 5, m)
	good, _ := head.Sign(signer)
	byOther, _ := head.Sign(other)
	otherOrigin, _ := Checkpoint{Origin: "another/log", Size: 5, Root: head.Root}.Sign(signer)
	tests := []struct {
		name string
		msg  []byte
		want error
	}{
		{"good", good, nil},
		{"signed by another key", byOther, ErrBadSignature},
		{"edited size", []byte(strings.Replace(string(good), "\n5\n", "\n6\n", 1)), ErrBadSignature},
		{"another log", otherOrigin, ErrMalformed},
		{"garbage", []byte("hello"), ErrBadSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := OpenCheckpoint(tt.msg, vkey, origin)
			if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

func FuzzParseCheckpoint(f *testing.F) {
	f.Add([]byte("o\n5\n" + strings.Repeat("A", 43) + "=\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseCheckpoint(b)
		if err == nil && string(c.Text()) != string(b) {
			t.Fatalf("accepted a non-canonical checkpoint %q", b)
		}
	})
}

func FuzzDecodeEntry(f *testing.F) {
	f.Add(entry(1).Encode())
	f.Fuzz(func(t *testing.T, b []byte) {
		if e, err := DecodeEntry(b); err == nil && string(e.Encode()) != string(b) {
			t.Fatal("decoded a non-canonical entry")
		}
	})
}

// BenchmarkProve measures, at 1 and 10 million leaves (each tree built
// once in memory), computing the hashes one append stores, and proving
// and verifying an inclusion.
func BenchmarkProve(b *testing.B) {
	for _, n := range []int{1 << 20, 10_000_000} {
		m := buildLog(b, n)
		head, _ := Head(origin, m.Size(), m)
		b.Run(fmt.Sprintf("leaves=%d/inclusion", n), func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				idx := int64(i*7919) % m.Size()
				p, err := ProveInclusion(idx, m.Size(), m)
				if err != nil {
					b.Fatal(err)
				}
				if err := VerifyInclusion(m.Entry(idx), p, head); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("leaves=%d/consistency", n), func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				old := 1 + int64(i*7919)%(m.Size()-1)
				p, err := ProveConsistency(old, m.Size(), m)
				if err != nil {
					b.Fatal(err)
				}
				oldHead, _ := Head(origin, old, m)
				if err := VerifyConsistency(oldHead, head, p); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("leaves=%d/append", n), func(b *testing.B) {
			e := entry(7).Encode()
			for b.Loop() {
				if _, err := Append(m.Size(), e, m); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
