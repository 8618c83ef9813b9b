package audit

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"lienthong/hub/hubtest"
	"lienthong/hub/store"
	"lienthong/shared/wire"
)

const vpcp = "000.00.00.G22"

// lyingHub answers like the hub, but change rewrites its histories.
type lyingHub struct {
	TraceSource
	change func(h *wire.DirectoryHistory)
}

func (l lyingHub) DirectoryHistory(ctx context.Context, code string) (*wire.DirectoryHistory, error) {
	h, err := l.TraceSource.DirectoryHistory(ctx, code)
	if err == nil {
		l.change(h)
	}
	return h, err
}

// TestTrace: a chain of two closures (Nghệ An into Quảng Ninh, later
// Quảng Ninh into the Government Office), traced on days before, between
// and after them, every record proved against the log; a hub that serves
// another code's history, a version it never logged, or one after the
// checkpoint is caught, and one that leaves out a logged closure is caught
// by a complete trace.
func TestTrace(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	first, second := time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, s := range []store.Succession{{Code: ngheAn, On: first, Successor: quangNinh}, {Code: quangNinh, On: second, Successor: vpcp}} {
		if _, err := h.Store.CloseAgencies(ctx, []store.Succession{s}, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	c := h.Client(t, quangNinh, false)
	signed, err := c.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	l := Log{Origin: h.LogOrigin, Key: h.LogKey}
	chain := func(rep *TraceReport) []string {
		var out []string
		for _, s := range rep.Chain {
			out = append(out, s.Code)
		}
		return out
	}
	for _, tc := range []struct {
		day  time.Time
		want []string
	}{
		{first.AddDate(0, 0, -1), []string{ngheAn}},
		{first, []string{ngheAn, quangNinh}},
		{second.AddDate(0, 0, -1), []string{ngheAn, quangNinh}},
		{second, []string{ngheAn, quangNinh, vpcp}},
	} {
		rep, err := Trace(ctx, c, l, signed, ngheAn, tc.day, TraceOptions{})
		if err != nil {
			t.Fatalf("%s: %v", tc.day, err)
		}
		if got := chain(rep); !slices.Equal(got, tc.want) {
			t.Errorf("on %s: %v, want %v", tc.day.Format(time.DateOnly), got, tc.want)
		}
	}
	rep, err := Trace(ctx, c, l, signed, ngheAn, second, TraceOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if s := rep.Chain[0]; s.ClosedOn != "2025-07-01" || s.SupersededBy != quangNinh || s.Versions != 2 || s.Active {
		t.Errorf("first step %+v", s)
	}

	for name, change := range map[string]func(h *wire.DirectoryHistory){
		"another code's history": func(h *wire.DirectoryHistory) {
			if h.Code == ngheAn {
				h.Code = quangNinh
			}
		},
		"a version the log never held": func(h *wire.DirectoryHistory) {
			v := &h.Versions[len(h.Versions)-1]
			v.Record = append([]byte(nil), v.Record...)
			v.Record[len(v.Record)-2] = ' '
		},
		"a version under another code's log entry": func(h *wire.DirectoryHistory) {
			if h.Code == ngheAn {
				h.Versions[1].LogIndex++ // Quảng Ninh's closure
			}
		},
		"versions out of order": func(h *wire.DirectoryHistory) {
			slices.Reverse(h.Versions)
		},
	} {
		_, err := Trace(ctx, lyingHub{c, change}, l, signed, ngheAn, second, TraceOptions{})
		if !errors.Is(err, ErrForged) {
			t.Errorf("%s: %v, want ErrForged", name, err)
		}
	}
	_, err = Trace(ctx, lyingHub{c, func(h *wire.DirectoryHistory) { h.Versions[0].LogIndex = 1 << 40 }}, l, signed, ngheAn, second, TraceOptions{})
	if err == nil || errors.Is(err, ErrForged) {
		t.Errorf("a version after the checkpoint: %v", err)
	}
	if _, err := Trace(ctx, c, Log{Origin: "another/log", Key: h.LogKey}, signed, ngheAn, second, TraceOptions{}); err == nil {
		t.Error("a checkpoint of another log was taken")
	}

	// A hub that leaves out Quảng Ninh's closure: each version it lists
	// proves, and only the whole log shows what is missing.
	hide := lyingHub{c, func(h *wire.DirectoryHistory) {
		if h.Code == quangNinh {
			h.Versions = h.Versions[:len(h.Versions)-1]
		}
	}}
	if rep, err := Trace(ctx, hide, l, signed, ngheAn, second, TraceOptions{}); err != nil || len(rep.Chain) != 2 {
		t.Fatalf("the hidden closure, without Complete: %v %+v", err, rep)
	}
	if _, err := Trace(ctx, hide, l, signed, ngheAn, second, TraceOptions{Complete: true}); !errors.Is(err, ErrIncomplete) {
		t.Errorf("the hidden closure, with Complete: %v, want ErrIncomplete", err)
	}
	if rep, err := Trace(ctx, c, l, signed, ngheAn, second, TraceOptions{Complete: true}); err != nil || len(rep.Chain) != 3 {
		t.Errorf("complete trace of an honest hub: %v %+v", err, rep)
	}
}
