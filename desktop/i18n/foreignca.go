package i18n

import "maps"

// What the clerk reads about certificates of other CAs (Ban Cơ yếu,
// licensed public CAs) that the directory does not tie to an agency.
const (
	// ErrHubUnregistered: the hub refused the agency's certificate, or a
	// packet's signer, as registered for no agency.
	ErrHubUnregistered Key = "ErrHubUnregistered"
	// SigUnregistered: a document's signer whose certificate no agency
	// registered; %s is its SHA-256.
	SigUnregistered Key = "SigUnregistered"
)

var viForeignCA = map[Key]string{
	ErrHubUnregistered: "Máy chủ liên thông từ chối: chứng thư số này do tổ chức chứng thực khác cấp và chưa được đăng ký cho cơ quan nào trong danh bạ. Hãy gửi dấu vân tay SHA-256 của chứng thư cho quản trị máy chủ liên thông để đăng ký.",
	SigUnregistered:    "Chứng thư của người ký do tổ chức chứng thực khác cấp và chưa được đăng ký cho cơ quan nào trong danh bạ (SHA-256 %s): không xác định được người ký thuộc cơ quan nào",
}

var enForeignCA = map[Key]string{
	ErrHubUnregistered: "The hub refused: this certificate was issued by another CA and is not registered for any agency in the directory. Send its SHA-256 fingerprint to the hub's operator to register it.",
	SigUnregistered:    "The signer's certificate was issued by another CA and is not registered for any agency in the directory (SHA-256 %s): the signer's agency is unknown",
}

func init() {
	maps.Copy(vi, viForeignCA)
	maps.Copy(en, enForeignCA)
}
