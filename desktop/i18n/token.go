package i18n

// What the clerk reads when a key in a PKCS#11 token (USB token) cannot
// sign. Nothing was signed or written when one of these is shown.
const (
	ErrTokenWrongPIN      Key = "ErrTokenWrongPIN"
	ErrTokenPINLocked     Key = "ErrTokenPINLocked"
	ErrTokenPINNeeded     Key = "ErrTokenPINNeeded"
	ErrTokenRemoved       Key = "ErrTokenRemoved"
	ErrTokenKeyCannotSign Key = "ErrTokenKeyCannotSign"
	ErrTokenCertMismatch  Key = "ErrTokenCertMismatch"
	ErrTokenNoCert        Key = "ErrTokenNoCert"
	ErrTokenNotFound      Key = "ErrTokenNotFound"
	ErrTokenAmbiguous     Key = "ErrTokenAmbiguous"
	ErrTokenKeyNotFound   Key = "ErrTokenKeyNotFound"
	ErrTokenModule        Key = "ErrTokenModule"
	ErrTokenFailed        Key = "ErrTokenFailed"
	ErrTokenNoSupport     Key = "ErrTokenNoSupport"
	ErrSealAgency         Key = "ErrSealAgency"
)

var viToken = map[Key]string{
	ErrTokenWrongPIN:      "Sai mã PIN của thiết bị ký số (USB token). Hãy nhập lại; nhập sai nhiều lần liên tiếp sẽ khóa thiết bị",
	ErrTokenPINLocked:     "Mã PIN của thiết bị ký số đã bị khóa. Hãy liên hệ đơn vị cấp chứng thư số để mở khóa; chưa có gì được ký",
	ErrTokenPINNeeded:     "Thiết bị ký số cần mã PIN nhưng chưa được nhập",
	ErrTokenRemoved:       "Thiết bị ký số đã bị rút ra trong khi ký. Hãy cắm lại và ký lại; chưa có gì được ký hay lưu",
	ErrTokenKeyCannotSign: "Khóa trên thiết bị ký số không được phép dùng để ký",
	ErrTokenCertMismatch:  "Chứng thư số không khớp với khóa trên thiết bị ký số; chưa có gì được ký",
	ErrTokenNoCert:        "Không tìm thấy chứng thư số của khóa trên thiết bị ký số; hãy chỉ ra tệp chứng thư",
	ErrTokenNotFound:      "Không tìm thấy thiết bị ký số. Hãy cắm thiết bị vào máy và thử lại",
	ErrTokenAmbiguous:     "Có nhiều thiết bị ký số đang cắm; hãy chọn thiết bị theo tên hoặc số sê-ri",
	ErrTokenKeyNotFound:   "Không tìm thấy khóa ký trên thiết bị ký số, hoặc có nhiều khóa; hãy chọn khóa theo tên",
	ErrTokenModule:        "Không nạp được trình điều khiển (PKCS#11) của thiết bị ký số; hãy kiểm tra phần mềm đi kèm thiết bị",
	ErrTokenFailed:        "Thiết bị ký số báo lỗi; chưa có gì được ký",
	ErrTokenNoSupport:     "Bản chương trình này không hỗ trợ thiết bị ký số (USB token)",
	ErrSealAgency:         "Chứng thư số trên thiết bị ký số không phải của cơ quan này; hãy chọn đúng con dấu của cơ quan",
}

var enToken = map[Key]string{
	ErrTokenWrongPIN:      "Wrong token PIN. Enter it again; several wrong PINs in a row lock the token",
	ErrTokenPINLocked:     "The token's PIN is locked. Ask the certificate's issuer to unlock it; nothing was signed",
	ErrTokenPINNeeded:     "The token needs a PIN and none was entered",
	ErrTokenRemoved:       "The token was removed while signing. Plug it in and sign again; nothing was signed or saved",
	ErrTokenKeyCannotSign: "The key on the token may not sign",
	ErrTokenCertMismatch:  "The certificate does not match the key on the token; nothing was signed",
	ErrTokenNoCert:        "The token holds no certificate for the key; give the certificate file",
	ErrTokenNotFound:      "No signing token found. Plug it in and try again",
	ErrTokenAmbiguous:     "Several tokens are plugged in; choose one by label or serial number",
	ErrTokenKeyNotFound:   "No signing key found on the token, or several; choose the key by label",
	ErrTokenModule:        "The token's PKCS#11 driver cannot be loaded; check the software that came with the token",
	ErrTokenFailed:        "The token reported an error; nothing was signed",
	ErrTokenNoSupport:     "This build of the program does not support signing tokens",
	ErrSealAgency:         "The certificate on the token is not this agency's; choose the agency's seal",
}

func init() {
	for k, v := range viToken {
		vi[k] = v
	}
	for k, v := range enToken {
		en[k] = v
	}
}
