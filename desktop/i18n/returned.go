package i18n

import "maps"

// What the clerk reads about a document the hub returned (refused for
// good: a closed or unknown recipient, a document that breaks the hub's
// rules), and sending it again.
const (
	// DocReturned: the state of a returned document; %s is why (Explain).
	DocReturned Key = "DocReturned"
	// StatusReturned: a returned document's status in the outgoing list.
	StatusReturned Key = "StatusReturned"
	// NotifyReturned is the title of the notification of a return.
	NotifyReturned Key = "NotifyReturned"
	// RegNoteReturned and RegNoteResent: the outgoing register's note
	// on a returned document, and on one also sent again (the new
	// message has its own row under the same number).
	RegNoteReturned Key = "RegNoteReturned"
	RegNoteResent   Key = "RegNoteResent"
	// DocResentAs: a returned document sent again; %s is the new
	// document's number/notation and date, or its id.
	DocResentAs Key = "DocResentAs"
	// ActionResend is the button that sends a returned document again.
	ActionResend Key = "ActionResend"
	// ResendTitle and ResendTo ask whom to send it to; %s: the successors
	// offered, or the old recipients.
	ResendTitle Key = "ResendTitle"
	ResendTo    Key = "ResendTo"
	// ResendHint: the command line's hint after a return; %s is the
	// document's id, then the successor's code(s) after --to.
	ResendHint Key = "ResendHint"
)

var viReturned = map[Key]string{
	RegNoteReturned: "Bị trục liên thông trả lại",
	RegNoteResent:   "Đã gửi lại",
	NotifyReturned:  "Văn bản đi bị trả lại",
	StatusReturned:  "Bị trả lại",
	DocReturned:     "Bị trục trả lại, chưa gửi được: %s",
	DocResentAs:     "Đã gửi lại thành văn bản %s",
	ActionResend:    "Gửi lại",
	ResendTitle:     "Gửi lại văn bản bị trả lại",
	ResendTo:        "Gửi lại văn bản (cùng số, ký hiệu và ngày) đến: %s?",
	ResendHint:      "gửi lại: lienthong-clerk resend %s --to %s",
}

var enReturned = map[Key]string{
	RegNoteReturned: "Returned by the hub",
	RegNoteResent:   "Sent again",
	NotifyReturned:  "Outgoing document returned",
	StatusReturned:  "Returned",
	DocReturned:     "Returned by the hub, not sent: %s",
	DocResentAs:     "Sent again as %s",
	ActionResend:    "Send again",
	ResendTitle:     "Send a returned document again",
	ResendTo:        "Send the document again (same number, notation and date) to: %s?",
	ResendHint:      "send it again: lienthong-clerk resend %s --to %s",
}

func init() {
	maps.Copy(vi, viReturned)
	maps.Copy(en, enReturned)
}
