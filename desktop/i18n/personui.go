package i18n

// The app's side of ND30's two signatures: the person-signature check on
// the compose screen, the leader signing at the clerk's desk, the
// setting, and the signers in a document's view.
const (
	CmpPerson           Key = "CmpPerson"
	PersonChecking      Key = "PersonChecking"
	PersonNoFile        Key = "PersonNoFile"
	PersonNotChecked    Key = "PersonNotChecked"
	PersonCheckFailed   Key = "PersonCheckFailed"
	PersonRefuseProblem Key = "PersonRefuseProblem"
	PersonWarnNote      Key = "PersonWarnNote"
	CmpConfirmMissing   Key = "CmpConfirmMissing"
	CmpSendAnyway       Key = "CmpSendAnyway"

	SignHere            Key = "SignHere"
	SignHereTitle       Key = "SignHereTitle"
	SignHereFile        Key = "SignHereFile"
	SignHereKey         Key = "SignHereKey"
	SignHereImage       Key = "SignHereImage"
	SignHereImageChosen Key = "SignHereImageChosen"
	SignHereNoImage     Key = "SignHereNoImage"
	SignHerePage        Key = "SignHerePage"
	SignHereSign        Key = "SignHereSign"
	SignHereNeedKey     Key = "SignHereNeedKey"
	SignHereNeedFile    Key = "SignHereNeedFile"
	SignHereBadPage     Key = "SignHereBadPage"
	SignHereDone        Key = "SignHereDone"
	WorkPersonSign      Key = "WorkPersonSign"

	SetPersonPolicy Key = "SetPersonPolicy"
	PolicyWarn      Key = "PolicyWarn"
	PolicyRefuse    Key = "PolicyRefuse"
	PolicyOff       Key = "PolicyOff"

	DocSigners   Key = "DocSigners"
	DocNoSigners Key = "DocNoSigners"
)

var viPersonUI = map[Key]string{
	CmpPerson:           "Chữ ký người có thẩm quyền",
	PersonChecking:      "Đang kiểm tra chữ ký số trên văn bản chính…",
	PersonNoFile:        "Chưa có văn bản chính để kiểm tra",
	PersonNotChecked:    "Không kiểm tra (theo Cài đặt)",
	PersonCheckFailed:   "Không kiểm tra được văn bản chính: %s",
	PersonRefuseProblem: "Chưa gửi được: %s (Cài đặt không cho gửi văn bản thiếu chữ ký của người có thẩm quyền)",
	PersonWarnNote:      "%s. Vẫn có thể gửi; ứng dụng sẽ hỏi lại trước khi gửi",
	CmpConfirmMissing:   "Văn bản chính còn thiếu chữ ký: %s.\n\nVẫn ký số, đóng dấu và gửi văn bản «%s» tới %d nơi nhận?",
	CmpSendAnyway:       "Vẫn gửi",

	SignHere:            "Lãnh đạo ký tại đây",
	SignHereTitle:       "Người có thẩm quyền ký văn bản chính",
	SignHereFile:        "Văn bản: %s",
	SignHereKey:         "Khóa của người ký (thiết bị ký số)",
	SignHereImage:       "Chọn ảnh chữ ký (PNG)…",
	SignHereImageChosen: "Ảnh chữ ký: %s, đặt ở góc dưới bên phải trang đã chọn",
	SignHereNoImage:     "Không có ảnh chữ ký: chữ ký số không hiện trên trang",
	SignHerePage:        "Trang đặt ảnh chữ ký",
	SignHereSign:        "Ký",
	SignHereNeedKey:     "Hãy chọn khóa của người ký trong danh sách",
	SignHereNeedFile:    "Hãy chọn văn bản chính (PDF) trước khi ký",
	SignHereBadPage:     "Số trang không hợp lệ",
	SignHereDone:        "%s đã ký số văn bản chính; tệp đã ký được dùng để gửi",
	WorkPersonSign:      "Đang ký số văn bản chính…",

	SetPersonPolicy: "Văn bản thiếu chữ ký người có thẩm quyền",
	PolicyWarn:      "Cảnh báo, vẫn cho gửi",
	PolicyRefuse:    "Không cho gửi",
	PolicyOff:       "Không kiểm tra",

	DocSigners:   "Người ký văn bản chính",
	DocNoSigners: "Văn bản chính không có chữ ký số",
}

var enPersonUI = map[Key]string{
	CmpPerson:           "Competent person's signature",
	PersonChecking:      "Checking the main document's signatures…",
	PersonNoFile:        "No main document to check yet",
	PersonNotChecked:    "Not checked (as the settings say)",
	PersonCheckFailed:   "The main document cannot be checked: %s",
	PersonRefuseProblem: "Cannot send yet: %s (the settings refuse a document without the competent person's signature)",
	PersonWarnNote:      "%s. It may still be sent; the app asks again before sending",
	CmpConfirmMissing:   "The main document lacks a signature: %s.\n\nSign, seal and send «%s» to %d recipients anyway?",
	CmpSendAnyway:       "Send anyway",

	SignHere:            "Leader signs here",
	SignHereTitle:       "The competent person signs the main document",
	SignHereFile:        "Document: %s",
	SignHereKey:         "The signer's key (signing token)",
	SignHereImage:       "Choose the signature image (PNG)…",
	SignHereImageChosen: "Signature image: %s, at the bottom right of the page chosen",
	SignHereNoImage:     "No signature image: the signature does not show on the page",
	SignHerePage:        "Page of the signature image",
	SignHereSign:        "Sign",
	SignHereNeedKey:     "Choose the signer's key in the list",
	SignHereNeedFile:    "Choose the main document (PDF) before signing",
	SignHereBadPage:     "Not a valid page number",
	SignHereDone:        "%s signed the main document; the signed file is the one sent",
	WorkPersonSign:      "Signing the main document…",

	SetPersonPolicy: "A document without the competent person's signature",
	PolicyWarn:      "Warn, and allow sending",
	PolicyRefuse:    "Do not allow sending",
	PolicyOff:       "Do not check",

	DocSigners:   "Signers of the main document",
	DocNoSigners: "The main document carries no digital signature",
}

func init() {
	for k, v := range viPersonUI {
		vi[k] = v
	}
	for k, v := range enPersonUI {
		en[k] = v
	}
}
