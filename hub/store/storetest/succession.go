package storetest

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"lienthong/certs"
	"lienthong/hub/store"
	"lienthong/shared/auditlog"
)

// Codes of the succession tests: two provinces merged into a third, and a
// department whose successor is new.
const (
	hagiang    certs.AgencyCode = "000.00.00.H20"
	tuyenquang certs.AgencyCode = "000.00.00.H21"
	backan     certs.AgencyCode = "000.00.00.H22"
	sotttt     certs.AgencyCode = "000.00.12.H21"
	sokhcn     certs.AgencyCode = "000.00.13.H21"
)

var closing = time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC)

func seedProvinces(t *testing.T, s store.Store) {
	t.Helper()
	for _, a := range []store.Agency{
		{Code: Caobang, Name: "UBND tỉnh Cao Bằng", Level: 1, Active: false},
		{Code: hagiang, Name: "UBND tỉnh Hà Giang", Level: 1, Active: true},
		{Code: tuyenquang, Name: "UBND tỉnh Tuyên Quang", Level: 1, Active: true},
		{Code: backan, Name: "UBND tỉnh Bắc Kạn", Level: 1, Active: true},
		{Code: sotttt, Name: "Sở Thông tin và Truyền thông tỉnh Tuyên Quang", Parent: tuyenquang, Level: 2, Active: true},
	} {
		if _, err := s.UpsertAgency(ctx, &a, T0); err != nil {
			t.Fatal(err)
		}
	}
}

