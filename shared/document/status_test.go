package document

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestStatusNames(t *testing.T) {
	tests := []struct {
		code   Status
		vi, en string
	}{
		{StatusArrived, "Đã đến", "arrived"},
		{StatusRefused, "Từ chối tiếp nhận", "refused"},
		{StatusReceived, "Đã tiếp nhận", "received"},
		{StatusAssigned, "Phân công", "assigned"},
		{StatusProcessing, "Đang xử lý", "processing"},
		{StatusCompleted, "Hoàn thành", "completed"},
		{StatusRecalled, "Thu hồi", "recalled"},
		{StatusAccepted, "Đồng ý", "accepted"},
		{StatusRejected, "Từ chối", "rejected"},
	}
	if len(Statuses()) != len(tests) {
		t.Fatalf("Statuses() has %d codes, want %d", len(Statuses()), len(tests))
	}
	for i, tt := range tests {
		t.Run(string(tt.code), func(t *testing.T) {
			if Statuses()[i] != tt.code {
				t.Errorf("Statuses()[%d] = %q", i, Statuses()[i])
			}
			if !tt.code.Valid() || tt.code.NameVI() != tt.vi || tt.code.NameEN() != tt.en {
				t.Errorf("%q: valid %v, names %q %q", tt.code, tt.code.Valid(), tt.code.NameVI(), tt.code.NameEN())
			}
			if tt.code.BySender() != (tt.code == StatusRecalled) {
				t.Errorf("BySender wrong for %q", tt.code)
			}
		})
	}
	for _, bad := range []Status{"", "1", "07", "14", "17", "00"} {
		if bad.Valid() {
			t.Errorf("%q is valid", bad)
		}
	}
}

func TestLifecycle(t *testing.T) {
	const (
		s01, s02, s03, s04, s05, s06 = StatusArrived, StatusRefused, StatusReceived, StatusAssigned, StatusProcessing, StatusCompleted
		s13, s15, s16                = StatusRecalled, StatusAccepted, StatusRejected
	)
	tests := []struct {
		name     string
		business BusinessType
		history  []Status
		ok       bool
		closed   bool
	}{
		{"empty", BusinessNew, nil, true, false},
		{"full processing", BusinessNew, []Status{s01, s03, s04, s05, s06}, true, false},
		{"assignment skipped", BusinessNew, []Status{s01, s03, s05, s06}, true, false},
		{"completed for information", BusinessNew, []Status{s01, s03, s06}, true, false},
		{"reassigned", BusinessNew, []Status{s01, s03, s04, s04, s05}, true, false},
		{"progress reported twice", BusinessNew, []Status{s01, s03, s04, s05, s05, s06}, true, false},
		{"refused", BusinessNew, []Status{s01, s02}, true, true},
		{"replacement processed like new", BusinessReplace, []Status{s01, s03, s06}, true, false},

		{"01 must come first", BusinessNew, []Status{s03}, false, false},
		{"01 only once", BusinessNew, []Status{s01, s01}, false, false},
		{"02 after 03", BusinessNew, []Status{s01, s03, s02}, false, false},
		{"refused on arrival by the recipient's system", BusinessNew, []Status{s02}, true, true},
		{"refused on arrival, a recall too", BusinessRecall, []Status{s02}, true, true},
		{"nothing after 02", BusinessNew, []Status{s01, s02, s03}, false, true},
		{"nothing after a refusal on arrival", BusinessNew, []Status{s02, s01}, false, true},
		{"no recall of a document refused on arrival", BusinessNew, []Status{s02, s13}, false, true},
		{"03 twice", BusinessNew, []Status{s01, s03, s03}, false, false},
		{"04 before 03", BusinessNew, []Status{s01, s04}, false, false},
		{"05 before 03", BusinessNew, []Status{s01, s05}, false, false},
		{"back from 05 to 04", BusinessNew, []Status{s01, s03, s05, s04}, false, false},
		{"06 twice", BusinessNew, []Status{s01, s03, s06, s06}, false, false},
		{"processing after 06", BusinessNew, []Status{s01, s03, s06, s05}, false, false},
		{"unknown code", BusinessNew, []Status{s01, "07"}, false, false},
		{"bad business type", BusinessType(9), []Status{s01}, false, false},

		{"recall accepted", BusinessNew, []Status{s01, s13, s15}, true, true},
		{"recall after completion accepted", BusinessNew, []Status{s01, s03, s06, s13, s15}, true, true},
		{"recall refused, processing goes on", BusinessNew, []Status{s01, s03, s13, s16, s04, s05, s06}, true, false},
		{"recall refused then recalled again", BusinessNew, []Status{s01, s03, s13, s16, s13, s15}, true, true},
		{"nothing after an accepted recall", BusinessNew, []Status{s01, s13, s15, s03}, false, true},
		{"recall before arrival", BusinessNew, []Status{s13}, false, false},
		{"recall of a refused document", BusinessNew, []Status{s01, s02, s13}, false, true},
		{"processing while a recall is open", BusinessNew, []Status{s01, s03, s13, s05}, false, false},
		{"two recalls open", BusinessNew, []Status{s01, s13, s13}, false, false},
		{"15 without a recall", BusinessNew, []Status{s01, s03, s15}, false, false},
		{"16 without a recall", BusinessNew, []Status{s01, s16}, false, false},
		{"after 06 only a recall's answer", BusinessNew, []Status{s01, s03, s06, s16}, false, false},

		{"update accepted", BusinessUpdate, []Status{s01, s15}, true, true},
		{"update refused", BusinessUpdate, []Status{s01, s16}, true, true},
		{"update packet refused on arrival", BusinessUpdate, []Status{s01, s02}, true, true},
		{"update packet not processed", BusinessUpdate, []Status{s01, s03}, false, false},
		{"update answered twice", BusinessUpdate, []Status{s01, s15, s16}, false, true},
		{"update answered before arrival", BusinessUpdate, []Status{s15}, false, false},
		{"recall packet accepted", BusinessRecall, []Status{s01, s15}, true, true},
		{"recall packet recalled", BusinessRecall, []Status{s01, s13}, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := ReplayHistory(tt.business, tt.history)
			if (err == nil) != tt.ok {
				t.Fatalf("ReplayHistory(%v) = %v, want ok %v", tt.history, err, tt.ok)
			}
			if err != nil {
				var te *TransitionError
				if !errors.As(err, &te) || !errors.Is(err, ErrTransition) {
					t.Fatalf("error %v is not a *TransitionError", err)
				}
				if te.Next != tt.history[len(tt.history)-1] {
					t.Errorf("error names %q, want the last status", te.Next)
				}
			}
			if l.Closed() != tt.closed {
				t.Errorf("Closed() = %v, want %v", l.Closed(), tt.closed)
			}
		})
	}
}

