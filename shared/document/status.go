package document

import (
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"lienthong/certs"
)

// Status is a business status code of the edXML status packet, sent back by
// a recipient to the sender of a document (and 13 by the sender).
type Status string

// The business status codes.
const (
	StatusArrived    Status = "01" // Đã đến: in the recipient's system, no clerk has acted
	StatusRefused    Status = "02" // Từ chối tiếp nhận: refused, a reason is mandatory
	StatusReceived   Status = "03" // Đã tiếp nhận: registered in the incoming register
	StatusAssigned   Status = "04" // Phân công: assigned to a unit or person
	StatusProcessing Status = "05" // Đang xử lý: being processed
	StatusCompleted  Status = "06" // Hoàn thành: processing completed
	StatusRecalled   Status = "13" // Thu hồi: the sender recalls the document
	StatusAccepted   Status = "15" // Đồng ý: the recipient accepts a recall or update
	StatusRejected   Status = "16" // Từ chối: the recipient refuses a recall or update
)

var statusNames = map[Status]struct{ vi, en string }{
	StatusArrived:    {"Đã đến", "arrived"},
	StatusRefused:    {"Từ chối tiếp nhận", "refused"},
	StatusReceived:   {"Đã tiếp nhận", "received"},
	StatusAssigned:   {"Phân công", "assigned"},
	StatusProcessing: {"Đang xử lý", "processing"},
	StatusCompleted:  {"Hoàn thành", "completed"},
	StatusRecalled:   {"Thu hồi", "recalled"},
	StatusAccepted:   {"Đồng ý", "accepted"},
	StatusRejected:   {"Từ chối", "rejected"},
}

// Statuses returns the nine codes in ascending order.
func Statuses() []Status {
	return []Status{StatusArrived, StatusRefused, StatusReceived, StatusAssigned, StatusProcessing,
		StatusCompleted, StatusRecalled, StatusAccepted, StatusRejected}
}

// Valid reports one of the nine codes.
func (s Status) Valid() bool { _, ok := statusNames[s]; return ok }

// NameVI returns the Vietnamese name ("Đã tiếp nhận"), or "" if invalid.
func (s Status) NameVI() string { return statusNames[s].vi }

// NameEN returns the English name ("received"), or "" if invalid.
func (s Status) NameEN() string { return statusNames[s].en }

// BySender reports the one status the document's sender sends (13, a
// recall); the recipient sends all the others.
func (s Status) BySender() bool { return s == StatusRecalled }

func (s Status) describe() string {
	if n := s.NameEN(); n != "" {
		return string(s) + " (" + n + ")"
	}
	return fmt.Sprintf("%q", string(s))
}

// ErrTransition is matched by every [*TransitionError].
var ErrTransition = errors.New("status not allowed")

// TransitionError reports a status that may not come next in a document's
// history at one recipient.
type TransitionError struct {
	Prev   Status // the last status of the history, "" if none
	Next   Status
	Reason string
}

func (e *TransitionError) Error() string {
	prev := "the start"
	if e.Prev != "" {
		prev = e.Prev.describe()
	}
	return fmt.Sprintf("status %s cannot follow %s: %s", e.Next.describe(), prev, e.Reason)
}

// Is makes errors.Is(err, ErrTransition) true.
func (e *TransitionError) Is(target error) bool { return target == ErrTransition }

// Lifecycle is where one document stands at one recipient, replayed from
// its status history, and decides which status may come next. It is a
// value: Next returns the new state and leaves the old one as it was.
//
// For a new document or a replacement the rules are:
//   - 01 comes first, once.
//   - 02 (refused) only right after 01, before 03, or first of all: a
//     recipient's system that cannot take a document (a signature it
//     cannot accept, an attachment over its limit) refuses it without its
//     arriving, and the hub's refusal receipt carries the 02 (package
//     receipt). 02 ends the history.
//   - 03 (received) only right after 01, once.
//   - 04 (assigned) after 03 or after 04: a document may be reassigned.
//   - 05 (processing) after 03, 04 or 05: assignment may be skipped (a
//     small agency's head handles it directly) and progress may be reported
//     more than once.
//   - 06 (completed) after 03, 04 or 05, once: processing never goes back
//     and a document for information only may be completed at once.
//   - 13 (recall, from the sender) once the document has arrived and was
//     not refused, even after 06; while a recall is open only its answer
//     may follow.
//   - 15 (accept) and 16 (refuse) only answer an open recall. 15 ends the
//     history (the recipient's copy is destroyed); after 16 processing goes
//     on where it was, and the sender may recall again.
//
// A recall or an update travels as a packet of its own (business type 1 or
// 2) with a shorter history: 01, then 02 or the answer 15 or 16, which ends
// it.
type Lifecycle struct {
	business      BusinessType
	last          Status // last status applied
	stage         Status // last of 01..06 and 02
	recallPending bool
	closed        bool
}

