package i18n

import "maps"

// The messages of errors a clerk can act on: what went wrong in plain
// words and what to do. desktop/clerk.Explain chooses one for an error;
// the technical cause goes to the log, never on screen.
const (
	ErrUnexpected       Key = "ErrUnexpected"
	ErrCanceled         Key = "ErrCanceled"
	ErrTimeout          Key = "ErrTimeout"
	ErrOffline          Key = "ErrOffline"
	ErrHubCertificate   Key = "ErrHubCertificate"
	ErrNotConfigured    Key = "ErrNotConfigured"
	ErrHubAddress       Key = "ErrHubAddress"
	ErrHubAddressEmpty  Key = "ErrHubAddressEmpty"
	ErrProxyRefused     Key = "ErrProxyRefused"
	ErrProxyAuth        Key = "ErrProxyAuth"
	ErrProxyOffline     Key = "ErrProxyOffline"
	ErrProxyURL         Key = "ErrProxyURL"
	ErrWrongBox         Key = "ErrWrongBox"
	ErrReasonNeeded     Key = "ErrReasonNeeded"
	ErrNoRecall         Key = "ErrNoRecall"
	ErrStoreExists      Key = "ErrStoreExists"
	ErrNoStore          Key = "ErrNoStore"
	ErrWrongPassphrase  Key = "ErrWrongPassphrase"
	ErrStoreLocked      Key = "ErrStoreLocked"
	ErrNewerSchema      Key = "ErrNewerSchema"
	ErrCorrupt          Key = "ErrCorrupt"
	ErrNotFound         Key = "ErrNotFound"
	ErrDuplicate        Key = "ErrDuplicate"
	ErrTransition       Key = "ErrTransition"
	ErrStoreClosed      Key = "ErrStoreClosed"
	ErrDestroyed        Key = "ErrDestroyed"
	ErrInvalid          Key = "ErrInvalid"
	ErrBadDate          Key = "ErrBadDate"
	ErrCertExpired      Key = "ErrCertExpired"
	ErrCertRevoked      Key = "ErrCertRevoked"
	ErrCertUntrusted    Key = "ErrCertUntrusted"
	ErrCertNoAgency     Key = "ErrCertNoAgency"
	ErrKeyPassphrase    Key = "ErrKeyPassphrase"
	ErrNotPDF           Key = "ErrNotPDF"
	ErrPDFDamaged       Key = "ErrPDFDamaged"
	ErrPDFEncrypted     Key = "ErrPDFEncrypted"
	ErrPDFUnsupported   Key = "ErrPDFUnsupported"
	ErrPDFTooComplex    Key = "ErrPDFTooComplex"
	ErrFileNotFound     Key = "ErrFileNotFound"
	ErrFilePermission   Key = "ErrFilePermission"
	ErrDiskFull         Key = "ErrDiskFull"
	ErrHubBadRequest    Key = "ErrHubBadRequest"
	ErrHubBadSignature  Key = "ErrHubBadSignature"
	ErrHubUntrusted     Key = "ErrHubUntrusted"
	ErrHubSender        Key = "ErrHubSender"
	ErrHubInvalid       Key = "ErrHubInvalid"
	ErrHubRecipient     Key = "ErrHubRecipient"
	ErrHubTransfer      Key = "ErrHubTransfer"
	ErrHubNotPDF        Key = "ErrHubNotPDF"
	ErrHubSecret        Key = "ErrHubSecret"
	ErrHubPDFTooComplex Key = "ErrHubPDFTooComplex"
	ErrHubTooLarge      Key = "ErrHubTooLarge"
	ErrHubConflict      Key = "ErrHubConflict"
	ErrHubNotFound      Key = "ErrHubNotFound"
	ErrHubForbidden     Key = "ErrHubForbidden"
	ErrHubWithdrawn     Key = "ErrHubWithdrawn"
	ErrHubInvalidStatus Key = "ErrHubInvalidStatus"
	ErrHubBusy          Key = "ErrHubBusy"
	ErrHubUnavailable   Key = "ErrHubUnavailable"
	ErrHubInternal      Key = "ErrHubInternal"
	ErrHubQuota         Key = "ErrHubQuota"
	ErrHubGone          Key = "ErrHubGone"
	SyncFailedStatus    Key = "SyncFailedStatus"
	SyncFailedMore      Key = "SyncFailedMore"
)

