package i18n

// Key names a message of the catalog.
type Key string

// The message keys.
const (
	AppTitle              Key = "AppTitle"
	TabIncoming           Key = "TabIncoming"
	TabOutgoing           Key = "TabOutgoing"
	TabCompose            Key = "TabCompose"
	TabRegisters          Key = "TabRegisters"
	TabVerify             Key = "TabVerify"
	TabSettings           Key = "TabSettings"
	ColNumber             Key = "ColNumber"
	ColDate               Key = "ColDate"
	ColAgency             Key = "ColAgency"
	ColRecipient          Key = "ColRecipient"
	ColSubject            Key = "ColSubject"
	ColUrgency            Key = "ColUrgency"
	ColStatus             Key = "ColStatus"
	ColDue                Key = "ColDue"
	FilterAll             Key = "FilterAll"
	FilterUnread          Key = "FilterUnread"
	FilterOverdue         Key = "FilterOverdue"
	FilterDueSoon         Key = "FilterDueSoon"
	FilterStatus          Key = "FilterStatus"
	SearchPlaceholder     Key = "SearchPlaceholder"
	ListCount             Key = "ListCount"
	ListEmpty             Key = "ListEmpty"
	ListLoading           Key = "ListLoading"
	StatusNone            Key = "StatusNone"
	StatusQueued          Key = "StatusQueued"
	UrgencyNormal         Key = "UrgencyNormal"
	UrgencyUrgent         Key = "UrgencyUrgent"
	UrgencyVeryUrgent     Key = "UrgencyVeryUrgent"
	UrgencyFlash          Key = "UrgencyFlash"
	UrgencyFlashScheduled Key = "UrgencyFlashScheduled"
	SecrecyNone           Key = "SecrecyNone"
	SecrecyConfidential   Key = "SecrecyConfidential"
	SecrecySecret         Key = "SecrecySecret"
	SecrecyTopSecret      Key = "SecrecyTopSecret"
	Online                Key = "Online"
	Offline               Key = "Offline"
	OfflineReason         Key = "OfflineReason"
	Pending               Key = "Pending"
	TransferUp            Key = "TransferUp"
	TransferDown          Key = "TransferDown"
	SyncNow               Key = "SyncNow"
	WizardTitle           Key = "WizardTitle"
	WizardIntro           Key = "WizardIntro"
	WizardP12             Key = "WizardP12"
	WizardRoots           Key = "WizardRoots"
	WizardChoose          Key = "WizardChoose"
	WizardNoFile          Key = "WizardNoFile"
	WizardP12Pass         Key = "WizardP12Pass"
	WizardHub             Key = "WizardHub"
	WizardServerName      Key = "WizardServerName"
	WizardPass            Key = "WizardPass"
	WizardPass2           Key = "WizardPass2"
	WizardTest            Key = "WizardTest"
	WizardTesting         Key = "WizardTesting"
	WizardTestOK          Key = "WizardTestOK"
	WizardTestFail        Key = "WizardTestFail"
	WizardFinish          Key = "WizardFinish"
	WizardNeedFile        Key = "WizardNeedFile"
	WizardNeedHub         Key = "WizardNeedHub"
	WizardPassShort       Key = "WizardPassShort"
	WizardPassMismatch    Key = "WizardPassMismatch"
	WizardBadP12          Key = "WizardBadP12"
	WizardFailed          Key = "WizardFailed"
	UnlockTitle           Key = "UnlockTitle"
	UnlockPrompt          Key = "UnlockPrompt"
	UnlockButton          Key = "UnlockButton"
	DocNumber             Key = "DocNumber"
	DocDate               Key = "DocDate"
	DocType               Key = "DocType"
	DocFrom               Key = "DocFrom"
	DocTo                 Key = "DocTo"
	DocSubject            Key = "DocSubject"
	DocSigner             Key = "DocSigner"
	DocUrgency            Key = "DocUrgency"
	DocSecrecy            Key = "DocSecrecy"
	DocDue                Key = "DocDue"
	DocArrival            Key = "DocArrival"
	DocArrivalValue       Key = "DocArrivalValue"
	DocNotRegistered      Key = "DocNotRegistered"
	DocAttachments        Key = "DocAttachments"
	DocOpen               Key = "DocOpen"
	DocSaveCopy           Key = "DocSaveCopy"
	DocCopySaved          Key = "DocCopySaved"
	DocCopyFailed         Key = "DocCopyFailed"
	DocEvidence           Key = "DocEvidence"
	DocEvidenceSaved      Key = "DocEvidenceSaved"
	DocEvidenceFailed     Key = "DocEvidenceFailed"
	DocPreview            Key = "DocPreview"
	DocNoPreview          Key = "DocNoPreview"
	DocSignatures         Key = "DocSignatures"
	DocTimeline           Key = "DocTimeline"
	DocActions            Key = "DocActions"
	DocBack               Key = "DocBack"
	DocNone               Key = "DocNone"
	DocRecallPending      Key = "DocRecallPending"
	DocSentAt             Key = "DocSentAt"
	DocQueued             Key = "DocQueued"
	SigNone               Key = "SigNone"
	SigAllValid           Key = "SigAllValid"
	SigSomeInvalid        Key = "SigSomeInvalid"
	SigValid              Key = "SigValid"
	SigInvalid            Key = "SigInvalid"
	SigSigner             Key = "SigSigner"
	SigIssuer             Key = "SigIssuer"
	SigTime               Key = "SigTime"
	SigTimestamp          Key = "SigTimestamp"
	SigUntrusted          Key = "SigUntrusted"
	SigChanged            Key = "SigChanged"
	SigUnchanged          Key = "SigUnchanged"
	SigProblem            Key = "SigProblem"
	SigAttachment         Key = "SigAttachment"
	ActStaff              Key = "ActStaff"
	ActRegister           Key = "ActRegister"
	ActAssign             Key = "ActAssign"
	ActProcess            Key = "ActProcess"
	ActComplete           Key = "ActComplete"
	ActRefuse             Key = "ActRefuse"
	ActAcceptRecall       Key = "ActAcceptRecall"
	ActRejectRecall       Key = "ActRejectRecall"
	ActRecall             Key = "ActRecall"
	ActReason             Key = "ActReason"
	ActAssignTo           Key = "ActAssignTo"
	ActNote               Key = "ActNote"
	ActNeedReason         Key = "ActNeedReason"
	ActNeedAssignee       Key = "ActNeedAssignee"
	ActRegistered         Key = "ActRegistered"
	ActDone               Key = "ActDone"
	CmpFile               Key = "CmpFile"
	CmpAttach             Key = "CmpAttach"
	CmpDrop               Key = "CmpDrop"
	CmpType               Key = "CmpType"
	CmpNotation           Key = "CmpNotation"
	CmpNextNumber         Key = "CmpNextNumber"
	CmpDate               Key = "CmpDate"
	CmpPlace              Key = "CmpPlace"
	CmpSubject            Key = "CmpSubject"
	CmpCompetence         Key = "CmpCompetence"
	CmpPosition           Key = "CmpPosition"
	CmpSigner             Key = "CmpSigner"
	CmpRecipients         Key = "CmpRecipients"
	CmpNoRecipients       Key = "CmpNoRecipients"
	CmpRemove             Key = "CmpRemove"
	CmpUrgency            Key = "CmpUrgency"
	CmpSecrecy            Key = "CmpSecrecy"
	CmpDue                Key = "CmpDue"
	CmpStamp              Key = "CmpStamp"
	StampNone             Key = "StampNone"
	StampText             Key = "StampText"
	StampSeal             Key = "StampSeal"
	StampChooseSeal       Key = "StampChooseSeal"
	StampSealChosen       Key = "StampSealChosen"
	StampNeedSeal         Key = "StampNeedSeal"
	CmpSend               Key = "CmpSend"
	CmpReset              Key = "CmpReset"
	CmpValid              Key = "CmpValid"
	CmpDuplicate          Key = "CmpDuplicate"
	CmpBadDate            Key = "CmpBadDate"
	CmpNeedFile           Key = "CmpNeedFile"
	CmpConfirm            Key = "CmpConfirm"
	CmpSent               Key = "CmpSent"
	CmpFailed             Key = "CmpFailed"
	PickerSearch          Key = "PickerSearch"
	PickerEmpty           Key = "PickerEmpty"
	PickerAdd             Key = "PickerAdd"
	RegBook               Key = "RegBook"
	RegOutgoing           Key = "RegOutgoing"
	RegIncoming           Key = "RegIncoming"
	RegFollowUp           Key = "RegFollowUp"
	RegYear               Key = "RegYear"
	RegExportCSV          Key = "RegExportCSV"
	RegExportPDF          Key = "RegExportPDF"
	RegExported           Key = "RegExported"
	RegFailed             Key = "RegFailed"
	VerChoose             Key = "VerChoose"
	VerFile               Key = "VerFile"
	VerFailed             Key = "VerFailed"
	SetLanguage           Key = "SetLanguage"
	SetTheme              Key = "SetTheme"
	ThemeLight            Key = "ThemeLight"
	ThemeDark             Key = "ThemeDark"
	SetAgency             Key = "SetAgency"
	SetHub                Key = "SetHub"
	SetHubHint            Key = "SetHubHint"
	SetProxy              Key = "SetProxy"
	SetProxyHint          Key = "SetProxyHint"
	SetPoll               Key = "SetPoll"
	SetPollHint           Key = "SetPollHint"
	SetNotify             Key = "SetNotify"
	SetStaff              Key = "SetStaff"
	SetRestart            Key = "SetRestart"
	SetShortcuts          Key = "SetShortcuts"
	NotifyUrgent          Key = "NotifyUrgent"
	NotifyBody            Key = "NotifyBody"
	NotifyDuplicate       Key = "NotifyDuplicate"
	NotifyDuplicateBody   Key = "NotifyDuplicateBody"
	OK                    Key = "OK"
	Cancel                Key = "Cancel"
	Close                 Key = "Close"
	Error                 Key = "Error"
	Unread                Key = "Unread"
	Yes                   Key = "Yes"
	SelectPrompt          Key = "SelectPrompt"
	No                    Key = "No"
	WorkIssue             Key = "WorkIssue"
	WorkUpdate            Key = "WorkUpdate"
	WorkExport            Key = "WorkExport"
	WorkVerify            Key = "WorkVerify"
	WorkOpen              Key = "WorkOpen"
	WorkSync              Key = "WorkSync"
	WorkUnlock            Key = "WorkUnlock"
	WorkSave              Key = "WorkSave"
	PrintPage             Key = "PrintPage"
	ExampleNotation       Key = "ExampleNotation"
	ExampleHub            Key = "ExampleHub"
	ExampleDate           Key = "ExampleDate"
	EvidenceFileName      Key = "EvidenceFileName"
	RegisterFileName      Key = "RegisterFileName"
	AttachmentSize        Key = "AttachmentSize"
	AgencyWithCode        Key = "AgencyWithCode"
	DocTitle              Key = "DocTitle"
	SelectedPlaceholders  Key = "SelectedPlaceholders"
)

