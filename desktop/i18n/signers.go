package i18n

// The two signatures ND30 requires: who signed a PDF, in which role, and
// what is missing before the clerk seals a document.
const (
	// Roles, as the first words of a signer's line.
	SignerRolePerson Key = "SignerRolePerson"
	SignerRoleAgency Key = "SignerRoleAgency"
	SignerRoleOther  Key = "SignerRoleOther"
	// A signer's state; %s is pades' reason (English).
	SignerValid         Key = "SignerValid"
	SignerInvalid       Key = "SignerInvalid"
	SignerIndeterminate Key = "SignerIndeterminate"
	// %s is the signing time.
	SignerTimestampedAt Key = "SignerTimestampedAt"
	SignerClaimedAt     Key = "SignerClaimedAt"

	// The check of the main PDF before sealing; %s the person's name,
	// then the reason or the other agency's code.
	PersonSignedBy    Key = "PersonSignedBy"
	PersonChanged     Key = "PersonChanged"
	PersonInvalid     Key = "PersonInvalid"
	PersonOtherAgency Key = "PersonOtherAgency"
	PersonAgencyOnly  Key = "PersonAgencyOnly"
	PersonUnsigned    Key = "PersonUnsigned"

	// ErrPersonRefused: %s is the check's message (one of the Person keys).
	ErrPersonRefused Key = "ErrPersonRefused"
	// ErrNotOurPerson: the key given for the person's signature is not a
	// person's of this agency.
	ErrNotOurPerson Key = "ErrNotOurPerson"
	// WarnPersonSignature: issued anyway (the setting is warn); %s is the
	// check's message.
	WarnPersonSignature Key = "WarnPersonSignature"
)

var viSigners = map[Key]string{
	SignerRolePerson:    "Người có thẩm quyền ký",
	SignerRoleAgency:    "Chữ ký cơ quan",
	SignerRoleOther:     "Chữ ký khác",
	SignerValid:         "hợp lệ",
	SignerInvalid:       "KHÔNG hợp lệ (%s)",
	SignerIndeterminate: "chưa xác định được (%s)",
	SignerTimestampedAt: "lúc %s (có dấu thời gian)",
	SignerClaimedAt:     "lúc %s (theo máy của người ký)",

	PersonSignedBy:    "Văn bản đã có chữ ký hợp lệ của người có thẩm quyền: %s",
	PersonChanged:     "Văn bản đã bị sửa đổi sau khi %s ký; chữ ký của người có thẩm quyền không còn giá trị",
	PersonInvalid:     "Chữ ký của %s không hợp lệ: %s",
	PersonOtherAgency: "Văn bản do %s, người của cơ quan khác (%s), ký; chưa có chữ ký của người có thẩm quyền của cơ quan này",
	PersonAgencyOnly:  "Văn bản chỉ có chữ ký của cơ quan, chưa có chữ ký của người có thẩm quyền",
	PersonUnsigned:    "Văn bản chưa có chữ ký số của người có thẩm quyền",

	ErrPersonRefused:    "Chưa ban hành: %s. Hãy để người có thẩm quyền ký số văn bản trước; chưa có số nào bị lấy, chưa có gì được ký hay lưu",
	ErrNotOurPerson:     "Chứng thư số dùng để ký không phải của một người có thẩm quyền thuộc cơ quan này; chưa có gì được ký",
	WarnPersonSignature: "Cảnh báo: %s. Văn bản vẫn được ban hành theo cài đặt hiện tại",
}

var enSigners = map[Key]string{
	SignerRolePerson:    "Competent person's signature",
	SignerRoleAgency:    "Agency's signature",
	SignerRoleOther:     "Other signature",
	SignerValid:         "valid",
	SignerInvalid:       "NOT valid (%s)",
	SignerIndeterminate: "indeterminate (%s)",
	SignerTimestampedAt: "at %s (timestamped)",
	SignerClaimedAt:     "at %s (the signer's clock)",

	PersonSignedBy:    "The document carries a valid signature of the competent person: %s",
	PersonChanged:     "The document was changed after %s signed; the competent person's signature no longer holds",
	PersonInvalid:     "The signature of %s is not valid: %s",
	PersonOtherAgency: "The document was signed by %s, a person of another agency (%s); no competent person of this agency has signed it",
	PersonAgencyOnly:  "The document carries only an agency's signature, not the competent person's",
	PersonUnsigned:    "The document carries no digital signature of the competent person",

	ErrPersonRefused:    "Not issued: %s. Have the competent person sign the document first; no number was taken, nothing was signed or saved",
	ErrNotOurPerson:     "The signing certificate is not a competent person's of this agency; nothing was signed",
	WarnPersonSignature: "Warning: %s. The document is issued anyway, as the settings say",
}

func init() {
	for k, v := range viSigners {
		vi[k] = v
	}
	for k, v := range enSigners {
		en[k] = v
	}
}