// NewLifecycle returns the empty history of a packet of the given business
// type.
func NewLifecycle(b BusinessType) Lifecycle { return Lifecycle{business: b} }

// ReplayHistory applies a history in order and returns where it leaves the
// document, or the first transition that breaks the rules.
func ReplayHistory(b BusinessType, history []Status) (Lifecycle, error) {
	l := NewLifecycle(b)
	for i, s := range history {
		next, err := l.Next(s)
		if err != nil {
			return l, fmt.Errorf("status %d of the history: %w", i+1, err)
		}
		l = next
	}
	return l, nil
}

// Last returns the last status applied, "" for none.
func (l Lifecycle) Last() Status { return l.last }

// Stage returns the last processing status (01 to 06, or 02), "" for none.
func (l Lifecycle) Stage() Status { return l.stage }

// RecallPending reports a recall (13) that the recipient has not answered.
func (l Lifecycle) RecallPending() bool { return l.recallPending }

// Closed reports a history that takes no more statuses: refused, recalled
// with the recipient's consent, or a recall or update packet answered.
func (l Lifecycle) Closed() bool { return l.closed }

// Allows reports whether s may come next.
func (l Lifecycle) Allows(s Status) bool { _, err := l.Next(s); return err == nil }

// Next returns the state after s, or a [*TransitionError] if s may not come
// next.
func (l Lifecycle) Next(s Status) (Lifecycle, error) {
	if reason := l.refuse(s); reason != "" {
		return l, &TransitionError{Prev: l.last, Next: s, Reason: reason}
	}
	l.last = s
	switch s {
	case StatusArrived, StatusReceived, StatusAssigned, StatusProcessing, StatusCompleted:
		l.stage = s
	case StatusRefused:
		l.stage = s
		l.closed = true
	case StatusRecalled:
		l.recallPending = true
	case StatusAccepted:
		l.recallPending = false
		l.closed = true
	case StatusRejected:
		l.recallPending = false
		if l.business == BusinessRecall || l.business == BusinessUpdate {
			l.closed = true
		}
	}
	return l, nil
}

// refuse explains why s may not come next, or returns "".
func (l Lifecycle) refuse(s Status) string {
	switch {
	case !s.Valid():
		return "not a status code"
	case !l.business.Valid():
		return "invalid business type"
	case l.closed:
		return "the history is closed"
	case s == StatusRefused && l.stage == "":
		return "" // refused on arrival
	case s != StatusArrived && l.stage == "":
		return "the document has not arrived (01) yet"
	case s == StatusArrived && l.stage != "":
		return "01 comes once"
	case s == StatusArrived:
		return ""
	}
	if l.business == BusinessRecall || l.business == BusinessUpdate {
		switch s {
		case StatusRefused, StatusAccepted, StatusRejected:
			return ""
		default:
			return "a recall or update packet is only answered with 15 or 16, or refused with 02"
		}
	}
	if l.recallPending && s != StatusAccepted && s != StatusRejected {
		return "a recall is open: answer it with 15 or 16 first"
	}
	switch s {
	case StatusRefused:
		if l.stage != StatusArrived {
			return "02 only before the document is received (03)"
		}
	case StatusReceived:
		if l.stage != StatusArrived {
			return "03 only right after 01, once"
		}
	case StatusAssigned:
		if l.stage != StatusReceived && l.stage != StatusAssigned {
			return "04 only after 03 or 04"
		}
	case StatusProcessing, StatusCompleted:
		if l.stage != StatusReceived && l.stage != StatusAssigned && l.stage != StatusProcessing {
			return "only after 03, 04 or 05"
		}
	case StatusRecalled:
		// Arrived, not refused, no recall open: checked above.
	case StatusAccepted, StatusRejected:
		if !l.recallPending {
			return "15 and 16 only answer a recall (13)"
		}
	}
	return ""
}