func TestLifecycleIsAValue(t *testing.T) {
	l := NewLifecycle(BusinessNew)
	arrived, err := l.Next(StatusArrived)
	if err != nil {
		t.Fatal(err)
	}
	if l.Last() != "" || arrived.Last() != StatusArrived || arrived.Stage() != StatusArrived {
		t.Errorf("Next changed its receiver or did not advance: %+v %+v", l, arrived)
	}
	recalled, _ := arrived.Next(StatusRecalled)
	if !recalled.RecallPending() || recalled.Stage() != StatusArrived || recalled.Last() != StatusRecalled {
		t.Errorf("after 13: %+v", recalled)
	}
	if !recalled.Allows(StatusAccepted) || recalled.Allows(StatusReceived) {
		t.Error("Allows disagrees with the rules")
	}
	_, err = arrived.Next(StatusCompleted)
	want := "status 06 (completed) cannot follow 01 (arrived): only after 03, 04 or 05"
	if err == nil || err.Error() != want {
		t.Errorf("error = %v, want %q", err, want)
	}
}

func validStatus() *StatusUpdate {
	return &StatusUpdate{
		Document:    DocumentID{Organ: "000.00.00.H49", Date: NewDate(2025, 3, 5), Number: "567", Notation: "QĐ-UBND"},
		From:        "000.00.00.H41",
		Code:        StatusReceived,
		Description: "Đã vào sổ văn bản đến số 123",
		Staff:       "Trần Thị B",
		Time:        time.Date(2025, 3, 5, 9, 30, 0, 0, VietnamTime),
	}
}

