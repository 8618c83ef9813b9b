package i18n

import "maps"

// What the clerk reads about agencies closed by a reorganisation (the 2025
// mergers): a recipient whose code was closed, and a document from one.
const (
	// ErrRecipientClosed: %s lists "old name → successor name (code)".
	ErrRecipientClosed Key = "ErrRecipientClosed"
	// AgencyNowIs: a closed agency's name, then its successor's.
	AgencyNowIs Key = "AgencyNowIs"
	// AgencyNowIsSince: the same with the day the code closed.
	AgencyNowIsSince Key = "AgencyNowIsSince"
	// PickClosedTitle and PickClosed offer the successor when the clerk
	// picks a closed agency: its name, the successor's.
	PickClosedTitle Key = "PickClosedTitle"
	PickClosed      Key = "PickClosed"
	PickClosedYes   Key = "PickClosedYes"
	// SendClosedHint: the command line's hint, with the successor's code.
	SendClosedHint Key = "SendClosedHint"
)

var viSuccession = map[Key]string{
	ErrRecipientClosed: "Nơi nhận đã sáp nhập vào cơ quan khác: %s. Văn bản chưa được gửi. Hãy ban hành lại văn bản gửi cơ quan kế thừa.",
	AgencyNowIs:        "%s (nay là %s)",
	AgencyNowIsSince:   "%s (nay là %s, từ ngày %s)",
	PickClosedTitle:    "Cơ quan đã sáp nhập",
	PickClosed:         "%s đã sáp nhập; nay là %s. Gửi cho %s?",
	PickClosedYes:      "Gửi cho cơ quan kế thừa",
	SendClosedHint:     "gửi lại với --to %s",
}

var enSuccession = map[Key]string{
	ErrRecipientClosed: "A recipient has merged into another agency: %s. The document was not sent. Issue it again to the successor.",
	AgencyNowIs:        "%s (now %s)",
	AgencyNowIsSince:   "%s (now %s, since %s)",
	PickClosedTitle:    "Agency merged",
	PickClosed:         "%s has merged; it is now %s. Send to %s instead?",
	PickClosedYes:      "Send to the successor",
	SendClosedHint:     "send again with --to %s",
}

func init() {
	maps.Copy(vi, viSuccession)
	maps.Copy(en, enSuccession)
}
