package i18n

// What the clerk reads when an edXML packet (a paper from a document
// system not connected to the hub) cannot be imported.
const (
	ErrEdXMLUnsigned   Key = "ErrEdXMLUnsigned"
	ErrEdXMLUntrusted  Key = "ErrEdXMLUntrusted"
	ErrEdXMLSigner     Key = "ErrEdXMLSigner"
	ErrEdXMLTampered   Key = "ErrEdXMLTampered"
	ErrEdXMLNotForUs   Key = "ErrEdXMLNotForUs"
	ErrEdXMLAttachment Key = "ErrEdXMLAttachment"
	ErrEdXMLTooLarge   Key = "ErrEdXMLTooLarge"
	ErrEdXMLUnreadable Key = "ErrEdXMLUnreadable"
)

// How a document that came as edXML was checked, on its view.
const (
	DocEdXML            Key = "DocEdXML"
	DocEdXMLVerified    Key = "DocEdXMLVerified"
	DocEdXMLNotVerified Key = "DocEdXMLNotVerified"
)

var viEdXML = map[Key]string{
	DocEdXML:            "Gói edXML",
	DocEdXMLVerified:    "Đã xác minh chữ ký của nơi gửi (%s)",
	DocEdXMLNotVerified: "CHƯA XÁC MINH: văn bản được nhận khi chưa kiểm tra được chữ ký của nơi gửi (%s); cần xác nhận với nơi gửi",
	ErrEdXMLUnsigned:    "Gói edXML không có chữ ký số nên không xác minh được nơi gửi. Chỉ nhận khi đã xác nhận với nơi gửi bằng cách khác (tùy chọn --unsigned-ok); việc chưa xác minh sẽ được ghi lại.",
	ErrEdXMLUntrusted:   "Chữ ký của gói edXML không thuộc các tổ chức chứng thực mà máy này tin cậy. Chỉ nhận khi đã xác nhận với nơi gửi bằng cách khác (tùy chọn --unsigned-ok); việc chưa xác minh sẽ được ghi lại.",
	ErrEdXMLSigner:      "Gói edXML không được ký bằng chứng thư hợp lệ của chính cơ quan gửi (chứng thư hết hạn, bị thu hồi, không được ký văn bản, hoặc của cơ quan khác). Không nhận gói này.",
	ErrEdXMLTampered:    "Gói edXML đã bị thay đổi sau khi ký: chữ ký không khớp với nội dung. Không nhận gói này; đề nghị nơi gửi gửi lại.",
	ErrEdXMLNotForUs:    "Gói edXML không gửi cho cơ quan này (hoặc trạng thái không thuộc văn bản nào cơ quan đã gửi cho nơi đó).",
	ErrEdXMLAttachment:  "Tệp đính kèm của gói edXML không nhận được: thiếu nội dung, không phải PDF, tên tệp không hợp lệ hoặc quá dung lượng cho phép.",
	ErrEdXMLTooLarge:    "Gói edXML vượt quá giới hạn cho phép (dung lượng, số phần tử hoặc số tệp đính kèm).",
	ErrEdXMLUnreadable:  "Không đọc được gói edXML: tệp không đúng định dạng, thiếu nơi gửi hoặc nơi nhận, hoặc tệp đính kèm không giải mã được.",
}

var enEdXML = map[Key]string{
	DocEdXML:            "edXML packet",
	DocEdXMLVerified:    "The sender's signature was verified (%s)",
	DocEdXMLNotVerified: "NOT VERIFIED: the document was taken without checking its sender's signature (%s); confirm it with the sender",
	ErrEdXMLUnsigned:    "The edXML packet has no digital signature, so its sender cannot be verified. Take it only after confirming with the sender another way (the --unsigned-ok option); that it was not verified is recorded.",
	ErrEdXMLUntrusted:   "The edXML packet's signature is not under a certification authority this computer trusts. Take it only after confirming with the sender another way (the --unsigned-ok option); that it was not verified is recorded.",
	ErrEdXMLSigner:      "The edXML packet is not signed with a valid certificate of its sending agency (expired, revoked, not allowed to sign documents, or another agency's). It is not taken.",
	ErrEdXMLTampered:    "The edXML packet was changed after it was signed: the signature does not match its content. It is not taken; ask the sender to send it again.",
	ErrEdXMLNotForUs:    "The edXML packet is not addressed to this agency (or the status is not about a document this agency sent to that agency).",
	ErrEdXMLAttachment:  "An attachment of the edXML packet cannot be taken: its content is missing, it is not a PDF, its name is not allowed or it is over the size limit.",
	ErrEdXMLTooLarge:    "The edXML packet is over a limit (its size, number of elements or attachments).",
	ErrEdXMLUnreadable:  "The edXML packet cannot be read: the file is not well formed, names no sender or recipient, or an attachment cannot be decoded.",
}

func init() {
	for k, v := range viEdXML {
		vi[k] = v
	}
	for k, v := range enEdXML {
		en[k] = v
	}
}