func TestStatusUpdateValidate(t *testing.T) {
	tests := []struct {
		name   string
		modify func(*StatusUpdate)
		want   []want
	}{
		{"valid", func(*StatusUpdate) {}, nil},
		{"automatic 01 without staff", func(u *StatusUpdate) { u.Code, u.Staff, u.Description = StatusArrived, "", "" }, nil},
		{"refused with a reason", func(u *StatusUpdate) { u.Code, u.Reason = StatusRefused, "Gửi nhầm cơ quan" }, nil},
		{"refused without a reason", func(u *StatusUpdate) { u.Code = StatusRefused }, []want{{"reason", ProblemRequired}}},
		{"refused with a blank reason", func(u *StatusUpdate) { u.Code, u.Reason = StatusRefused, "   " }, []want{{"reason", ProblemRequired}}},
		{"recall by the sender", func(u *StatusUpdate) { u.Code, u.From = StatusRecalled, u.Document.Organ }, nil},
		{"recall by a recipient", func(u *StatusUpdate) { u.Code = StatusRecalled }, []want{{"from", ProblemNotAllowed}}},
		{"sender sends a recipient's status", func(u *StatusUpdate) { u.From = u.Document.Organ }, []want{{"from", ProblemNotAllowed}}},
		{"no document", func(u *StatusUpdate) { u.Document = DocumentID{} }, []want{{"document", ProblemRequired}}},
		{"bad document", func(u *StatusUpdate) { u.Document.Number = "x" }, []want{{"document", ProblemBadFormat}}},
		{"no sender", func(u *StatusUpdate) { u.From = "" }, []want{{"from", ProblemRequired}}},
		{"bad sender", func(u *StatusUpdate) { u.From = "H41" }, []want{{"from", ProblemBadAgencyCode}}},
		{"unknown code", func(u *StatusUpdate) { u.Code = "07" }, []want{{"code", ProblemOutOfRange}}},
		{"no time", func(u *StatusUpdate) { u.Time = time.Time{} }, []want{{"time", ProblemRequired}}},
		{"description too long", func(u *StatusUpdate) { u.Description = strings.Repeat("ư", 501) }, []want{{"description", ProblemTooLong}}},
		{"staff with newline", func(u *StatusUpdate) { u.Staff = "a\nb" }, []want{{"staff", ProblemControlChar}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := validStatus()
			tt.modify(u)
			checkProblems(t, u.Validate(), tt.want)
		})
	}
}

func TestParseStatusUpdate(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		sentinel error
	}{
		{"valid", `{"document":"000.00.00.H49,2025/03/05,567/QĐ-UBND","from":"000.00.00.h41","code":"02","reason":" Gửi nhầm ","time":"2025-03-05T09:30:00+07:00"}`, nil},
		{"day-first id", `{"document":"000.00.00.H49,05/03/2025,567/QĐ-UBND","from":"000.00.00.H41","code":"01","time":"2025-03-05T09:30:00+07:00"}`, nil},
		{"refused without reason", `{"document":"000.00.00.H49,2025/03/05,567/QĐ-UBND","from":"000.00.00.H41","code":"02","time":"2025-03-05T09:30:00+07:00"}`, ErrInvalid},
		{"bad id", `{"document":"567/QĐ-UBND","from":"000.00.00.H41","code":"01","time":"2025-03-05T09:30:00+07:00"}`, ErrMalformed},
		{"unknown field", `{"document":"000.00.00.H49,2025/03/05,567/QĐ-UBND","from":"000.00.00.H41","code":"01","time":"2025-03-05T09:30:00+07:00","x":1}`, ErrMalformed},
		{"bad time", `{"document":"000.00.00.H49,2025/03/05,567/QĐ-UBND","from":"000.00.00.H41","code":"01","time":"yesterday"}`, ErrMalformed},
		{"numeric code", `{"document":"000.00.00.H49,2025/03/05,567/QĐ-UBND","from":"000.00.00.H41","code":1,"time":"2025-03-05T09:30:00+07:00"}`, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := ParseStatusUpdate([]byte(tt.in))
			if tt.sentinel == nil {
				if err != nil {
					t.Fatalf("ParseStatusUpdate = %v", err)
				}
				if u.From != "000.00.00.H41" || strings.TrimSpace(u.Reason) != u.Reason {
					t.Errorf("not normalised: %+v", u)
				}
				return
			}
			if !errors.Is(err, tt.sentinel) {
				t.Errorf("ParseStatusUpdate = %v, want %v", err, tt.sentinel)
			}
		})
	}
}

func TestArrivalValidate(t *testing.T) {
	at := time.Date(2025, 3, 5, 9, 0, 0, 0, VietnamTime)
	tests := []struct {
		name string
		a    Arrival
		want []want
	}{
		{"valid", Arrival{Number: "123", Time: at}, nil},
		{"ten digits", Arrival{Number: "1234567890", Time: at}, nil},
		{"eleven digits", Arrival{Number: "12345678901", Time: at}, []want{{"number", ProblemTooLong}}},
		{"letters", Arrival{Number: "12a", Time: at}, []want{{"number", ProblemBadFormat}}},
		{"missing", Arrival{}, []want{{"number", ProblemRequired}, {"time", ProblemRequired}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkProblems(t, tt.a.Validate(), tt.want)
		})
	}
}
