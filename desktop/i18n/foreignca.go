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
	// ErrHubRefusedCertificate: the hub's TLS refused the agency's
	// certificate (a CA it does not trust, expired, revoked).
	ErrHubRefusedCertificate Key = "ErrHubRefusedCertificate"
)

var viForeignCA = map[Key]string{
	ErrHubRefusedCertificate: "Máy chủ liên thông từ chối chứng thư số của cơ quan: chứng thư do tổ chức chứng thực mà máy chủ không tin cậy cấp, hoặc đã hết hạn hay bị thu hồi. Hãy liên hệ quản trị máy chủ liên thông (với chứng thư của tổ chức chứng thực khác, chứng thư gốc của tổ chức đó phải được máy chủ tin cậy), hoặc nhập chứng thư số còn hiệu lực.",
	ErrHubUnregistered:       "Máy chủ liên thông từ chối: chứng thư số này do tổ chức chứng thực khác cấp và chưa được đăng ký cho cơ quan nào trong danh bạ. Hãy gửi dấu vân tay SHA-256 của chứng thư cho quản trị máy chủ liên thông để đăng ký.",
	SigUnregistered:          "Chứng thư số do tổ chức chứng thực khác cấp và chưa được đăng ký cho cơ quan nào trong danh bạ liên thông, nên không xác định được chứng thư thuộc cơ quan nào. Hãy gửi dấu vân tay SHA-256 của chứng thư cho quản trị máy chủ liên thông để đăng ký, rồi đồng bộ lại.",
}

var enForeignCA = map[Key]string{
	ErrHubRefusedCertificate: "The hub refused this agency's certificate: it was issued by a CA the hub does not trust, or it has expired or been revoked. Ask the hub's operator (for a certificate of another CA, its root must be among the hub's trusted roots), or import a valid certificate.",
	ErrHubUnregistered:       "The hub refused: this certificate was issued by another CA and is not registered for any agency in the directory. Send its SHA-256 fingerprint to the hub's operator to register it.",
	SigUnregistered:          "The certificate was issued by another CA and is not registered for any agency in the directory, so its agency is unknown. Send its SHA-256 fingerprint to the hub's operator to register it, then sync again.",
}

func init() {
	maps.Copy(vi, viForeignCA)
	maps.Copy(en, enForeignCA)
}
