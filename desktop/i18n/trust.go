package i18n

// What the clerk reads about a signature's trust: revocation judged at
// the proven signing time, and signatures nothing can date.
const (
	SigIndeterminate Key = "SigIndeterminate"
	SigRevoked       Key = "SigRevoked"
	SigRevokedLater  Key = "SigRevokedLater"
)

var viTrust = map[Key]string{
	SigIndeterminate: "Không xác định được: chữ ký không có dấu thời gian và chứng thư của người ký hiện không còn hiệu lực, nên không có gì chứng minh chữ ký được tạo khi chứng thư còn hiệu lực",
	SigRevoked:       "Chứng thư của người ký đã bị thu hồi ngày %s, trước thời điểm ký",
	SigRevokedLater:  "Chứng thư của người ký bị thu hồi sau, ngày %s; dấu thời gian chứng minh chữ ký có trước nên chữ ký vẫn hợp lệ",
}

var enTrust = map[Key]string{
	SigIndeterminate: "Indeterminate: the signature has no timestamp and the signer's certificate is not valid now, so nothing shows it was made while the certificate was valid",
	SigRevoked:       "The signer's certificate was revoked on %s, before the signing time",
	SigRevokedLater:  "The signer's certificate was revoked later, on %s; the timestamp proves the signature came first, so it stays valid",
}

func init() {
	for k, v := range viTrust {
		vi[k] = v
	}
	for k, v := range enTrust {
		en[k] = v
	}
}
