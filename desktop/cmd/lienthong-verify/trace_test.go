package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"lienthong/desktop/audit"
	"lienthong/hub/hubtest"
	"lienthong/hub/store"
)

func runCmdEnv(env map[string]string, args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := run(args, &out, &errb, func(k string) string { return env[k] })
	return code, out.String(), errb.String()
}

// TestTraceCommand: an auditor asks a real hub where a closed code led,
// on a day after its closure (the successor) and before it (the code
// itself), in Vietnamese and English; the answer saved is checked again
// offline; a saved record that is not what the log committed to, and a
// log entry that is not in the signed tree, are refused as findings.
func TestTraceCommand(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	closing := time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC)
	if _, err := h.Store.CloseAgencies(ctx, []store.Succession{{Code: "000.00.00.H41", On: closing, Successor: "000.00.00.H49",
		Basis: "Nghị quyết 202/2025/QH15"}}, time.Now()); err != nil {
		t.Fatal(err)
	}
	auth := auditorFiles(t, h)
	dir := t.TempDir()
	state, saved := filepath.Join(dir, "state.json"), filepath.Join(dir, "trace.json")
	logOnly := auth[len(auth)-4:] // --log-key FILE --origin NAME
	en := map[string]string{"LANG": "en_US.UTF-8"}

	steps := []struct {
		name     string
		env      map[string]string
		args     []string
		wantCode int
		want     []string
	}{
		{"after the closure, saved", nil, append([]string{"trace", "--at", "2025-07-15", "--state", state, "--save", saved, "000.00.00.H41"}, auth...), 0,
			[]string{"000.00.00.H41  Ủy ban nhân dân tỉnh Nghệ An: đã đóng ngày 2025-07-01 (Nghị quyết 202/2025/QH15), cơ quan kế thừa 000.00.00.H49",
				"Kết quả: ngày 2025-07-15 văn bản gửi 000.00.00.H41 thuộc về 000.00.00.H49 (Ủy ban nhân dân tỉnh Quảng Ninh)."}},
		{"before the closure, the code itself", en, append([]string{"trace", "--at", "30/06/2025", "--state", state, "000.00.00.H41"}, auth...), 0,
			[]string{"open that day; closes on 2025-07-01", "Result: on 2025-06-30 documents addressed to 000.00.00.H41 went to 000.00.00.H41 (Ủy ban nhân dân tỉnh Nghệ An)."}},
		{"an open code", en, append([]string{"trace", "--state", state, "000.00.00.G22"}, auth...), 0,
			[]string{"000.00.00.G22  Văn phòng Chính phủ: open", "went to 000.00.00.G22"}},
		{"complete, against the whole log", en, append([]string{"trace", "--complete", "--at", "2025-07-15", "--state", state, "000.00.00.H41"}, auth...), 0,
			[]string{"went to 000.00.00.H49"}},
		{"complete does not go with a saved file", nil, append([]string{"trace", "--complete", "--from", saved, "000.00.00.H41"}, logOnly...), 2, nil},
		{"offline, from the saved answer", en, append([]string{"trace", "--at", "2025-07-15", "--from", saved, "000.00.00.H41"}, logOnly...), 0,
			[]string{"closed on 2025-07-01 (Nghị quyết 202/2025/QH15), succeeded by 000.00.00.H49", "went to 000.00.00.H49"}},
		{"a code the directory never held", nil, append([]string{"trace", "--state", state, "000.00.00.Z99"}, auth...), 2, nil},
		{"no state", nil, append([]string{"trace", "000.00.00.H41"}, auth...), 2, nil},
		{"not a day", nil, append([]string{"trace", "--at", "July", "--state", state, "000.00.00.H41"}, auth...), 2, nil},
	}
	for _, s := range steps {
		code, out, errOut := runCmdEnv(s.env, s.args...)
		if code != s.wantCode {
			t.Fatalf("%s: exit %d (want %d)\nstdout: %s\nstderr: %s", s.name, code, s.wantCode, out, errOut)
		}
		for _, w := range s.want {
			if !strings.Contains(out, w) {
				t.Fatalf("%s: stdout lacks %q:\n%s", s.name, w, out)
			}
		}
	}

	// A record changed in the saved answer: the successor rewritten.
	forge := func(name string, change func(f *audit.TraceFile), wantErr string) {
		t.Helper()
		f, err := audit.LoadTraceFile(saved)
		if err != nil {
			t.Fatal(err)
		}
		change(f)
		forged := filepath.Join(dir, name+".json")
		if err := f.Save(forged); err != nil {
			t.Fatal(err)
		}
		code, out, errOut := runCmdEnv(en, append([]string{"trace", "--at", "2025-07-15", "--from", forged, "000.00.00.H41"}, logOnly...)...)
		if code != exitInvalid || !strings.Contains(errOut, wantErr) || strings.Contains(out, "Result") {
			t.Fatalf("%s: exit %d\nstdout: %s\nstderr: %s", name, code, out, errOut)
		}
	}
	forge("successor rewritten", func(f *audit.TraceFile) {
		v := &f.Histories[0].Versions[len(f.Histories[0].Versions)-1]
		v.Record = bytes.Replace(v.Record, []byte("000.00.00.H49"), []byte("000.00.00.G22"), 1)
	}, "not what the hub's log committed to")
	forge("closing day rewritten", func(f *audit.TraceFile) {
		v := &f.Histories[0].Versions[len(f.Histories[0].Versions)-1]
		v.Record = bytes.Replace(v.Record, []byte("2025-07-01"), []byte("2025-08-01"), 1)
	}, "do not rely on this answer")
	forge("log entry rewritten", func(f *audit.TraceFile) {
		e := &f.Entries[len(f.Entries)-1]
		e.Entry = bytes.Replace(e.Entry, []byte("directory"), []byte("Directory"), 1)
	}, "rewritten or forked")
}
