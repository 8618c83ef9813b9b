package i18n

// The app's PIN dialog and the choice of the seal's key in Cài đặt.
const (
	PINTitle  Key = "PINTitle"
	PINPrompt Key = "PINPrompt"
	PINHint   Key = "PINHint"

	SetSeal          Key = "SetSeal"
	SealFromStore    Key = "SealFromStore"
	SealFromToken    Key = "SealFromToken"
	SetModule        Key = "SetModule"
	SetModuleHint    Key = "SetModuleHint"
	SetReadTokens    Key = "SetReadTokens"
	SetReadTokensPIN Key = "SetReadTokensPIN"
	WorkTokens       Key = "WorkTokens"
	TokenNone        Key = "TokenNone"
	TokenNoKeys      Key = "TokenNoKeys"
	TokenKey         Key = "TokenKey"
	TokenKeyNoCert   Key = "TokenKeyNoCert"
	TokenUnreadable  Key = "TokenUnreadable"
	SealChosen       Key = "SealChosen"
	SealStoreChosen  Key = "SealStoreChosen"
	SealNow          Key = "SealNow"
	SealNowStore     Key = "SealNowStore"
	SealNotAgency    Key = "SealNotAgency"
	SealUnusable     Key = "SealUnusable"
)

var viTokenUI = map[Key]string{
	PINTitle:  "Mã PIN",
	PINPrompt: "Nhập mã PIN của thiết bị ký số «%s»",
	PINHint:   "Mã PIN chỉ dùng cho lần đăng nhập này và không được lưu lại.",

	SetSeal:          "Con dấu của cơ quan",
	SealFromStore:    "Khóa trong kho dữ liệu (tệp .p12 đã nạp)",
	SealFromToken:    "Khóa trên thiết bị ký số (USB token)",
	SetModule:        "Trình điều khiển PKCS#11",
	SetModuleHint:    "Đường dẫn tệp trình điều khiển (.dll, .so) của thiết bị ký số",
	SetReadTokens:    "Đọc thiết bị",
	SetReadTokensPIN: "Đọc cả khóa cần mã PIN",
	WorkTokens:       "Đang đọc thiết bị ký số",
	TokenNone:        "Không thấy thiết bị ký số nào. Hãy cắm thiết bị và bấm «Đọc thiết bị»",
	TokenNoKeys:      "Thiết bị «%s» (số sê-ri %s) không cho thấy khóa ký nào khi chưa nhập mã PIN",
	TokenKey:         "«%s» (sê-ri %s) · khóa «%s» · %s",
	TokenKeyNoCert:   "«%s» (sê-ri %s) · khóa «%s» · không có chứng thư số trên thiết bị",
	TokenUnreadable:  "Thiết bị «%s» (số sê-ri %s): %s",
	SealChosen:       "Đã chọn con dấu trên thiết bị ký số: %s. Có hiệu lực khi mở lại ứng dụng",
	SealStoreChosen:  "Đã chọn ký bằng khóa trong kho dữ liệu. Có hiệu lực khi mở lại ứng dụng",
	SealNow:          "Đang dùng: khóa trên thiết bị ký số, %s",
	SealNowStore:     "Đang dùng: khóa trong kho dữ liệu",
	SealNotAgency:    "Chứng thư số này không phải con dấu của cơ quan %s",
	SealUnusable:     "Không dùng được con dấu đã chọn trong Cài đặt: %s\nVăn bản được ký bằng khóa trong kho dữ liệu cho đến khi chọn lại con dấu.",
}

var enTokenUI = map[Key]string{
	PINTitle:  "PIN",
	PINPrompt: "Enter the PIN of the signing token “%s”",
	PINHint:   "The PIN is used for this login only and is not kept.",

	SetSeal:          "The agency's seal",
	SealFromStore:    "The key in the store (the .p12 loaded)",
	SealFromToken:    "A key on a signing token (USB token)",
	SetModule:        "PKCS#11 driver",
	SetModuleHint:    "Path of the token's driver file (.dll, .so)",
	SetReadTokens:    "Read tokens",
	SetReadTokensPIN: "Also read keys that need the PIN",
	WorkTokens:       "Reading the signing tokens",
	TokenNone:        "No signing token found. Plug one in and press “Read tokens”",
	TokenNoKeys:      "Token “%s” (serial %s) shows no signing key before its PIN is entered",
	TokenKey:         "“%s” (serial %s) · key “%s” · %s",
	TokenKeyNoCert:   "“%s” (serial %s) · key “%s” · no certificate on the token",
	TokenUnreadable:  "Token “%s” (serial %s): %s",
	SealChosen:       "Seal on the signing token chosen: %s. Takes effect when the app is opened again",
	SealStoreChosen:  "Signing with the key in the store chosen. Takes effect when the app is opened again",
	SealNow:          "In use: a key on a signing token, %s",
	SealNowStore:     "In use: the key in the store",
	SealNotAgency:    "This certificate is not the seal of agency %s",
	SealUnusable:     "The seal chosen in the settings cannot be used: %s\nDocuments are signed with the key in the store until the seal is chosen again.",
}

func init() {
	for k, v := range viTokenUI {
		vi[k] = v
	}
	for k, v := range enTokenUI {
		en[k] = v
	}
}