var vi = map[Key]string{
	AppTitle:              "Liên thông văn bản",
	TabIncoming:           "Văn bản đến",
	TabOutgoing:           "Văn bản đi",
	TabCompose:            "Soạn văn bản",
	TabRegisters:          "Sổ đăng ký",
	TabVerify:             "Kiểm tra chữ ký",
	TabSettings:           "Cài đặt",
	ColNumber:             "Số/Ký hiệu",
	ColDate:               "Ngày",
	ColAgency:             "Cơ quan ban hành",
	ColRecipient:          "Nơi nhận",
	ColSubject:            "Trích yếu",
	ColUrgency:            "Độ khẩn",
	ColStatus:             "Trạng thái",
	ColDue:                "Hạn xử lý",
	FilterAll:             "Tất cả",
	FilterUnread:          "Chưa đọc",
	FilterOverdue:         "Quá hạn",
	FilterDueSoon:         "Sắp đến hạn",
	FilterStatus:          "Trạng thái: %s",
	SearchPlaceholder:     "Tìm theo số, trích yếu, cơ quan… (gõ có hoặc không dấu)",
	ListCount:             "%d văn bản",
	ListEmpty:             "Không có văn bản nào",
	ListLoading:           "Đang tải…",
	StatusNone:            "Chưa có phản hồi",
	StatusQueued:          "Chờ gửi",
	UrgencyNormal:         "Thường",
	UrgencyUrgent:         "Khẩn",
	UrgencyVeryUrgent:     "Thượng khẩn",
	UrgencyFlash:          "Hỏa tốc",
	UrgencyFlashScheduled: "Hỏa tốc hẹn giờ",
	SecrecyNone:           "Thường",
	SecrecyConfidential:   "Mật",
	SecrecySecret:         "Tối mật",
	SecrecyTopSecret:      "Tuyệt mật",
	Online:                "Trực tuyến",
	Offline:               "Ngoại tuyến",
	OfflineReason:         "Ngoại tuyến: %s",
	Pending:               "Chờ gửi: %d",
	TransferUp:            "Đang gửi %s / %s",
	TransferDown:          "Đang nhận %s / %s",
	SyncNow:               "Đồng bộ",
	WizardTitle:           "Thiết lập lần đầu",
	WizardIntro:           "Nhập chứng thư số của cơ quan do bộ phận quản lý chứng thư cấp, địa chỉ máy chủ liên thông và đặt mật khẩu bảo vệ dữ liệu trên máy này.",
	WizardP12:             "Tệp chứng thư số (.p12)",
	WizardRoots:           "Tệp chứng thư gốc (.pem)",
	WizardChoose:          "Chọn tệp…",
	WizardNoFile:          "Chưa chọn tệp",
	WizardP12Pass:         "Mật khẩu tệp .p12",
	WizardHub:             "Địa chỉ máy chủ (tên:cổng; nhiều máy chủ cách nhau bằng dấu phẩy)",
	WizardServerName:      "Tên máy chủ trong chứng thư (tùy chọn)",
	WizardPass:            "Mật khẩu dữ liệu trên máy",
	WizardPass2:           "Nhập lại mật khẩu",
	WizardTest:            "Kiểm tra kết nối",
	WizardTesting:         "Đang kiểm tra kết nối…",
	WizardTestOK:          "Kết nối thành công tới máy chủ %s",
	WizardTestFail:        "Không kết nối được: %s",
	WizardFinish:          "Hoàn tất",
	WizardNeedFile:        "Hãy chọn %s",
	WizardNeedHub:         "Hãy nhập địa chỉ máy chủ",
	WizardPassShort:       "Mật khẩu phải có ít nhất %d ký tự",
	WizardPassMismatch:    "Hai mật khẩu không khớp",
	WizardBadP12:          "Không mở được tệp .p12: sai mật khẩu hoặc tệp không đúng",
	WizardFailed:          "Không thiết lập được: %s",
	UnlockTitle:           "Mở khóa dữ liệu",
	UnlockPrompt:          "Nhập mật khẩu để mở dữ liệu văn bản trên máy này.",
	UnlockButton:          "Mở khóa",
	DocNumber:             "Số, ký hiệu",
	DocDate:               "Ngày ban hành",
	DocType:               "Loại văn bản",
	DocFrom:               "Cơ quan ban hành",
	DocTo:                 "Nơi nhận",
	DocSubject:            "Trích yếu",
	DocSigner:             "Người ký",
	DocUrgency:            "Độ khẩn",
	DocSecrecy:            "Độ mật",
	DocDue:                "Hạn xử lý",
	DocArrival:            "Số đến",
	DocArrivalValue:       "%s, ngày %s",
	DocNotRegistered:      "Chưa vào sổ",
	DocAttachments:        "Tệp đính kèm",
	DocOpen:               "Mở",
	DocSaveCopy:           "Lưu bản sao…",
	DocCopySaved:          "Đã lưu bản sao tệp vào %s",
	DocCopyFailed:         "Không lưu được bản sao tệp: %s",
	DocEvidence:           "Xuất hồ sơ chứng cứ",
	DocEvidenceSaved:      "Đã xuất hồ sơ chứng cứ ra %s (kiểm tra bằng lienthong-verify evidence)",
	DocEvidenceFailed:     "Không xuất được hồ sơ chứng cứ: %s",
	DocPreview:            "Trang đầu",
	DocNoPreview:          "Không xem trước được (máy chưa cài poppler-utils)",
	DocSignatures:         "Chữ ký số",
	DocTimeline:           "Tình trạng xử lý tại nơi nhận",
	DocActions:            "Xử lý văn bản",
	DocBack:               "Quay lại danh sách",
	DocNone:               "Chọn một văn bản trong danh sách",
	DocRecallPending:      "Cơ quan gửi đã thu hồi văn bản này, hãy trả lời",
	DocSentAt:             "Đã gửi lúc %s",
	DocQueued:             "Đang chờ gửi",
	SigNone:               "Tệp không có chữ ký số",
	SigAllValid:           "Tất cả chữ ký đều hợp lệ",
	SigSomeInvalid:        "Có chữ ký KHÔNG hợp lệ",
	SigValid:              "Hợp lệ",
	SigInvalid:            "Không hợp lệ",
	SigSigner:             "Người ký: %s",
	SigIssuer:             "Cấp bởi: %s",
	SigTime:               "Thời điểm ký (máy người ký): %s",
	SigTimestamp:          "Dấu thời gian tin cậy: %s",
	SigUntrusted:          "Chứng thư không thuộc tổ chức chứng thực được tin cậy",
	SigChanged:            "Tài liệu bị thay đổi sau khi ký: %s",
	SigUnchanged:          "Không có thay đổi nào sau khi ký",
	SigProblem:            "Lý do: %s",
	SigAttachment:         "Tệp %s",
	ActStaff:              "Người xử lý",
	ActRegister:           "Tiếp nhận",
	ActAssign:             "Phân công",
	ActProcess:            "Đang xử lý",
	ActComplete:           "Hoàn thành",
	ActRefuse:             "Từ chối",
	ActAcceptRecall:       "Đồng ý thu hồi",
	ActRejectRecall:       "Từ chối thu hồi",
	ActRecall:             "Thu hồi văn bản",
	ActReason:             "Lý do",
	ActAssignTo:           "Giao cho (đơn vị hoặc người)",
	ActNote:               "Ghi chú",
	ActNeedReason:         "Phải nhập lý do",
	ActNeedAssignee:       "Phải nhập người hoặc đơn vị được giao",
	ActRegistered:         "Đã tiếp nhận, số đến %d",
	ActDone:               "Đã cập nhật: %s",
	CmpFile:               "Tệp PDF văn bản chính",
	CmpAttach:             "Thêm tệp PDF đính kèm",
	CmpDrop:               "Kéo thả hoặc chọn tệp PDF",
	CmpType:               "Loại văn bản",
	CmpNotation:           "Ký hiệu",
	CmpNextNumber:         "Số sẽ cấp: %d",
	CmpDate:               "Ngày ban hành (năm-tháng-ngày)",
	CmpPlace:              "Địa danh",
	CmpSubject:            "Trích yếu",
	CmpCompetence:         "Thẩm quyền ký (KT., TL., …)",
	CmpPosition:           "Chức vụ người ký",
	CmpSigner:             "Họ và tên người ký",
	CmpRecipients:         "Nơi nhận",
	CmpNoRecipients:       "Chưa chọn nơi nhận",
	CmpRemove:             "Bỏ",
	CmpUrgency:            "Độ khẩn, độ mật",
	CmpSecrecy:            "Độ mật",
	CmpDue:                "Hạn xử lý (năm-tháng-ngày, có thể để trống)",
	CmpStamp:              "Dấu của cơ quan",
	StampNone:             "Không thêm dấu",
	StampText:             "Dấu chữ góc trên bên phải",
	StampSeal:             "Ảnh con dấu",
	StampChooseSeal:       "Chọn ảnh con dấu (PNG)…",
	StampSealChosen:       "Đã chọn ảnh con dấu %s",
	StampNeedSeal:         "Chưa chọn ảnh con dấu (tệp PNG nền trong suốt)",
	CmpSend:               "Ký số và gửi",
	CmpReset:              "Soạn mới",
	CmpValid:              "Thông tin hợp lệ, có thể ký và gửi",
	CmpDuplicate:          "Cảnh báo: trùng số, ký hiệu với văn bản đã ban hành",
	CmpBadDate:            "Ngày không đúng dạng năm-tháng-ngày",
	CmpNeedFile:           "Chưa chọn tệp PDF văn bản",
	CmpConfirm:            "Ký số và gửi văn bản «%s» tới %d nơi nhận?",
	CmpSent:               "Đã ký và đưa vào hàng gửi: %s",
	CmpFailed:             "Không ký và gửi được: %s",
	PickerSearch:          "Tìm cơ quan theo tên (có hoặc không dấu)",
	PickerEmpty:           "Không tìm thấy cơ quan nào",
	PickerAdd:             "Thêm vào nơi nhận",
	RegBook:               "Sổ",
	RegOutgoing:           "Sổ đăng ký văn bản đi",
	RegIncoming:           "Sổ đăng ký văn bản đến",
	RegFollowUp:           "Sổ theo dõi giải quyết văn bản đến",
	RegYear:               "Năm",
	RegExportCSV:          "Xuất tệp CSV",
	RegExportPDF:          "Xuất PDF để in",
	RegExported:           "Đã xuất sổ ra %s",
	RegFailed:             "Không xuất được sổ: %s",
	VerChoose:             "Chọn tệp PDF để kiểm tra chữ ký",
	VerFile:               "Tệp: %s",
	VerFailed:             "Không kiểm tra được: %s",
	SetLanguage:           "Ngôn ngữ",
	SetTheme:              "Giao diện",
	ThemeLight:            "Sáng",
	ThemeDark:             "Tối",
	SetAgency:             "Cơ quan",
	SetHub:                "Máy chủ liên thông",
	SetHubHint:            "tên:cổng; nhiều máy chủ cách nhau bằng dấu phẩy",
	SetProxy:              "Máy chủ proxy",
	SetProxyHint:          "để trống: theo hệ thống; none: không dùng; http://máy-chủ:cổng",
	SetPoll:               "Máy chủ chờ văn bản đến",
	SetPollHint:           "để trống: tại máy chủ liên thông; tên:cổng do quản trị trục cung cấp",
	SetNotify:             "Báo khi có văn bản khẩn đến",
	SetStaff:              "Tên người xử lý (ghi vào trạng thái)",
	SetRestart:            "Ngôn ngữ mới có hiệu lực khi mở lại ứng dụng",
	SetShortcuts:          "Phím tắt: Ctrl+N soạn văn bản, Ctrl+F tìm kiếm, Ctrl+R đồng bộ, Ctrl+1…6 chuyển thẻ",
	NotifyUrgent:          "%s: văn bản đến",
	NotifyBody:            "%s — %s",
	NotifyDuplicate:       "Văn bản đến đã có trong sổ",
	NotifyDuplicateBody:   "%s — %s: trục liên thông chuyển lại văn bản đã tiếp nhận; không vào sổ lần nữa, giữ số đến cũ",
	OK:                    "Đồng ý",
	Cancel:                "Hủy",
	Close:                 "Đóng",
	Error:                 "Lỗi",
	Unread:                "Chưa đọc",
	Yes:                   "Có",
	SelectPrompt:          "(Chọn)",
	No:                    "Không",
	WorkIssue:             "Đang ký số và lưu văn bản…",
	WorkUpdate:            "Đang cập nhật trạng thái…",
	WorkExport:            "Đang xuất…",
	WorkVerify:            "Đang kiểm tra chữ ký…",
	WorkOpen:              "Đang mở tệp…",
	WorkSync:              "Đang đồng bộ…",
	WorkUnlock:            "Đang mở khóa dữ liệu…",
	WorkSave:              "Đang lưu…",
	PrintPage:             "Trang %d/%d",
	ExampleNotation:       "QĐ-UBND",
	ExampleHub:            "hub.example.gov.vn:4433",
	ExampleDate:           "2026-12-31",
	EvidenceFileName:      "ho-so-chung-cu-%s.zip",
	RegisterFileName:      "so-dang-ky-%d-%d%s",
	AttachmentSize:        "%s (%s)",
	AgencyWithCode:        "%s (%s)",
	DocTitle:              "%s: %s",
	SelectedPlaceholders:  "%s / %s",
}