var viErrors = map[Key]string{
	ErrUnexpected:       "Đã xảy ra lỗi không mong muốn. Hãy thử lại; nếu vẫn lỗi, báo bộ phận kỹ thuật mã tham chiếu %s.",
	ErrCanceled:         "Thao tác đã bị hủy.",
	ErrTimeout:          "Máy chủ liên thông không trả lời kịp. Hãy kiểm tra mạng rồi thử lại.",
	ErrOffline:          "Không kết nối được máy chủ liên thông. Văn bản và trạng thái được giữ trên máy và tự gửi khi có mạng.",
	ErrHubCertificate:   "Chứng thư của máy chủ liên thông không được tin cậy. Hãy kiểm tra địa chỉ máy chủ và tệp chứng thư gốc, hoặc báo bộ phận kỹ thuật.",
	ErrNotConfigured:    "Chưa cấu hình địa chỉ máy chủ liên thông. Hãy nhập địa chỉ trong Cài đặt.",
	ErrHubAddress:       "Địa chỉ máy chủ liên thông “%s” không hợp lệ. Hãy nhập dạng tên:cổng, ví dụ truc.lienthong.gov.vn:4433; nhiều máy chủ thì cách nhau bằng dấu phẩy.",
	ErrHubAddressEmpty:  "Hãy nhập địa chỉ máy chủ liên thông dạng tên:cổng, ví dụ truc.lienthong.gov.vn:4433.",
	ErrProxyRefused:     "Máy chủ proxy %s từ chối kết nối tới máy chủ liên thông %s (mã %d). Hãy đề nghị bộ phận quản trị mạng cho phép kết nối tới địa chỉ và cổng này.",
	ErrProxyAuth:        "Máy chủ proxy %s không chấp nhận tên đăng nhập hoặc mật khẩu. Hãy kiểm tra cài đặt proxy (dạng http://tên:mật-khẩu@máy-chủ:cổng).",
	ErrProxyOffline:     "Không kết nối được qua máy chủ proxy %s. Hãy kiểm tra cài đặt proxy và mạng; văn bản được giữ trên máy và tự gửi khi kết nối được.",
	ErrProxyURL:         "Địa chỉ proxy không hợp lệ. Hãy nhập dạng http://máy-chủ:cổng (có thể kèm tên:mật-khẩu@), “none” để không dùng proxy, hoặc để trống để dùng cài đặt của hệ thống.",
	ErrWrongBox:         "Thao tác này không dùng được cho văn bản này.",
	ErrReasonNeeded:     "Phải nhập lý do.",
	ErrNoRecall:         "Văn bản này không có yêu cầu thu hồi nào đang chờ trả lời.",
	ErrStoreExists:      "Máy này đã có dữ liệu văn bản; hãy mở khóa thay vì thiết lập lại.",
	ErrNoStore:          "Máy này chưa có dữ liệu văn bản; hãy thiết lập lần đầu.",
	ErrWrongPassphrase:  "Sai mật khẩu, hãy thử lại",
	ErrStoreLocked:      "Dữ liệu đang được mở bởi một cửa sổ khác của ứng dụng",
	ErrNewerSchema:      "Dữ liệu được ghi bởi phiên bản mới hơn của ứng dụng. Hãy cập nhật ứng dụng.",
	ErrCorrupt:          "Dữ liệu trên máy bị hỏng. Hãy báo bộ phận kỹ thuật để khôi phục từ bản sao lưu.",
	ErrNotFound:         "Không tìm thấy văn bản. Có thể văn bản đã bị xóa hoặc chưa tải về.",
	ErrDuplicate:        "Văn bản đã có trên máy (trùng số, ký hiệu hoặc mã định danh).",
	ErrTransition:       "Trạng thái này không được phép sau các trạng thái đã có của văn bản.",
	ErrStoreClosed:      "Dữ liệu đã đóng. Hãy mở lại ứng dụng.",
	ErrDestroyed:        "Tệp đã bị hủy sau khi đồng ý thu hồi văn bản.",
	ErrInvalid:          "Thông tin văn bản chưa hợp lệ:",
	ErrBadDate:          "Ngày không đúng dạng năm-tháng-ngày.",
	ErrCertExpired:      "Chứng thư số đã hết hạn hoặc chưa có hiệu lực. Hãy liên hệ bộ phận quản lý chứng thư để gia hạn.",
	ErrCertRevoked:      "Chứng thư số đã bị thu hồi. Hãy liên hệ bộ phận quản lý chứng thư.",
	ErrCertUntrusted:    "Chứng thư số không do tổ chức chứng thực được tin cậy cấp.",
	ErrCertNoAgency:     "Chứng thư số không ghi mã cơ quan hợp lệ. Hãy liên hệ bộ phận quản lý chứng thư.",
	ErrKeyPassphrase:    "Không mở được tệp .p12: sai mật khẩu hoặc tệp không đúng",
	ErrNotPDF:           "Tệp không phải là tệp PDF.",
	ErrPDFDamaged:       "Tệp PDF bị hỏng, không đọc được.",
	ErrPDFEncrypted:     "Tệp PDF có đặt mật khẩu; hãy dùng bản không đặt mật khẩu.",
	ErrPDFUnsupported:   "Tệp PDF dùng tính năng chưa được hỗ trợ; hãy in lại ra PDF rồi thử lại.",
	ErrPDFTooComplex:    "Tệp PDF quá phức tạp để kiểm tra an toàn (có thể là tệp được tạo để làm treo máy); không mở, không ký tệp này. Nếu tệp đến từ nguồn tin cậy, hãy in lại ra PDF rồi thử lại.",
	ErrFileNotFound:     "Không tìm thấy tệp %s.",
	ErrFilePermission:   "Không có quyền đọc hoặc ghi tệp %s.",
	ErrDiskFull:         "Ổ đĩa đã đầy. Hãy giải phóng dung lượng rồi thử lại.",
	ErrHubBadRequest:    "Máy chủ liên thông từ chối yêu cầu. Hãy cập nhật ứng dụng hoặc báo bộ phận kỹ thuật.",
	ErrHubBadSignature:  "Máy chủ liên thông không chấp nhận chữ ký số của văn bản. Hãy báo bộ phận kỹ thuật.",
	ErrHubUntrusted:     "Máy chủ liên thông không tin chứng thư số của cơ quan (hết hạn, bị thu hồi hoặc không được tin cậy). Hãy liên hệ bộ phận quản lý chứng thư.",
	ErrHubSender:        "Chứng thư số dùng để ký không phải của cơ quan đang kết nối. Hãy kiểm tra tệp chứng thư số.",
	ErrHubInvalid:       "Máy chủ liên thông từ chối văn bản vì thông tin chưa đúng quy định. Hãy sửa rồi gửi lại.",
	ErrHubRecipient:     "Nơi nhận không có trong danh bạ của máy chủ hoặc đã ngừng hoạt động. Hãy đồng bộ rồi chọn lại nơi nhận.",
	ErrHubTransfer:      "Tệp chưa được tải lên đầy đủ. Ứng dụng sẽ tự gửi lại.",
	ErrHubNotPDF:        "Máy chủ liên thông không đọc được tệp đính kèm như một tệp PDF.",
	ErrHubSecret:        "Máy chủ liên thông không nhận văn bản mật (Mật, Tối mật, Tuyệt mật): hệ thống chưa mã hóa văn bản từ nơi gửi đến nơi nhận. Hãy gửi văn bản mật theo quy định về bảo vệ bí mật nhà nước, không qua trục liên thông.",
	ErrHubPDFTooComplex: "Máy chủ liên thông từ chối tệp đính kèm: tệp PDF quá phức tạp để kiểm tra an toàn. Hãy in lại ra PDF rồi gửi lại.",
	ErrHubTooLarge:      "Tệp hoặc văn bản vượt quá dung lượng máy chủ cho phép.",
	ErrHubConflict:      "Máy chủ đã nhận một văn bản khác cùng mã. Hãy báo bộ phận kỹ thuật.",
	ErrHubNotFound:      "Máy chủ liên thông không có văn bản này.",
	ErrHubForbidden:     "Máy chủ liên thông từ chối: cơ quan không có quyền với văn bản này, hoặc chứng thư số của cơ quan đã bị thu hồi hay hết hạn. Nếu mọi thao tác đều bị từ chối, hãy liên hệ đơn vị cấp chứng thư số.",
	ErrHubWithdrawn:     "Văn bản đã được cơ quan gửi thu hồi trước khi đến.",
	ErrHubInvalidStatus: "Máy chủ liên thông không nhận trạng thái này cho văn bản.",
	ErrHubBusy:          "Máy chủ liên thông đang bận. Ứng dụng sẽ tự thử lại sau ít phút.",
	ErrHubUnavailable:   "Máy chủ liên thông tạm thời không phục vụ. Ứng dụng sẽ tự thử lại.",
	ErrHubInternal:      "Máy chủ liên thông gặp lỗi. Ứng dụng sẽ tự thử lại; nếu kéo dài, hãy báo bộ phận kỹ thuật.",
	ErrHubQuota:         "Cơ quan đang có quá nhiều tệp đã tải lên máy chủ liên thông mà chưa gửi. Hãy gửi hoặc hủy các văn bản đang chờ rồi thử lại; tệp chưa gửi tự hết hạn sau một thời gian.",
	ErrHubGone:          "Tệp đính kèm đã được xóa khỏi máy chủ liên thông sau thời hạn lưu giữ. Bằng chứng gửi nhận vẫn còn; hãy đề nghị cơ quan gửi cung cấp lại tệp.",
	SyncFailedStatus:    "Không đồng bộ được: %s",
	SyncFailedMore:      "Không đồng bộ được %d mục: %s",
}