// testSuccessions: closures are recorded with their day, successor and
// basis, with history and log entries; a successor may be created by the
// batch; importing the same batch again changes nothing; a closed code is
// never reused; Trace answers where a code led on a day.
func testSuccessions(t *testing.T, s store.Store) {
	seedProvinces(t, s)
	logBefore, err := s.LogSize(ctx)
	if err != nil {
		t.Fatal(err)
	}
	batch := []store.Succession{
		{Code: hagiang, On: closing, Successor: tuyenquang, Basis: "Nghị quyết 202/2025/QH15", Line: 2},
		{Code: sotttt, On: closing.AddDate(0, -4, 0), Successor: sokhcn, SuccessorName: "Sở Khoa học và Công nghệ tỉnh Tuyên Quang", Line: 3},
	}
	at := T0.Add(time.Hour)
	n, err := s.CloseAgencies(ctx, batch, at)
	if err != nil || n != 3 {
		t.Fatalf("close: n=%d err=%v, want 3 entries changed", n, err)
	}
	logAfter, _ := s.LogSize(ctx)
	if logAfter != logBefore+3 {
		t.Fatalf("log grew by %d, want 3 directory entries", logAfter-logBefore)
	}
	hg, err := s.Agency(ctx, hagiang)
	if err != nil {
		t.Fatal(err)
	}
	if hg.Active || !hg.Closed() || !hg.ClosedOn.Equal(closing) || hg.SupersededBy != tuyenquang ||
		hg.ClosedBasis != "Nghị quyết 202/2025/QH15" || hg.Name != "UBND tỉnh Hà Giang" || !hg.Superseded() {
		t.Fatalf("closed entry = %+v", hg)
	}
	kh, err := s.Agency(ctx, sokhcn)
	if err != nil || !kh.Active || kh.Name != "Sở Khoa học và Công nghệ tỉnh Tuyên Quang" || kh.Parent != tuyenquang || kh.Level != 2 {
		t.Fatalf("created successor = %+v, %v", kh, err)
	}
	hist, err := s.AgencyHistory(ctx, hagiang)
	if err != nil || len(hist) != 2 || hist[0].Closed() || !hist[1].Closed() || !hist[1].At.Equal(at) || hist[1].LogIndex < logBefore {
		t.Fatalf("history = %+v, %v", hist, err)
	}
	t.Run("HistoryRecordsAreWhatTheLogCommitsTo", func(t *testing.T) {
		for i, ch := range hist {
			entries, err := s.LogEntries(ctx, ch.LogIndex, ch.LogIndex+1)
			if err != nil || len(entries) != 1 {
				t.Fatalf("entry %d: %v", ch.LogIndex, err)
			}
			e, err := auditlog.DecodeEntry(entries[0])
			if err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256(ch.Record)
			if e.Kind != auditlog.KindDirectory || e.Agency != string(hagiang) || e.PacketSHA256 != hex.EncodeToString(sum[:]) || !e.At.Equal(ch.At) {
				t.Fatalf("version %d: log entry %+v does not commit to its record %s", i, e, ch.Record)
			}
			var rec struct {
				Code     string    `json:"code"`
				ClosedOn time.Time `json:"closed_on"`
			}
			if err := json.Unmarshal(ch.Record, &rec); err != nil || rec.Code != string(hagiang) || !rec.ClosedOn.Equal(ch.ClosedOn) {
				t.Fatalf("version %d: record %s does not say its entry (%v)", i, ch.Record, err)
			}
		}
	})

	t.Run("AgainChangesNothing", func(t *testing.T) {
		n, err := s.CloseAgencies(ctx, batch, at.Add(time.Hour))
		if err != nil || n != 0 {
			t.Fatalf("again: n=%d err=%v", n, err)
		}
		if size, _ := s.LogSize(ctx); size != logAfter {
			t.Fatalf("log grew to %d on a repeat", size)
		}
	})
	t.Run("CodeNeverReused", func(t *testing.T) {
		_, err := s.UpsertAgency(ctx, &store.Agency{Code: hagiang, Name: "UBND tỉnh Hà Giang", Level: 1, Active: true}, at.Add(time.Hour))
		wantErr(t, err, store.ErrCodeClosed)
		_, err = s.UpsertAgency(ctx, &store.Agency{Code: hagiang, Name: "Tên mới", Level: 1, Active: false, SupersededBy: tuyenquang}, at.Add(time.Hour))
		wantErr(t, err, store.ErrCodeClosed)
		if cur, _ := s.Agency(ctx, hagiang); !cur.Closed() || cur.Name != "UBND tỉnh Hà Giang" {
			t.Fatalf("closed entry changed: %+v", cur)
		}
	})
	t.Run("ClosureOnlyBySuccession", func(t *testing.T) {
		_, err := s.UpsertAgency(ctx, &store.Agency{Code: backan, Name: "UBND tỉnh Bắc Kạn", Level: 1, SupersededBy: tuyenquang, ClosedOn: closing}, at)
		wantErr(t, err, store.ErrInvalid)
	})
	t.Run("ClosureNeverChanged", func(t *testing.T) {
		_, err := s.CloseAgencies(ctx, []store.Succession{{Code: hagiang, On: closing, Successor: backan, Line: 9}}, at)
		var se *store.SuccessionError
		if !errors.Is(err, store.ErrCodeClosed) || !errors.As(err, &se) || se.Line != 9 || se.Code != hagiang {
			t.Fatalf("error = %v, want ErrCodeClosed at line 9", err)
		}
	})
	t.Run("Trace", func(t *testing.T) {
		// Tuyên Quang closes in turn, later: Hà Giang leads to it, then on.
		later := closing.AddDate(1, 0, 0)
		if _, err := s.CloseAgencies(ctx, []store.Succession{{Code: tuyenquang, On: later, Successor: backan}}, at); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name string
			code certs.AgencyCode
			day  time.Time
			want []certs.AgencyCode
		}{
			{"BeforeClosing", hagiang, closing.AddDate(0, 0, -1), []certs.AgencyCode{hagiang}},
			{"OnTheDay", hagiang, closing, []certs.AgencyCode{hagiang, tuyenquang}},
			{"TwoSteps", hagiang, later, []certs.AgencyCode{hagiang, tuyenquang, backan}},
			{"Open", backan, later, []certs.AgencyCode{backan}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				chain, err := store.Trace(ctx, s, tc.code, tc.day)
				if err != nil {
					t.Fatal(err)
				}
				var got []certs.AgencyCode
				for _, a := range chain {
					got = append(got, a.Code)
				}
				if len(got) != len(tc.want) {
					t.Fatalf("chain = %v, want %v", got, tc.want)
				}
				for i := range got {
					if got[i] != tc.want[i] {
						t.Fatalf("chain = %v, want %v", got, tc.want)
					}
				}
			})
		}
		_, err := store.Trace(ctx, s, "000.00.00.H23", later)
		wantErr(t, err, store.ErrNotFound)
	})
}

