package document_test

import (
	"errors"
	"fmt"
	"time"

	"lienthong/shared/document"
)

func ExampleParseDocumentID() {
	// Some systems write the date day first; the id is read either way and
	// always written year first.
	id, err := document.ParseDocumentID("000.00.00.G22,30/09/2015,7816/VPCP-TTĐT")
	if err != nil {
		panic(err)
	}
	fmt.Println(id.Organ, id.Date, id.Number, id.Notation)
	fmt.Println(id)
	// Output:
	// 000.00.00.G22 2015-09-30 7816 VPCP-TTĐT
	// 000.00.00.G22,2015/09/30,7816/VPCP-TTĐT
}

func ExampleBuildNotation() {
	qd, _ := document.BuildNotation(document.TypeQuyetDinh, "UBND", "")
	cv, _ := document.BuildNotation(document.TypeCongVan, "STTTT", "CNTT")
	fmt.Println(document.FormatNumberNotation("567", qd))
	fmt.Println(document.FormatNumberNotation("1234", cv))
	// Output:
	// 567/QĐ-UBND
	// 1234/STTTT-CNTT
}

func ExampleParseNumberNotation() {
	number, notation, _ := document.ParseNumberNotation("30/2020/NĐ-CP")
	fmt.Println(number, notation)
	// Output: 30 2020/NĐ-CP
}

func ExampleTypeByName() {
	t, _ := document.TypeByName("quyet dinh")
	fmt.Println(t, t.Name(), t.Abbreviation())
	t, _ = document.TypeByAbbreviation("TTr")
	fmt.Println(t.Name())
	// Output:
	// quyet_dinh Quyết định QĐ
	// Tờ trình
}

func ExampleRegisterYear() {
	// 31 December 2024, 17:30 UTC is already 1 January 2025 in Hà Nội:
	// the number series has started again.
	at := time.Date(2024, 12, 31, 17, 30, 0, 0, time.UTC)
	fmt.Println(document.RegisterYear(at), document.DateOf(at))
	// Output: 2025 2025-01-01
}

func ExampleMetadata_Validate() {
	m := &document.Metadata{
		Version:      document.SchemaVersion,
		From:         document.Organ{Code: "000.00.00.H49", Name: "Ủy ban nhân dân tỉnh Quảng Ninh"},
		CodeNumber:   "567",
		CodeNotation: "TB-UBND", // a Quyết định's notation must open with QĐ
		Promulgation: document.Promulgation{Place: "Quảng Ninh", Date: document.NewDate(2025, 3, 5)},
		Type:         document.TypeQuyetDinh,
		Signer:       document.Signer{Position: "CHỦ TỊCH", FullName: "Nguyễn Văn A"},
		To:           []document.Recipient{{Code: "000.00.00.H49", Name: "Ủy ban nhân dân tỉnh Quảng Ninh"}},
	}
	m.Normalize()
	err := m.Validate()
	var ve *document.ValidationError
	if errors.As(err, &ve) {
		for _, p := range ve.Problems {
			fmt.Printf("%s %s\n  log:   %s\n  clerk: %s\n", p.Field, p.Code, p.Message, p.MessageVI)
		}
	}
	// Output:
	// code_notation mismatch
	//   log:   type quyet_dinh needs a notation opening with QĐ-
	//   clerk: Ký hiệu của quyết định phải bắt đầu bằng QĐ- (ví dụ QĐ-UBND).
	// subject required
	//   log:   is required
	//   clerk: Chưa nhập trích yếu.
	// to[0].code sender_is_recipient
	//   log:   the sender cannot be a recipient
	//   clerk: Nơi nhận thứ 1 là chính cơ quan ban hành.
}

func ExampleLifecycle() {
	l := document.NewLifecycle(document.BusinessNew)
	for _, s := range []document.Status{document.StatusArrived, document.StatusReceived, document.StatusRecalled, document.StatusProcessing} {
		next, err := l.Next(s)
		if err != nil {
			fmt.Println("refused:", err)
			continue
		}
		l = next
		fmt.Println(s, s.NameVI())
	}
	fmt.Println("may answer the recall:", l.Allows(document.StatusRejected))
	// Output:
	// 01 Đã đến
	// 03 Đã tiếp nhận
	// 13 Thu hồi
	// refused: status 05 (processing) cannot follow 13 (recalled): a recall is open: answer it with 15 or 16 first
	// may answer the recall: true
}

func ExampleParseMetadata() {
	_, err := document.ParseMetadata([]byte(`{"version":1,"subject":"a","subject":"b"}`))
	fmt.Println(errors.Is(err, document.ErrMalformed), err)
	// Output: true malformed metadata: malformed JSON: key "subject" appears twice
}