// StatusUpdate is one entry of a document's status history at one
// recipient, as it travels back to the sender.
type StatusUpdate struct {
	// Document is the document the status is about.
	Document DocumentRef `json:"document"`
	// From is the agency sending the status: the recipient, or the
	// document's sender for a recall (13).
	From certs.AgencyCode `json:"from"`
	// Code is the status.
	Code Status `json:"code"`
	// Description says what was done, at most 500 characters.
	Description string `json:"description,omitempty"`
	// Reason is why: mandatory for 02 (refused), at most 500 characters.
	Reason string `json:"reason,omitempty"`
	// Staff names the staff member who acted, empty for a status the
	// system sends by itself (01), at most 100 characters.
	Staff string `json:"staff,omitempty"`
	// Time is when the status was set.
	Time time.Time `json:"time"`
}

// Normalize puts the text fields in NFC and trims them.
func (u *StatusUpdate) Normalize() {
	u.From = normCode(u.From)
	normText(&u.Description)
	normText(&u.Reason)
	normText(&u.Staff)
}

// Validate reports every problem of a status update at once as a
// [*ValidationError]: the document id, the agency code, the status code, a
// mandatory reason for 02, the text limits, a time, and who may send it
// (13 only the document's sender; every other code only someone else).
func (u *StatusUpdate) Validate() error {
	c := &checker{}
	if u.Document.IsZero() {
		c.add("document", ProblemRequired, "is required", "Chưa chỉ rõ văn bản.")
	} else {
		c.ref("document", "văn bản", u.Document)
	}
	fromOK := c.agency("from", "mã định danh cơ quan gửi trạng thái", u.From)
	if !u.Code.Valid() {
		c.add("code", ProblemOutOfRange, "not one of the status codes 01-06, 13, 15, 16",
			"Mã trạng thái không hợp lệ.")
	}
	c.text("description", "mô tả", u.Description, MaxDescription, false)
	c.text("reason", "lý do", u.Reason, MaxReason, u.Code == StatusRefused)
	c.text("staff", "cán bộ xử lý", u.Staff, MaxStaff, false)
	if u.Time.IsZero() {
		c.add("time", ProblemRequired, "is required", "Thiếu thời điểm cập nhật trạng thái.")
	}
	if fromOK && !u.Document.IsZero() && u.Code.Valid() {
		switch {
		case u.Code.BySender() && u.From != u.Document.Organ:
			c.add("from", ProblemNotAllowed, "only the document's sender may recall it",
				"Chỉ cơ quan ban hành mới được thu hồi văn bản.")
		case !u.Code.BySender() && u.From == u.Document.Organ:
			c.add("from", ProblemNotAllowed, "this status is sent by a recipient, not by the document's sender",
				"Trạng thái này do cơ quan nhận gửi, không phải cơ quan ban hành.")
		}
	}
	return c.err()
}

// ParseStatusUpdate decodes a status update from JSON with the same
// strictness as [ParseMetadata], normalises and validates it.
func ParseStatusUpdate(data []byte) (*StatusUpdate, error) {
	if len(data) > MaxMetadataSize {
		return nil, fmt.Errorf("%w: %d bytes, at most %d", ErrMalformed, len(data), MaxMetadataSize)
	}
	if !utf8.Valid(data) {
		return nil, fmt.Errorf("%w: not valid UTF-8", ErrMalformed)
	}
	u := new(StatusUpdate)
	if err := decodeStrict(data, u); err != nil {
		return nil, err
	}
	u.Normalize()
	if err := u.Validate(); err != nil {
		return u, err
	}
	return u, nil
}

// Arrival is what a recipient adds to an incoming document when it
// registers it: the số đến (1 to 10 digits, restarting each year) and when
// it arrived.
type Arrival struct {
	Number string    `json:"number"`
	Time   time.Time `json:"time"`
}

// Validate checks the arrival number and time.
func (a Arrival) Validate() error {
	c := &checker{}
	if c.text("number", "số đến", a.Number, MaxArrivalNumber, true) {
		if err := checkNumber(a.Number); err != nil {
			c.add("number", ProblemBadFormat, "must be digits, 1 or more", "Số đến chỉ gồm chữ số và phải từ 1 trở lên.")
		}
	}
	if a.Time.IsZero() {
		c.add("time", ProblemRequired, "is required", "Thiếu ngày đến.")
	}
	return c.err()
}