// testSuccessionRefusals: a batch with one bad succession stores nothing,
// and the error names that succession's line.
func testSuccessionRefusals(t *testing.T, s store.Store) {
	seedProvinces(t, s)
	// An earlier closure the batches must respect: Bắc Kạn → Tuyên Quang.
	if _, err := s.CloseAgencies(ctx, []store.Succession{{Code: backan, On: closing, Successor: tuyenquang}}, T0); err != nil {
		t.Fatal(err)
	}
	size, _ := s.LogSize(ctx)
	good := store.Succession{Code: hagiang, On: closing, Successor: tuyenquang, Line: 2}
	for _, tc := range []struct {
		name string
		bad  store.Succession
		want error
	}{
		{"Cycle", store.Succession{Code: tuyenquang, On: closing, Successor: hagiang, Line: 3}, store.ErrSuccessionCycle},
		{"CycleThroughStored", store.Succession{Code: tuyenquang, On: closing, Successor: backan, Line: 3}, store.ErrSuccessionCycle},
		{"Self", store.Succession{Code: sotttt, On: closing, Successor: sotttt, Line: 3}, store.ErrSuccessionCycle},
		{"ReusedCode", store.Succession{Code: backan, On: closing, Successor: sotttt, Line: 3}, store.ErrCodeClosed},
		{"MissingSuccessor", store.Succession{Code: sotttt, On: closing, Successor: sokhcn, Line: 3}, store.ErrNotFound},
		{"UnknownCode", store.Succession{Code: "000.00.00.H23", On: closing, Successor: tuyenquang, Line: 3}, store.ErrNotFound},
		{"NotADay", store.Succession{Code: sotttt, On: closing.Add(time.Hour), Successor: tuyenquang, Line: 3}, store.ErrInvalid},
		{"Duplicate", store.Succession{Code: hagiang, On: closing, Successor: tuyenquang, Line: 3}, store.ErrInvalid},
		{"SuccessorNameDiffers", store.Succession{Code: sotttt, On: closing, Successor: tuyenquang, SuccessorName: "UBND tỉnh Tuyen Quang", Line: 3}, store.ErrInvalid},
		{"SuccessorInactive", store.Succession{Code: sotttt, On: closing, Successor: Caobang, Line: 3}, store.ErrInvalid},
		{"SuccessorClosedBefore", store.Succession{Code: sotttt, On: closing.AddDate(0, 1, 0), Successor: backan, Line: 3}, store.ErrCodeClosed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.CloseAgencies(ctx, []store.Succession{good, tc.bad}, T0.Add(time.Hour))
			var se *store.SuccessionError
			if !errors.Is(err, tc.want) || !errors.As(err, &se) || se.Line != 3 {
				t.Fatalf("error = %v, want %v at line 3", err, tc.want)
			}
			if n, _ := s.LogSize(ctx); n != size {
				t.Fatalf("log grew from %d to %d: something was stored", size, n)
			}
			if a, _ := s.Agency(ctx, hagiang); a.Closed() {
				t.Fatalf("the batch's good line was stored: %+v", a)
			}
			if _, err := s.Agency(ctx, sokhcn); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("a successor was created: %v", err)
			}
		})
	}
}
