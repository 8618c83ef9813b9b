package document

// Urgency is the độ khẩn (edXML Priority), 0 to 4.
type Urgency int

// The urgencies of ND30.
const (
	UrgencyNormal         Urgency = 0 // Thường
	UrgencyUrgent         Urgency = 1 // Khẩn
	UrgencyVeryUrgent     Urgency = 2 // Thượng khẩn
	UrgencyFlash          Urgency = 3 // Hỏa tốc
	UrgencyFlashScheduled Urgency = 4 // Hỏa tốc hẹn giờ
)

var urgencyNames = [...]struct{ vi, en string }{
	{"Thường", "normal"},
	{"Khẩn", "urgent"},
	{"Thượng khẩn", "very urgent"},
	{"Hỏa tốc", "flash"},
	{"Hỏa tốc hẹn giờ", "flash, by an appointed time"},
}

// Valid reports an urgency from 0 to 4.
func (u Urgency) Valid() bool { return u >= 0 && int(u) < len(urgencyNames) }

// NameVI returns the Vietnamese name ("Thượng khẩn"), or "" if invalid.
func (u Urgency) NameVI() string {
	if !u.Valid() {
		return ""
	}
	return urgencyNames[u].vi
}

// String returns the English name, for logs.
func (u Urgency) String() string {
	if !u.Valid() {
		return "invalid urgency"
	}
	return urgencyNames[u].en
}

// Secrecy is the độ mật. ND30 folds it into the Priority digit and edXML has
// no element of its own for it; here it is a field of its own, so that a
// document can be both Mật and Hỏa tốc.
type Secrecy int

// The secrecy levels.
const (
	SecrecyNone         Secrecy = 0 // not secret
	SecrecyConfidential Secrecy = 1 // Mật
	SecrecySecret       Secrecy = 2 // Tối mật
	SecrecyTopSecret    Secrecy = 3 // Tuyệt mật
)

var secrecyNames = [...]struct{ vi, en string }{
	{"", "not secret"},
	{"Mật", "confidential"},
	{"Tối mật", "secret"},
	{"Tuyệt mật", "top secret"},
}

// Valid reports a secrecy level from 0 to 3.
func (s Secrecy) Valid() bool { return s >= 0 && int(s) < len(secrecyNames) }

// NameVI returns the Vietnamese name ("Tối mật"), or "" for none or invalid.
func (s Secrecy) NameVI() string {
	if !s.Valid() {
		return ""
	}
	return secrecyNames[s].vi
}

// String returns the English name, for logs.
func (s Secrecy) String() string {
	if !s.Valid() {
		return "invalid secrecy"
	}
	return secrecyNames[s].en
}

// Steering is the edXML SteeringType.
type Steering int

// The steering types.
const (
	SteeringNone      Steering = 0 // not a directive
	SteeringDirective Steering = 1 // a directive (văn bản chỉ đạo)
	SteeringReport    Steering = 2 // a report on a directive
)

// Valid reports a steering type from 0 to 2.
func (s Steering) Valid() bool { return s >= SteeringNone && s <= SteeringReport }

// BusinessType is what a sent packet does (edXML BusinessDocType).
type BusinessType int

// The business types.
const (
	BusinessNew     BusinessType = 0 // a new document
	BusinessRecall  BusinessType = 1 // thu hồi: recall a document
	BusinessUpdate  BusinessType = 2 // cập nhật: update a document
	BusinessReplace BusinessType = 3 // thay thế: replace documents
)

var businessNames = [...]struct{ vi, en string }{
	{"Văn bản mới", "new"},
	{"Thu hồi", "recall"},
	{"Cập nhật", "update"},
	{"Thay thế", "replace"},
}

// Valid reports a business type from 0 to 3.
func (b BusinessType) Valid() bool { return b >= 0 && int(b) < len(businessNames) }

// NameVI returns the Vietnamese name ("Thu hồi"), or "" if invalid.
func (b BusinessType) NameVI() string {
	if !b.Valid() {
		return ""
	}
	return businessNames[b].vi
}

// String returns the English name, for logs.
func (b BusinessType) String() string {
	if !b.Valid() {
		return "invalid business type"
	}
	return businessNames[b].en
}
