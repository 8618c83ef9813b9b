package i18n

import "maps"

// What the clerk reads about certificates of other CAs (Ban Cơ yếu,
// licensed public CAs) that the directory does not tie to an agency.
const (
	// ErrHubUnregistered: the hub refused the agency's certificate, or a
	// packet's signer, as registered for no agency.
	ErrHubUnregistered Key = "ErrHubUnregistered"
	// SigUnregistered: a certificate of another CA (a signer's, the
	// seal's) that no agency registered.
	SigUnregistered Key = "SigUnregistered"
)

var viForeignCA = map[Key]string{
	ErrHubUnregistered: "Máy chủ liên thông từ chối: chứng thư số này do tổ chức chứng thực khác cấp và chưa được đăng ký cho cơ quan nào trong danh bạ. Hãy gửi dấu vân tay SHA-256 của chứng thư cho quản trị máy chủ liên thông để đăng ký.",
	SigUnregistered:    "Chứng thư số do tổ chức chứng thực khác cấp và chưa được đăng ký cho cơ quan nào trong danh bạ liên thông, nên không xác định được chứng thư thuộc cơ quan nào. Hãy gửi dấu vân tay SHA-256 của chứng thư cho quản trị máy chủ liên thông để đăng ký, rồi đồng bộ lại.",
}

var enForeignCA = map[Key]string{
	ErrHubUnregistered: "The hub refused: this certificate was issued by another CA and is not registered for any agency in the directory. Send its SHA-256 fingerprint to the hub's operator to register it.",
	SigUnregistered:    "The certificate was issued by another CA and is not registered for any agency in the directory, so its agency is unknown. Send its SHA-256 fingerprint to the hub's operator to register it, then sync again.",
}

func init() {
	maps.Copy(vi, viForeignCA)
	maps.Copy(en, enForeignCA)
}