var en = map[Key]string{
	AppTitle:              "Lienthong documents",
	TabIncoming:           "Incoming",
	TabOutgoing:           "Outgoing",
	TabCompose:            "Compose",
	TabRegisters:          "Registers",
	TabVerify:             "Verify signatures",
	TabSettings:           "Settings",
	ColNumber:             "No./Notation",
	ColDate:               "Date",
	ColAgency:             "Issuing agency",
	ColRecipient:          "Recipient",
	ColSubject:            "Subject",
	ColUrgency:            "Urgency",
	ColStatus:             "Status",
	ColDue:                "Deadline",
	FilterAll:             "All",
	FilterUnread:          "Unread",
	FilterOverdue:         "Overdue",
	FilterDueSoon:         "Due soon",
	FilterStatus:          "Status: %s",
	SearchPlaceholder:     "Search number, subject, agency… (with or without diacritics)",
	ListCount:             "%d documents",
	ListEmpty:             "No documents",
	ListLoading:           "Loading…",
	StatusNone:            "No reply yet",
	StatusQueued:          "Waiting to send",
	UrgencyNormal:         "Normal",
	UrgencyUrgent:         "Urgent",
	UrgencyVeryUrgent:     "Very urgent",
	UrgencyFlash:          "Flash",
	UrgencyFlashScheduled: "Flash, scheduled",
	SecrecyNone:           "Not secret",
	SecrecyConfidential:   "Confidential",
	SecrecySecret:         "Secret",
	SecrecyTopSecret:      "Top secret",
	Online:                "Online",
	Offline:               "Offline",
	OfflineReason:         "Offline: %s",
	Pending:               "Waiting to send: %d",
	TransferUp:            "Sending %s / %s",
	TransferDown:          "Receiving %s / %s",
	SyncNow:               "Sync",
	WizardTitle:           "First-time setup",
	WizardIntro:           "Import the agency certificate the PKI operator gave you, the hub address, and choose a passphrase protecting the data on this computer.",
	WizardP12:             "Certificate file (.p12)",
	WizardRoots:           "Root certificates (.pem)",
	WizardChoose:          "Choose file…",
	WizardNoFile:          "No file chosen",
	WizardP12Pass:         "Passphrase of the .p12",
	WizardHub:             "Hub address (host:port; several separated by commas)",
	WizardServerName:      "Hub name in its certificate (optional)",
	WizardPass:            "Passphrase for local data",
	WizardPass2:           "Repeat the passphrase",
	WizardTest:            "Test connection",
	WizardTesting:         "Testing the connection…",
	WizardTestOK:          "Connected to hub %s",
	WizardTestFail:        "Cannot connect: %s",
	WizardFinish:          "Finish",
	WizardNeedFile:        "Please choose the %s",
	WizardNeedHub:         "Please enter the hub address",
	WizardPassShort:       "The passphrase needs at least %d characters",
	WizardPassMismatch:    "The two passphrases differ",
	WizardBadP12:          "Cannot open the .p12: wrong passphrase or not a certificate file",
	WizardFailed:          "Setup failed: %s",
	UnlockTitle:           "Unlock",
	UnlockPrompt:          "Enter the passphrase to open the documents on this computer.",
	UnlockButton:          "Unlock",
	DocNumber:             "Number and notation",
	DocDate:               "Date of issue",
	DocType:               "Document type",
	DocFrom:               "Issuing agency",
	DocTo:                 "Recipients",
	DocSubject:            "Subject",
	DocSigner:             "Signed by",
	DocUrgency:            "Urgency",
	DocSecrecy:            "Secrecy",
	DocDue:                "Deadline",
	DocArrival:            "Arrival number",
	DocArrivalValue:       "%s, on %s",
	DocNotRegistered:      "Not registered yet",
	DocAttachments:        "Attachments",
	DocOpen:               "Open",
	DocSaveCopy:           "Save a copy…",
	DocCopySaved:          "Copy saved to %s",
	DocCopyFailed:         "Cannot save the copy: %s",
	DocEvidence:           "Export evidence bundle",
	DocEvidenceSaved:      "Evidence bundle written to %s (check it with lienthong-verify evidence)",
	DocEvidenceFailed:     "Cannot export the evidence bundle: %s",
	DocPreview:            "First page",
	DocNoPreview:          "No preview (poppler-utils is not installed)",
	DocSignatures:         "Digital signatures",
	DocTimeline:           "Status at each recipient",
	DocActions:            "Process",
	DocBack:               "Back to the list",
	DocNone:               "Select a document in the list",
	DocRecallPending:      "The sender recalled this document: answer the recall",
	DocSentAt:             "Sent at %s",
	DocQueued:             "Waiting to send",
	SigNone:               "The file has no digital signature",
	SigAllValid:           "All signatures are valid",
	SigSomeInvalid:        "Some signature is NOT valid",
	SigValid:              "Valid",
	SigInvalid:            "Not valid",
	SigSigner:             "Signer: %s",
	SigIssuer:             "Issued by: %s",
	SigTime:               "Signing time (signer's clock): %s",
	SigTimestamp:          "Trusted timestamp: %s",
	SigUntrusted:          "The certificate does not chain to a trusted authority",
	SigChanged:            "Changed after signing: %s",
	SigUnchanged:          "Nothing changed after signing",
	SigProblem:            "Reason: %s",
	SigAttachment:         "File %s",
	ActStaff:              "Staff member",
	ActRegister:           "Register",
	ActAssign:             "Assign",
	ActProcess:            "Processing",
	ActComplete:           "Complete",
	ActRefuse:             "Refuse",
	ActAcceptRecall:       "Accept the recall",
	ActRejectRecall:       "Refuse the recall",
	ActRecall:             "Recall",
	ActReason:             "Reason",
	ActAssignTo:           "Assign to (unit or person)",
	ActNote:               "Note",
	ActNeedReason:         "A reason is required",
	ActNeedAssignee:       "Say whom it is assigned to",
	ActRegistered:         "Registered, arrival number %d",
	ActDone:               "Updated: %s",
	CmpFile:               "Main PDF",
	CmpAttach:             "Add a PDF attachment",
	CmpDrop:               "Drop or choose a PDF",
	CmpType:               "Document type",
	CmpNotation:           "Notation",
	CmpNextNumber:         "Number to be given: %d",
	CmpDate:               "Date of issue (yyyy-mm-dd)",
	CmpPlace:              "Place",
	CmpSubject:            "Subject",
	CmpCompetence:         "Signing competence (KT., TL., …)",
	CmpPosition:           "Signer's position",
	CmpSigner:             "Signer's full name",
	CmpRecipients:         "Recipients",
	CmpNoRecipients:       "No recipient chosen",
	CmpRemove:             "Remove",
	CmpUrgency:            "Urgency, secrecy",
	CmpSecrecy:            "Secrecy",
	CmpDue:                "Deadline (yyyy-mm-dd, optional)",
	CmpStamp:              "Agency stamp",
	StampNone:             "No stamp",
	StampText:             "Text stamp, top right",
	StampSeal:             "Seal image",
	StampChooseSeal:       "Choose the seal image (PNG)…",
	StampSealChosen:       "Seal image %s chosen",
	StampNeedSeal:         "No seal image chosen (a PNG with a transparent background)",
	CmpSend:               "Sign and send",
	CmpReset:              "New",
	CmpValid:              "Ready to sign and send",
	CmpDuplicate:          "Warning: the same number and notation was already issued",
	CmpBadDate:            "The date is not yyyy-mm-dd",
	CmpNeedFile:           "No PDF chosen",
	CmpConfirm:            "Sign and send «%s» to %d recipients?",
	CmpSent:               "Signed and queued: %s",
	CmpFailed:             "Cannot sign and send: %s",
	PickerSearch:          "Find an agency by name (with or without diacritics)",
	PickerEmpty:           "No agency found",
	PickerAdd:             "Add to recipients",
	RegBook:               "Book",
	RegOutgoing:           "Outgoing register",
	RegIncoming:           "Incoming register",
	RegFollowUp:           "Follow-up of incoming documents",
	RegYear:               "Year",
	RegExportCSV:          "Export CSV",
	RegExportPDF:          "Export PDF to print",
	RegExported:           "Register exported to %s",
	RegFailed:             "Cannot export: %s",
	VerChoose:             "Choose a PDF to verify",
	VerFile:               "File: %s",
	VerFailed:             "Cannot verify: %s",
	SetLanguage:           "Language",
	SetTheme:              "Theme",
	ThemeLight:            "Light",
	ThemeDark:             "Dark",
	SetAgency:             "Agency",
	SetHub:                "Hub",
	SetHubHint:            "host:port; several separated by commas",
	SetProxy:              "Proxy",
	SetProxyHint:          "empty: the system's; none: no proxy; http://host:port",
	SetPoll:               "Wait for documents at",
	SetPollHint:           "empty: at the hub; host:port the hub's operator gives",
	SetNotify:             "Notify me of urgent documents",
	SetStaff:              "Your name (written in statuses)",
	SetRestart:            "The new language applies when the app is opened again",
	SetShortcuts:          "Shortcuts: Ctrl+N compose, Ctrl+F search, Ctrl+R sync, Ctrl+1…6 switch tabs",
	NotifyUrgent:          "%s: incoming document",
	NotifyBody:            "%s — %s",
	NotifyDuplicate:       "Incoming document already registered",
	NotifyDuplicateBody:   "%s — %s: the hub delivered a document already received; not registered again, it keeps its arrival number",
	OK:                    "OK",
	Cancel:                "Cancel",
	Close:                 "Close",
	Error:                 "Error",
	Unread:                "Unread",
	Yes:                   "Yes",
	SelectPrompt:          "(Select)",
	No:                    "No",
	WorkIssue:             "Signing and saving the document…",
	WorkUpdate:            "Updating the status…",
	WorkExport:            "Exporting…",
	WorkVerify:            "Verifying the signatures…",
	WorkOpen:              "Opening the file…",
	WorkSync:              "Syncing…",
	WorkUnlock:            "Unlocking the data…",
	WorkSave:              "Saving…",
	PrintPage:             "Page %d/%d",
	ExampleNotation:       "QĐ-UBND",
	ExampleHub:            "hub.example.gov.vn:4433",
	ExampleDate:           "2026-12-31",
	EvidenceFileName:      "evidence-%s.zip",
	RegisterFileName:      "register-%d-%d%s",
	AttachmentSize:        "%s (%s)",
	AgencyWithCode:        "%s (%s)",
	DocTitle:              "%s: %s",
	SelectedPlaceholders:  "%s / %s",
}
