package i18n

import "maps"

// The texts about attachments that are not PDFs (Word, Excel,
// OpenDocument appendices): the note beside one, the setting of which
// types the clerk takes, and the errors about them.
const (
	DocNotPDFNote      Key = "DocNotPDFNote"
	SetAttachmentTypes Key = "SetAttachmentTypes"
	SetAttachmentHint  Key = "SetAttachmentHint"
	ErrNotViewable     Key = "ErrNotViewable"
	ErrActiveContent   Key = "ErrActiveContent"
	ErrAttachmentType  Key = "ErrAttachmentType"
)

var viAttachments = map[Key]string{
	DocNotPDFNote:      "Tệp %s không phải PDF: tệp không được ký số và không được kiểm tra như tệp PDF. Ứng dụng không tự mở tệp này; chỉ lưu bản sao, rồi tự mở khi đã tin cậy nguồn gửi.",
	SetAttachmentTypes: "Nhận tệp đính kèm",
	SetAttachmentHint:  "Luôn nhận PDF. Tệp Word, Excel, OpenDocument (phụ lục) chỉ được lưu, không bao giờ tự mở; tệp .doc, .xls cũ và tệp có macro không bao giờ được nhận.",
	ErrNotViewable:     "Ứng dụng chỉ mở tệp PDF. Hãy lưu bản sao tệp này.",
	ErrActiveContent:   "Tệp chứa macro hoặc chương trình nhúng, không được nhận.",
	ErrAttachmentType:  "Loại tệp đính kèm này không được nhận.",
}

var enAttachments = map[Key]string{
	DocNotPDFNote:      "This %s file is not a PDF: it is not signed and not checked like a PDF. The app never opens it by itself; save a copy, and open it yourself only if you trust its sender.",
	SetAttachmentTypes: "Attachments taken",
	SetAttachmentHint:  "PDF is always taken. Word, Excel and OpenDocument appendices are only saved, never opened by the app; legacy .doc and .xls files and files with macros are never taken.",
	ErrNotViewable:     "The app opens PDF files only. Save a copy of this one instead.",
	ErrActiveContent:   "The file carries macros or embedded programs and is not accepted.",
	ErrAttachmentType:  "This type of attachment is not accepted.",
}

func init() {
	maps.Copy(vi, viAttachments)
	maps.Copy(en, enAttachments)
}