var enErrors = map[Key]string{
	ErrUnexpected:       "Something unexpected went wrong. Try again; if it persists, give the support team reference %s.",
	ErrCanceled:         "The operation was cancelled.",
	ErrTimeout:          "The hub did not answer in time. Check the network and try again.",
	ErrOffline:          "Cannot reach the hub. Documents and statuses are kept on this computer and sent when the network is back.",
	ErrHubCertificate:   "The hub's certificate is not trusted. Check the hub address and the root certificates, or ask the support team.",
	ErrNotConfigured:    "The hub address is not set. Enter it in Settings.",
	ErrHubAddress:       "The hub address “%s” is not valid. Enter it as host:port, for example truc.lienthong.gov.vn:4433; separate several hub servers with commas.",
	ErrHubAddressEmpty:  "Enter the hub address as host:port, for example truc.lienthong.gov.vn:4433.",
	ErrProxyRefused:     "The proxy %s refused to connect to the hub %s (status %d). Ask the network administrators to allow this address and port.",
	ErrProxyAuth:        "The proxy %s does not accept the user name or password. Check the proxy setting (http://user:password@host:port).",
	ErrProxyOffline:     "Cannot connect through the proxy %s. Check the proxy setting and the network; documents are kept on this computer and sent once it connects.",
	ErrProxyURL:         "The proxy address is not valid. Enter it as http://host:port (optionally with user:password@), “none” for no proxy, or leave it empty to use the system's setting.",
	ErrWrongBox:         "This action does not apply to this document.",
	ErrReasonNeeded:     "A reason is required.",
	ErrNoRecall:         "This document has no recall waiting for an answer.",
	ErrStoreExists:      "This computer already holds documents; unlock them instead of setting up again.",
	ErrNoStore:          "This computer holds no documents yet; run the first-time setup.",
	ErrWrongPassphrase:  "Wrong passphrase, try again",
	ErrStoreLocked:      "The data is open in another window of the app",
	ErrNewerSchema:      "The data was written by a newer version of the app. Update the app.",
	ErrCorrupt:          "The data on this computer is damaged. Ask the support team to restore it from a backup.",
	ErrNotFound:         "The document was not found. It may have been removed or not downloaded yet.",
	ErrDuplicate:        "The document is already on this computer (same number, notation or identifier).",
	ErrTransition:       "This status is not allowed after the document's earlier statuses.",
	ErrStoreClosed:      "The data is closed. Open the app again.",
	ErrDestroyed:        "The file was destroyed after the recall was accepted.",
	ErrInvalid:          "The document's details are not valid:",
	ErrBadDate:          "The date is not yyyy-mm-dd.",
	ErrCertExpired:      "The certificate has expired or is not valid yet. Ask the PKI operator to renew it.",
	ErrCertRevoked:      "The certificate has been revoked. Ask the PKI operator.",
	ErrCertUntrusted:    "The certificate was not issued by a trusted authority.",
	ErrCertNoAgency:     "The certificate names no valid agency code. Ask the PKI operator.",
	ErrKeyPassphrase:    "Cannot open the .p12: wrong passphrase or not a certificate file",
	ErrNotPDF:           "The file is not a PDF.",
	ErrPDFDamaged:       "The PDF is damaged and cannot be read.",
	ErrPDFEncrypted:     "The PDF is password-protected; use a copy without a password.",
	ErrPDFUnsupported:   "The PDF uses a feature not supported yet; print it to PDF again and retry.",
	ErrPDFTooComplex:    "The PDF is too complex to check safely (it may be built to exhaust the computer); do not open or sign it. If it comes from a trusted source, print it to PDF again and retry.",
	ErrFileNotFound:     "File %s not found.",
	ErrFilePermission:   "No permission to read or write %s.",
	ErrDiskFull:         "The disk is full. Free some space and try again.",
	ErrHubBadRequest:    "The hub refused the request. Update the app or ask the support team.",
	ErrHubBadSignature:  "The hub did not accept the document's signature. Ask the support team.",
	ErrHubUntrusted:     "The hub does not trust the agency's certificate (expired, revoked or untrusted). Ask the PKI operator.",
	ErrHubSender:        "The signing certificate is not the connected agency's. Check the certificate file.",
	ErrHubInvalid:       "The hub refused the document: its details break the rules. Correct them and send again.",
	ErrHubRecipient:     "A recipient is not in the hub's directory or is no longer active. Sync, then choose the recipients again.",
	ErrHubTransfer:      "A file was not uploaded completely. The app will send it again.",
	ErrHubNotPDF:        "The hub cannot read an attachment as a PDF.",
	ErrHubSecret:        "The hub does not take documents marked Mật, Tối mật or Tuyệt mật: documents are not yet encrypted from sender to recipient. Send classified documents by the channel the state-secrets rules prescribe, not through the hub.",
	ErrHubPDFTooComplex: "The hub refused an attachment: the PDF is too complex to check safely. Print it to PDF again and resend.",
	ErrHubTooLarge:      "A file or the document is larger than the hub allows.",
	ErrHubConflict:      "The hub already holds another document with the same id. Ask the support team.",
	ErrHubNotFound:      "The hub does not have this document.",
	ErrHubForbidden:     "The hub refused: the agency has no access to this document, or its certificate has been revoked or has expired. If every action is refused, contact the certificate authority.",
	ErrHubWithdrawn:     "The sender recalled the document before it arrived.",
	ErrHubInvalidStatus: "The hub does not accept this status for the document.",
	ErrHubBusy:          "The hub is busy. The app will try again in a few minutes.",
	ErrHubUnavailable:   "The hub is temporarily unavailable. The app will try again.",
	ErrHubInternal:      "The hub had an error. The app will try again; if it lasts, ask the support team.",
	ErrHubQuota:         "The agency has too many files uploaded to the hub and not yet sent. Send or cancel the waiting documents, then try again; unsent files expire after a while.",
	ErrHubGone:          "The attachment was removed from the hub after its retention period. The proof of sending and delivery remains; ask the sender for the file again.",
	SyncFailedStatus:    "Sync failed: %s",
	SyncFailedMore:      "Sync failed for %d items: %s",
}

// The error and register messages join the catalogs once, at start: a
// map copy of a few dozen entries.
func init() {
	for _, part := range []struct{ vi, en map[Key]string }{{viErrors, enErrors}, {viRegisters, enRegisters}} {
		maps.Copy(vi, part.vi)
		maps.Copy(en, part.en)
	}
}
