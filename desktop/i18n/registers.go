package i18n

// The registers' texts (ND30 Appendix IV): titles, column headings and the
// notes the clerk's core writes into rows. Printed registers are official
// records and use the Vietnamese catalog whatever the clerk's language;
// the English texts serve screens and translations of them.
const (
	RegTitleOutgoing  Key = "RegTitleOutgoing"
	RegTitleIncoming  Key = "RegTitleIncoming"
	RegTitleFollowUp  Key = "RegTitleFollowUp"
	RegNumberNotation Key = "RegNumberNotation"
	RegDocDate        Key = "RegDocDate"
	RegTypeSubject    Key = "RegTypeSubject"
	RegSigner         Key = "RegSigner"
	RegRecipients     Key = "RegRecipients"
	RegFileCopy       Key = "RegFileCopy"
	RegCopies         Key = "RegCopies"
	RegHandedOver     Key = "RegHandedOver"
	RegReceivedBy     Key = "RegReceivedBy"
	RegNote           Key = "RegNote"
	RegArrivalDate    Key = "RegArrivalDate"
	RegArrivalNumber  Key = "RegArrivalNumber"
	RegAuthor         Key = "RegAuthor"
	RegNumberShort    Key = "RegNumberShort"
	RegDateShort      Key = "RegDateShort"
	RegTypeSubjShort  Key = "RegTypeSubjShort"
	RegAssignee       Key = "RegAssignee"
	RegDocSummary     Key = "RegDocSummary"
	RegDeadline       Key = "RegDeadline"
	RegProgress       Key = "RegProgress"
	RegReplies        Key = "RegReplies"
	RegNoteRecalled   Key = "RegNoteRecalled"
	RegNoteNotSent    Key = "RegNoteNotSent"
	RegNoteOverdue    Key = "RegNoteOverdue"
	RegSummaryLine    Key = "RegSummaryLine"
)

var viRegisters = map[Key]string{
	RegTitleOutgoing:  "SỔ ĐĂNG KÝ VĂN BẢN ĐI — NĂM %d",
	RegTitleIncoming:  "SỔ ĐĂNG KÝ VĂN BẢN ĐẾN — NĂM %d",
	RegTitleFollowUp:  "SỔ THEO DÕI GIẢI QUYẾT VĂN BẢN ĐẾN — NĂM %d",
	RegNumberNotation: "Số, ký hiệu văn bản",
	RegDocDate:        "Ngày tháng văn bản",
	RegTypeSubject:    "Tên loại và trích yếu nội dung văn bản",
	RegSigner:         "Người ký",
	RegRecipients:     "Nơi nhận văn bản",
	RegFileCopy:       "Đơn vị, người nhận bản lưu",
	RegCopies:         "Số lượng bản",
	RegHandedOver:     "Ngày chuyển",
	RegReceivedBy:     "Ký nhận",
	RegNote:           "Ghi chú",
	RegArrivalDate:    "Ngày đến",
	RegArrivalNumber:  "Số đến",
	RegAuthor:         "Tác giả",
	RegNumberShort:    "Số, ký hiệu",
	RegDateShort:      "Ngày tháng",
	RegTypeSubjShort:  "Tên loại và trích yếu nội dung",
	RegAssignee:       "Đơn vị hoặc người nhận",
	RegDocSummary:     "Tên loại, số, ký hiệu, ngày tháng và trích yếu nội dung văn bản",
	RegDeadline:       "Thời hạn giải quyết",
	RegProgress:       "Tiến độ giải quyết",
	RegReplies:        "Số, ký hiệu văn bản trả lời",
	RegNoteRecalled:   "Thu hồi: %s",
	RegNoteNotSent:    "Chưa gửi",
	RegNoteOverdue:    "Quá hạn",
	RegSummaryLine:    "%s số %s ngày %s: %s",
}

var enRegisters = map[Key]string{
	RegTitleOutgoing:  "REGISTER OF OUTGOING DOCUMENTS — %d",
	RegTitleIncoming:  "REGISTER OF INCOMING DOCUMENTS — %d",
	RegTitleFollowUp:  "FOLLOW-UP OF INCOMING DOCUMENTS — %d",
	RegNumberNotation: "Number and notation",
	RegDocDate:        "Date of the document",
	RegTypeSubject:    "Type and subject",
	RegSigner:         "Signer",
	RegRecipients:     "Recipients",
	RegFileCopy:       "Unit or person keeping the file copy",
	RegCopies:         "Copies",
	RegHandedOver:     "Handed over",
	RegReceivedBy:     "Received by (signature)",
	RegNote:           "Note",
	RegArrivalDate:    "Arrival date",
	RegArrivalNumber:  "Arrival number",
	RegAuthor:         "Author",
	RegNumberShort:    "Number and notation",
	RegDateShort:      "Date",
	RegTypeSubjShort:  "Type and subject",
	RegAssignee:       "Unit or person assigned",
	RegDocSummary:     "Type, number, notation, date and subject",
	RegDeadline:       "Deadline",
	RegProgress:       "Progress",
	RegReplies:        "Number and notation of the replies",
	RegNoteRecalled:   "Recalled: %s",
	RegNoteNotSent:    "Not sent",
	RegNoteOverdue:    "Overdue",
	RegSummaryLine:    "%s no. %s of %s: %s",
}
