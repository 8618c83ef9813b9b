package ui

import (
	"errors"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"lienthong/desktop/i18n"
	"lienthong/desktop/store"
)

type fakeRefusals struct {
	rows []store.Refusal
	err  error
}

func (f *fakeRefusals) Refusals() ([]store.Refusal, error) { return f.rows, f.err }

// TestRefusedList shows the documents set aside as refused under Văn bản
// đến, marked, with the cause in the clerk's language, the reason the
// sender was told and whether it was; hidden while there is none.
func TestRefusedList(t *testing.T) {
	test.NewTempApp(t)
	src := &fakeRefusals{}
	l := NewRefusedList(i18n.New(i18n.Vietnamese), src)
	l.Reload()
	if l.Accordion.Visible() {
		t.Fatal("the section shows with no refused document")
	}
	at := time.Date(2026, 12, 4, 2, 30, 0, 0, time.UTC)
	src.rows = []store.Refusal{
		{MessageID: "a", Sender: "000.00.00.H49", Cause: store.CauseTooLarge, Reason: "một tệp đính kèm vượt quá giới hạn", At: at,
			Subject: "Về việc thử", Told: at.Add(time.Minute)},
		{MessageID: "b", Sender: "000.00.00.G22", Cause: store.CauseSigner, Reason: "chứng thư số không được tin cậy", At: at},
	}
	l.Reload()
	if !l.Accordion.Visible() || l.Len() != 2 {
		t.Fatalf("visible %v, %d rows", l.Accordion.Visible(), l.Len())
	}
	if title := l.Accordion.Items[0].Title; !strings.HasPrefix(title, "[TỪ CHỐI]") || !strings.Contains(title, "(2)") {
		t.Errorf("title %q", title)
	}
	for i, want := range [][]string{
		{"[TỪ CHỐI]", "000.00.00.H49", "04/12/2026 09:30", "Tệp đính kèm vượt quá giới hạn", "đã báo cơ quan gửi", "Về việc thử", "một tệp đính kèm vượt quá giới hạn"},
		{"[TỪ CHỐI]", "000.00.00.G22", "Chứng thư số của cơ quan gửi không được tin cậy", "đang báo cơ quan gửi", "không đọc được trích yếu"},
	} {
		row := l.RowText(i)
		for _, w := range want {
			if !strings.Contains(row, w) {
				t.Errorf("row %d %q lacks %q", i, row, w)
			}
		}
	}

	en := NewRefusedList(i18n.New(i18n.English), src)
	en.Reload()
	if row := en.RowText(1); !strings.Contains(row, "[REFUSED]") || !strings.Contains(row, "Sender's certificate not trusted") || !strings.Contains(row, "telling the sender") {
		t.Errorf("English row %q", row)
	}

	var got error
	l.OnError = func(err error) { got = err }
	src.err = errors.New("store closed")
	l.Reload()
	if got == nil || l.Len() != 2 {
		t.Errorf("a failed reload: error %v, %d rows kept", got, l.Len())
	}
}
