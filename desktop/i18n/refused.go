package i18n

import "maps"

// The texts of documents set aside as refused: the reason the sender is
// told (the clerk's core sends the Vietnamese text whatever the clerk's
// language, since it goes to another agency), a short cause for the
// clerk, and the list that shows them.
const (
	RefusedReasonSignature     Key = "RefusedReasonSignature"
	RefusedReasonSigner        Key = "RefusedReasonSigner"
	RefusedReasonTooLarge      Key = "RefusedReasonTooLarge"
	RefusedReasonInvalid       Key = "RefusedReasonInvalid"
	RefusedReasonMismatch      Key = "RefusedReasonMismatch"
	RefusedReasonPDFTooComplex Key = "RefusedReasonPDFTooComplex"
	RefusedCauseSignature      Key = "RefusedCauseSignature"
	RefusedCauseSigner         Key = "RefusedCauseSigner"
	RefusedCauseTooLarge       Key = "RefusedCauseTooLarge"
	RefusedCauseInvalid        Key = "RefusedCauseInvalid"
	RefusedCauseMismatch       Key = "RefusedCauseMismatch"
	RefusedCausePDFTooComplex  Key = "RefusedCausePDFTooComplex"
	RefusedReasonType          Key = "RefusedReasonType"
	// RefusedReasonPacketTooLarge: an edXML packet (%s) over this
	// clerk's limit (%s); RefusedReasonHubCannotServe: the hub answers
	// that it can never hand the packet out (its error code, %s).
	RefusedReasonPacketTooLarge Key = "RefusedReasonPacketTooLarge"
	RefusedReasonHubCannotServe Key = "RefusedReasonHubCannotServe"
	RefusedCauseType            Key = "RefusedCauseType"
	RefusedTitle                Key = "RefusedTitle"
	RefusedMarker               Key = "RefusedMarker"
	RefusedRow                  Key = "RefusedRow"
	RefusedTold                 Key = "RefusedTold"
	RefusedTelling              Key = "RefusedTelling"
	RefusedNoSubject            Key = "RefusedNoSubject"
)

var viRefused = map[Key]string{
	RefusedReasonSignature:      "Hệ thống của cơ quan nhận không tiếp nhận được văn bản: chữ ký số trên gói tin không hợp lệ.",
	RefusedReasonSigner:         "Hệ thống của cơ quan nhận không tiếp nhận được văn bản: chứng thư số của cơ quan gửi không được tin cậy (hết hạn, bị thu hồi hoặc không do tổ chức được tin cậy cấp).",
	RefusedReasonTooLarge:       "Hệ thống của cơ quan nhận không tiếp nhận được văn bản: một tệp đính kèm (%s) vượt quá giới hạn %s của hệ thống nhận.",
	RefusedReasonInvalid:        "Hệ thống của cơ quan nhận không tiếp nhận được văn bản: gói tin không đọc được hoặc không đúng quy định.",
	RefusedReasonMismatch:       "Hệ thống của cơ quan nhận không tiếp nhận được văn bản: gói tin không khớp với thông tin của máy chủ liên thông.",
	RefusedCauseSignature:       "Chữ ký số không hợp lệ",
	RefusedCauseSigner:          "Chứng thư số của cơ quan gửi không được tin cậy",
	RefusedCauseTooLarge:        "Tệp đính kèm vượt quá giới hạn",
	RefusedCauseInvalid:         "Gói tin không đúng quy định",
	RefusedCauseMismatch:        "Gói tin không khớp",
	RefusedReasonPDFTooComplex:  "Hệ thống của cơ quan nhận không tiếp nhận được văn bản: tệp đính kèm “%s” là tệp PDF quá phức tạp để kiểm tra an toàn; hãy in lại ra PDF rồi gửi lại.",
	RefusedCausePDFTooComplex:   "Tệp PDF quá phức tạp để kiểm tra an toàn",
	RefusedReasonType:           "Hệ thống của cơ quan nhận không tiếp nhận được văn bản: một tệp đính kèm loại %s không được nhận (chỉ nhận: %s).",
	RefusedCauseType:            "Loại tệp đính kèm không được nhận",
	RefusedReasonPacketTooLarge: "Hệ thống của cơ quan nhận không tiếp nhận được văn bản: gói tin edXML (%s) vượt quá giới hạn %s của hệ thống nhận.",
	RefusedReasonHubCannotServe: "Hệ thống của cơ quan nhận không tiếp nhận được văn bản: máy chủ liên thông không chuyển được gói tin edXML (%s).",
	RefusedTitle:                "Văn bản không tiếp nhận được (%d)",
	RefusedMarker:               "[TỪ CHỐI]",
	RefusedRow:                  "%s · %s · %s",
	RefusedTold:                 "đã báo cơ quan gửi",
	RefusedTelling:              "đang báo cơ quan gửi",
	RefusedNoSubject:            "(không đọc được trích yếu)",
}

var enRefused = map[Key]string{
	RefusedReasonSignature:      "The recipient's system could not take the document: the packet's digital signature is not valid.",
	RefusedReasonSigner:         "The recipient's system could not take the document: the sending agency's certificate is not trusted (expired, revoked or not issued by a trusted authority).",
	RefusedReasonTooLarge:       "The recipient's system could not take the document: an attachment (%s) is over the receiving system's limit of %s.",
	RefusedReasonInvalid:        "The recipient's system could not take the document: the packet cannot be read or breaks the rules.",
	RefusedReasonMismatch:       "The recipient's system could not take the document: the packet does not match what the hub announced.",
	RefusedCauseSignature:       "Invalid digital signature",
	RefusedCauseSigner:          "Sender's certificate not trusted",
	RefusedCauseTooLarge:        "Attachment over the limit",
	RefusedCauseInvalid:         "Packet breaks the rules",
	RefusedCauseMismatch:        "Packet does not match",
	RefusedReasonPDFTooComplex:  "The recipient's system could not take the document: the attachment “%s” is a PDF too complex to check safely; print it to PDF again and resend.",
	RefusedCausePDFTooComplex:   "PDF too complex to check safely",
	RefusedReasonType:           "The recipient's system could not take the document: an attachment of type %s is not accepted (accepted: %s).",
	RefusedCauseType:            "Attachment type not accepted",
	RefusedReasonPacketTooLarge: "The recipient's system could not take the document: the edXML packet (%s) is over the receiving system's limit of %s.",
	RefusedReasonHubCannotServe: "The recipient's system could not take the document: the hub cannot hand out the edXML packet (%s).",
	RefusedTitle:                "Documents that could not be taken (%d)",
	RefusedMarker:               "[REFUSED]",
	RefusedRow:                  "%s · %s · %s",
	RefusedTold:                 "sender told",
	RefusedTelling:              "telling the sender",
	RefusedNoSubject:            "(subject not readable)",
}

func init() {
	maps.Copy(vi, viRefused)
	maps.Copy(en, enRefused)
}
