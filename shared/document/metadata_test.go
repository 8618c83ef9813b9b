package document

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"lienthong/certs"
	"lienthong/shared/vnsearch"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata")

// validMetadata returns a complete, valid Quyết định of Quảng Ninh's
// People's Committee to the Government Office and Nghệ An.
func validMetadata() *Metadata {
	return &Metadata{
		Version:      SchemaVersion,
		From:         Organ{Code: "000.00.00.H49", Name: "Ủy ban nhân dân tỉnh Quảng Ninh"},
		CodeNumber:   "567",
		CodeNotation: "QĐ-UBND",
		Promulgation: Promulgation{Place: "Quảng Ninh", Date: NewDate(2025, 3, 5)},
		Type:         TypeQuyetDinh,
		Subject:      "Về việc ban hành Quy chế quản lý văn bản điện tử trên Trục liên thông văn bản của tỉnh",
		Signer:       Signer{Competence: "KT. CHỦ TỊCH", Position: "PHÓ CHỦ TỊCH", FullName: "Nguyễn Văn A"},
		To: []Recipient{
			{Code: "000.00.00.G22", Name: "Văn phòng Chính phủ"},
			{Code: "000.00.00.H41", Name: "Ủy ban nhân dân tỉnh Nghệ An"},
		},
		ToPlaces:           []string{"Như trên;", "Lưu: VT, TTĐT."},
		Priority:           UrgencyUrgent,
		Secrecy:            SecrecyNone,
		DueDate:            NewDate(2025, 3, 20),
		SteeringType:       SteeringDirective,
		PageAmount:         3,
		PromulgationAmount: 10,
		Appendixes:         []string{"Phụ lục I: Danh mục cơ quan"},
		ResponseFor:        DocumentID{Organ: "000.00.00.G22", Date: NewDate(2025, 2, 1), Number: "7816", Notation: "VPCP-TTĐT"},
		Business:           Business{Type: BusinessNew},
	}
}

type want struct {
	field string
	code  ProblemCode
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		modify func(m *Metadata)
		want   []want // nil: valid
	}{
		{"valid", func(*Metadata) {}, nil},
		{"minimal công văn", func(m *Metadata) {
			m.Type, m.CodeNotation = TypeCongVan, "UBND-VP"
			m.Signer.Competence, m.ToPlaces, m.Appendixes = "", nil, nil
			m.DueDate, m.ResponseFor = Date{}, DocumentID{}
			m.PageAmount, m.PromulgationAmount = 0, 0
		}, nil},
		{"all urgencies and secrecy levels are fine", func(m *Metadata) { m.Priority, m.Secrecy = UrgencyFlashScheduled, SecrecyTopSecret }, nil},
		{"due the same day", func(m *Metadata) { m.DueDate = m.Promulgation.Date }, nil},
		{"subject of exactly 500 letters with diacritics", func(m *Metadata) { m.Subject = strings.Repeat("ệ", 500) }, nil},
		{"full name of exactly 50", func(m *Metadata) { m.Signer.FullName = strings.Repeat("Ư", 50) }, nil},

		{"missing version", func(m *Metadata) { m.Version = 0 }, []want{{"version", ProblemRequired}}},
		{"future version", func(m *Metadata) { m.Version = 2 }, []want{{"version", ProblemUnsupportedVersion}}},
		{"missing sender code", func(m *Metadata) { m.From.Code = "" }, []want{{"from.code", ProblemRequired}}},
		{"bad sender code", func(m *Metadata) { m.From.Code = "H49" }, []want{{"from.code", ProblemBadAgencyCode}}},
		{"organ name 201 characters", func(m *Metadata) { m.From.Name = strings.Repeat("Ủ", 201) }, []want{{"from.name", ProblemTooLong}}},
		{"organ name 200 characters is fine", func(m *Metadata) { m.From.Name = strings.Repeat("Ủ", 200) }, nil},
		{"number 12 digits", func(m *Metadata) { m.CodeNumber = "123456789012" }, []want{{"code_number", ProblemTooLong}}},
		{"number with letters", func(m *Metadata) { m.CodeNumber = "12a" }, []want{{"code_number", ProblemBadFormat}}},
		{"number zero", func(m *Metadata) { m.CodeNumber = "000" }, []want{{"code_number", ProblemBadFormat}}},
		{"missing number", func(m *Metadata) { m.CodeNumber = "" }, []want{{"code_number", ProblemRequired}}},
		{"notation 31 characters", func(m *Metadata) { m.CodeNotation = "QĐ-" + strings.Repeat("Đ", 28) }, []want{{"code_notation", ProblemTooLong}}},
		{"notation 30 characters is fine", func(m *Metadata) { m.CodeNotation = "QĐ-" + strings.Repeat("Đ", 27) }, nil},
		{"notation with comma", func(m *Metadata) { m.CodeNotation = "QĐ,UBND" }, []want{{"code_notation", ProblemBadFormat}}},
		{"notation of another type", func(m *Metadata) { m.CodeNotation = "TB-UBND" }, []want{{"code_notation", ProblemMismatch}}},
		{"notation with a year", func(m *Metadata) { m.CodeNotation = "2025/QĐ-UBND" }, nil},
		{"missing place", func(m *Metadata) { m.Promulgation.Place = "  " }, []want{{"promulgation.place", ProblemRequired}}},
		{"missing date", func(m *Metadata) { m.Promulgation.Date = Date{} }, []want{{"promulgation.date", ProblemRequired}}},
		{"impossible date", func(m *Metadata) { m.Promulgation.Date = NewDate(2025, 2, 29) }, []want{{"promulgation.date", ProblemBadDate}}},
		{"missing type", func(m *Metadata) { m.Type = "" }, []want{{"type", ProblemRequired}}},
		{"unknown type", func(m *Metadata) { m.Type = "nghi_dinh" }, []want{{"type", ProblemUnknownType}}},
		{"type name 101", func(m *Metadata) { m.TypeName = strings.Repeat("a", 101) }, []want{{"type_name", ProblemTooLong}}},
		{"missing subject", func(m *Metadata) { m.Subject = "" }, []want{{"subject", ProblemRequired}}},
		{"subject 501 characters", func(m *Metadata) { m.Subject = strings.Repeat("ệ", 501) }, []want{{"subject", ProblemTooLong}}},
		{"subject with newline", func(m *Metadata) { m.Subject = "dòng 1\ndòng 2" }, []want{{"subject", ProblemControlChar}}},
		{"subject with NUL", func(m *Metadata) { m.Subject = "a\x00b" }, []want{{"subject", ProblemControlChar}}},
		{"subject with C1 control", func(m *Metadata) { m.Subject = "a\u0085b" }, []want{{"subject", ProblemControlChar}}},
		{"subject with bidi override", func(m *Metadata) { m.Subject = "abc\u202Efdp.exe" }, []want{{"subject", ProblemControlChar}}},
		{"subject invalid utf-8", func(m *Metadata) { m.Subject = "Quy\xe1t" }, []want{{"subject", ProblemInvalidUTF8}}},
		{"subject decomposed", func(m *Metadata) { m.Subject = norm.NFD.String("Quyết định") }, []want{{"subject", ProblemNotNormalized}}},
		{"competence 101", func(m *Metadata) { m.Signer.Competence = strings.Repeat("K", 101) }, []want{{"signer.competence", ProblemTooLong}}},
		{"position 101", func(m *Metadata) { m.Signer.Position = strings.Repeat("P", 101) }, []want{{"signer.position", ProblemTooLong}}},
		{"full name 51", func(m *Metadata) { m.Signer.FullName = strings.Repeat("Ư", 51) }, []want{{"signer.full_name", ProblemTooLong}}},
		{"missing signer", func(m *Metadata) { m.Signer = Signer{} }, []want{{"signer.position", ProblemRequired}, {"signer.full_name", ProblemRequired}}},
		{"no recipients", func(m *Metadata) { m.To = nil }, []want{{"to", ProblemRequired}}},
		{"duplicate recipient", func(m *Metadata) { m.To = append(m.To, m.To[0]) }, []want{{"to[2].code", ProblemDuplicate}}},
		{"sender among recipients", func(m *Metadata) { m.To[1].Code = m.From.Code }, []want{{"to[1].code", ProblemSenderIsRecipient}}},
		{"bad recipient code and name", func(m *Metadata) { m.To[0] = Recipient{Code: "000.00.00.h49"} }, []want{{"to[0].code", ProblemBadAgencyCode}, {"to[0].name", ProblemRequired}}},
		{"to place 151", func(m *Metadata) { m.ToPlaces[1] = strings.Repeat("ơ", 151) }, []want{{"to_places[1]", ProblemTooLong}}},
		{"to place 150 is fine", func(m *Metadata) { m.ToPlaces[1] = strings.Repeat("ơ", 150) }, nil},
		{"empty to place", func(m *Metadata) { m.ToPlaces[0] = "" }, []want{{"to_places[0]", ProblemRequired}}},
		{"urgency 5", func(m *Metadata) { m.Priority = 5 }, []want{{"priority", ProblemOutOfRange}}},
		{"urgency -1", func(m *Metadata) { m.Priority = -1 }, []want{{"priority", ProblemOutOfRange}}},
		{"secrecy 4", func(m *Metadata) { m.Secrecy = 4 }, []want{{"secrecy", ProblemOutOfRange}}},
		{"due before promulgation", func(m *Metadata) { m.DueDate = NewDate(2025, 3, 4) }, []want{{"due_date", ProblemDateOrder}}},
		{"impossible due date", func(m *Metadata) { m.DueDate = NewDate(2025, 4, 31) }, []want{{"due_date", ProblemBadDate}}},
		{"steering 3", func(m *Metadata) { m.SteeringType = 3 }, []want{{"steering_type", ProblemOutOfRange}}},
		{"negative pages and copies", func(m *Metadata) { m.PageAmount, m.PromulgationAmount = -1, -2 }, []want{{"page_amount", ProblemOutOfRange}, {"promulgation_amount", ProblemOutOfRange}}},
		{"empty appendix title", func(m *Metadata) { m.Appendixes = []string{""} }, []want{{"appendixes[0]", ProblemRequired}}},
		{"response for a malformed id", func(m *Metadata) { m.ResponseFor.Number = "x" }, []want{{"response_for", ProblemBadFormat}}},
		{"response for itself", func(m *Metadata) { m.ResponseFor = m.ID() }, []want{{"response_for", ProblemNotAllowed}}},

		{"business type 4", func(m *Metadata) { m.Business.Type = 4 }, []want{{"business.type", ProblemOutOfRange}}},
		{"new names documents", func(m *Metadata) { m.Business.Documents = []DocumentID{ownDoc(1)} }, []want{{"business.documents", ProblemNotAllowed}}},
		{"recall names its document", func(m *Metadata) {
			m.Business = Business{Type: BusinessRecall, Documents: []DocumentID{ownDoc(1)}, Reason: "Sai sót"}
		}, nil},
		{"recall names nothing", func(m *Metadata) { m.Business = Business{Type: BusinessRecall} }, []want{{"business.documents", ProblemRequired}}},
		{"recall names two", func(m *Metadata) {
			m.Business = Business{Type: BusinessRecall, Documents: []DocumentID{ownDoc(1), ownDoc(2)}}
		}, []want{{"business.documents", ProblemRequired}}},
		{"update names nothing", func(m *Metadata) { m.Business = Business{Type: BusinessUpdate} }, []want{{"business.documents", ProblemRequired}}},
		{"update names one", func(m *Metadata) { m.Business = Business{Type: BusinessUpdate, Documents: []DocumentID{ownDoc(1)}} }, nil},
		{"replace names nothing", func(m *Metadata) { m.Business = Business{Type: BusinessReplace} }, []want{{"business.documents", ProblemRequired}}},
		{"replace names two", func(m *Metadata) {
			m.Business = Business{Type: BusinessReplace, Documents: []DocumentID{ownDoc(1), ownDoc(2)}}
		}, nil},
		{"replace names one twice", func(m *Metadata) {
			m.Business = Business{Type: BusinessReplace, Documents: []DocumentID{ownDoc(1), ownDoc(1)}}
		}, []want{{"business.documents[1]", ProblemDuplicate}}},
		{"replace another agency's document", func(m *Metadata) {
			m.Business = Business{Type: BusinessReplace, Documents: []DocumentID{{Organ: "000.00.00.H41", Date: NewDate(2025, 1, 1), Number: "1", Notation: "QĐ-UBND"}}}
		}, []want{{"business.documents[0]", ProblemNotAllowed}}},
		{"replace itself", func(m *Metadata) { m.Business = Business{Type: BusinessReplace, Documents: []DocumentID{m.ID()}} }, []want{{"business.documents[0]", ProblemNotAllowed}}},
		{"replace a malformed id", func(m *Metadata) {
			m.Business = Business{Type: BusinessReplace, Documents: []DocumentID{{Organ: m.From.Code, Number: "1", Notation: "QĐ-UBND"}}}
		}, []want{{"business.documents[0]", ProblemBadFormat}}},
		{"reason 501", func(m *Metadata) {
			m.Business = Business{Type: BusinessRecall, Documents: []DocumentID{ownDoc(1)}, Reason: strings.Repeat("x", 501)}
		}, []want{{"business.reason", ProblemTooLong}}},

		{"everything at once", func(m *Metadata) {
			m.Subject, m.To, m.Priority, m.From.Code = "", nil, 9, "bad"
		}, []want{{"from.code", ProblemBadAgencyCode}, {"subject", ProblemRequired}, {"to", ProblemRequired}, {"priority", ProblemOutOfRange}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := validMetadata()
			tt.modify(m)
			checkProblems(t, m.Validate(), tt.want)
		})
	}
}

// ownDoc is an earlier document of the sender of validMetadata.
func ownDoc(n int) DocumentID {
	return DocumentID{Organ: "000.00.00.H49", Date: NewDate(2025, 1, 10), Number: strings.Repeat("1", n), Notation: "QĐ-UBND"}
}

// checkProblems asserts that err lists exactly the wanted problems, in
// order, each with both messages.
func checkProblems(t *testing.T, err error, wants []want) {
	t.Helper()
	if wants == nil {
		if err != nil {
			t.Fatalf("Validate() = %v, want nil", err)
		}
		return
	}
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("Validate() = %v, want a *ValidationError", err)
	}
	if !errors.Is(err, ErrInvalid) {
		t.Errorf("error does not match ErrInvalid")
	}
	var got []want
	for _, p := range ve.Problems {
		got = append(got, want{p.Field, p.Code})
		if p.Message == "" || p.MessageVI == "" || p.Message == p.MessageVI {
			t.Errorf("problem %+v lacks separate English and Vietnamese messages", p)
		}
		if !utf8Vietnamese(p.MessageVI) {
			t.Errorf("MessageVI %q does not read as Vietnamese", p.MessageVI)
		}
	}
	if len(got) != len(wants) {
		t.Fatalf("problems %v, want %v", got, wants)
	}
	for i := range wants {
		if got[i] != wants[i] {
			t.Errorf("problem %d = %v, want %v (all: %v)", i, got[i], wants[i], got)
		}
		if !ve.Has(wants[i].field, wants[i].code) {
			t.Errorf("Has(%v) = false", wants[i])
		}
	}
}

// utf8Vietnamese reports a message with at least one Vietnamese letter
// outside ASCII, a cheap check that the clerk's message is not English.
func utf8Vietnamese(s string) bool {
	return strings.ContainsAny(s, "àáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵĐ")
}

func TestValidationErrorText(t *testing.T) {
	m := validMetadata()
	m.Subject, m.To = "", nil
	err := m.Validate()
	want := "invalid document data: 2 problems: subject: is required; to: at least one recipient agency is required"
	if err == nil || err.Error() != want {
		t.Errorf("Error() = %v, want %q", err, want)
	}
	var ve *ValidationError
	errors.As(err, &ve)
	if got := ve.MessagesVI(); got != "Chưa nhập trích yếu.\nChưa chọn cơ quan nhận (cần ít nhất một nơi nhận)." {
		t.Errorf("MessagesVI() = %q", got)
	}
}

func TestValidateDoesNotLeakContent(t *testing.T) {
	m := validMetadata()
	secret := strings.Repeat("BÍMẬT", 101)
	m.Subject, m.Signer.FullName = secret, secret
	err := m.Validate()
	if err == nil {
		t.Fatal("no error")
	}
	var ve *ValidationError
	errors.As(err, &ve)
	if strings.Contains(err.Error(), "BÍMẬT") || strings.Contains(ve.MessagesVI(), "BÍMẬT") {
		t.Errorf("messages repeat the document's text: %v", err)
	}
}

func TestNormalize(t *testing.T) {
	m := validMetadata()
	m.Subject = "  " + norm.NFD.String("Quyết định") + "\t"
	m.From.Code = " 000.00.00.h49 "
	m.To[0].Name = norm.NFD.String("Văn phòng Chính phủ")
	m.ToPlaces[0] = norm.NFD.String(" Như trên; ")
	m.Normalize()
	if m.Subject != "Quyết định" || m.From.Code != "000.00.00.H49" || m.To[0].Name != "Văn phòng Chính phủ" || m.ToPlaces[0] != "Như trên;" {
		t.Errorf("Normalize left %q %q %q %q", m.Subject, m.From.Code, m.To[0].Name, m.ToPlaces[0])
	}
	if err := m.Validate(); err != nil {
		t.Errorf("normalised metadata fails: %v", err)
	}
}

func TestMetadataGolden(t *testing.T) {
	path := filepath.Join("testdata", "metadata-v1.json")
	got, err := json.MarshalIndent(validMetadata(), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	golden, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, golden) {
		t.Errorf("wire form changed; if on purpose, bump SchemaVersion or run with -update\ngot:\n%s\nwant:\n%s", got, golden)
	}
	m, err := ParseMetadata(golden)
	if err != nil {
		t.Fatalf("ParseMetadata(golden): %v", err)
	}
	again, _ := json.MarshalIndent(m, "", "  ")
	if !bytes.Equal(append(again, '\n'), golden) {
		t.Errorf("parse and marshal of the golden file differ:\n%s", again)
	}
}

func TestParseMetadata(t *testing.T) {
	good, err := json.Marshal(validMetadata())
	if err != nil {
		t.Fatal(err)
	}
	replace := func(old, new string) []byte {
		if !bytes.Contains(good, []byte(old)) {
			t.Fatalf("%q not in the JSON", old)
		}
		return bytes.Replace(good, []byte(old), []byte(new), 1)
	}
	tests := []struct {
		name     string
		in       []byte
		sentinel error // nil: valid
		problems []want
	}{
		{"valid", good, nil, nil},
		{"decomposed text is normalised", replace(`"subject":"Về việc`, `"subject":"`+norm.NFD.String("Về việc")), nil, nil},
		{"spaces are trimmed", replace(`"subject":"Về việc`, `"subject":"  Về việc`), nil, nil},
		{"not json", []byte("not json"), ErrMalformed, nil},
		{"empty", []byte(""), ErrMalformed, nil},
		{"array", []byte("[]"), ErrMalformed, nil},
		{"invalid utf-8", replace(`Quảng Ninh"`, "Qu\xe1ng Ninh\""), ErrMalformed, nil},
		{"unknown field", replace(`{"version":1,`, `{"version":1,"extra":true,`), ErrMalformed, nil},
		{"duplicate key", replace(`{"version":1,`, `{"version":1,"subject":"x",`), ErrMalformed, nil},
		{"duplicate key in other case", replace(`{"version":1,`, `{"version":1,"Subject":"x",`), ErrMalformed, nil},
		{"duplicate nested key", replace(`"full_name":"Nguyễn Văn A"`, `"full_name":"Nguyễn Văn A","full_name":"B"`), ErrMalformed, nil},
		{"trailing data", append(append([]byte{}, good...), []byte(` {}`)...), ErrMalformed, nil},
		{"wrong type", replace(`"priority":1`, `"priority":"1"`), ErrMalformed, nil},
		{"bad date", replace(`"date":"2025-03-05"`, `"date":"05/03/2025"`), ErrMalformed, nil},
		{"newer version", replace(`{"version":1,`, `{"version":2,"new_field":1,`), ErrUnsupportedVersion, nil},
		{"too large", append(append([]byte{}, good...), bytes.Repeat([]byte(" "), MaxMetadataSize)...), ErrMalformed, nil},
		{"escaped control character", replace(`"subject":"Về việc`, `"subject":"\u0007Về việc`), ErrInvalid, []want{{"subject", ProblemControlChar}}},
		{"rule broken", replace(`"priority":1`, `"priority":7`), ErrInvalid, []want{{"priority", ProblemOutOfRange}}},
		{"null", []byte("null"), ErrInvalid, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := ParseMetadata(tt.in)
			if tt.sentinel == nil {
				if err != nil || m == nil {
					t.Fatalf("ParseMetadata = %v", err)
				}
				if m.Subject != validMetadata().Subject {
					t.Errorf("subject %q not normalised", m.Subject)
				}
				return
			}
			if !errors.Is(err, tt.sentinel) {
				t.Fatalf("ParseMetadata = %v, want %v", err, tt.sentinel)
			}
			if tt.problems != nil {
				checkProblems(t, err, tt.problems)
				if m == nil {
					t.Error("metadata not returned with its problems")
				}
			}
		})
	}
}

// FuzzMetadataFields puts fuzzed text into the fields of valid metadata, so
// that the rules themselves, not the JSON syntax, are exercised.
func FuzzMetadataFields(f *testing.F) {
	f.Add("Về việc ban hành", "QĐ-UBND", "567", "000.00.00.G22", "Nguyễn Văn A", 1, 0)
	f.Add(norm.NFD.String("Quyết định"), "2020/NQ-HĐND", "01", "000.00.00.H49", "", 5, 4)
	f.Add(strings.Repeat("ệ", 500), "STTTT-CNTT", "123456789012", "000.00.00.h41", "a\u202eb", -1, 3)
	f.Fuzz(func(t *testing.T, subject, notation, number, recipient, name string, priority, secrecy int) {
		m := validMetadata()
		m.Subject, m.CodeNotation, m.CodeNumber = subject, notation, number
		m.To[0].Code = certs.AgencyCode(recipient)
		m.Signer.FullName = name
		m.Priority, m.Secrecy = Urgency(priority), Secrecy(secrecy)
		m.Normalize()
		err := m.Validate()
		if err != nil {
			var ve *ValidationError
			if !errors.As(err, &ve) || len(ve.Problems) == 0 {
				t.Fatalf("Validate() = %v, want problems", err)
			}
			return
		}
		if n := utf8.RuneCountInString(m.Subject); n == 0 || n > MaxSubject || !norm.NFC.IsNormalString(m.Subject) || HasHiddenRune(m.Subject) {
			t.Fatalf("accepted subject %q", m.Subject)
		}
		if _, _, err := ParseNumberNotation(m.CodeNumber + "/" + m.CodeNotation); err != nil {
			t.Fatalf("accepted number and notation that do not parse: %v", err)
		}
		if _, err := ParseDocumentID(m.ID().String()); err != nil {
			t.Fatalf("valid metadata has an id that does not parse: %v", err)
		}
		if m.To[0].Code == m.From.Code || m.To[0].Code == m.To[1].Code {
			t.Fatalf("accepted recipient %q", m.To[0].Code)
		}
		data, err := json.Marshal(m)
		if err != nil {
			t.Fatalf("valid metadata does not marshal: %v", err)
		}
		if _, err := ParseMetadata(data); err != nil {
			t.Fatalf("valid metadata does not parse back: %v", err)
		}
	})
}

func FuzzMetadata(f *testing.F) {
	if golden, err := os.ReadFile(filepath.Join("testdata", "metadata-v1.json")); err == nil {
		f.Add(golden)
	}
	good, _ := json.Marshal(validMetadata())
	f.Add(good)
	recall := validMetadata()
	recall.Business = Business{Type: BusinessRecall, Documents: []DocumentID{ownDoc(1)}}
	b, _ := json.Marshal(recall)
	f.Add(b)
	f.Add([]byte(`{"version":1}`))
	f.Add([]byte(`{"version":1,"to":[{"code":"000.00.00.H49","name":"a"},{"code":"000.00.00.H49","name":"a"}]}`))
	f.Add([]byte(`{"version":1,"subject":"Quye` + "\u0302\u0301" + `t"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseMetadata(data)
		if err != nil {
			var ve *ValidationError
			switch {
			case errors.As(err, &ve):
				if m == nil || len(ve.Problems) == 0 {
					t.Fatalf("validation error without metadata or problems: %v", err)
				}
				for _, p := range ve.Problems {
					if p.Field == "" || p.Code == "" || p.Message == "" || p.MessageVI == "" {
						t.Fatalf("incomplete problem %+v", p)
					}
				}
			case errors.Is(err, ErrMalformed), errors.Is(err, ErrUnsupportedVersion):
				if m != nil {
					t.Fatal("metadata returned with a decoding error")
				}
			default:
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		// Valid metadata survives a round trip unchanged, and is in NFC.
		out, err := json.Marshal(m)
		if err != nil {
			t.Fatalf("valid metadata does not marshal: %v", err)
		}
		back, err := ParseMetadata(out)
		if err != nil {
			t.Fatalf("round trip fails: %v\n%s", err, out)
		}
		again, _ := json.Marshal(back)
		if !bytes.Equal(out, again) {
			t.Fatalf("round trip changes the metadata:\n%s\n%s", out, again)
		}
		if !norm.NFC.IsNormalString(m.Subject) {
			t.Fatalf("subject %q not NFC", m.Subject)
		}
	})
}

func TestSearchTokens(t *testing.T) {
	m := validMetadata()
	q := func(s string) bool { return vnsearch.NewQuery(s).MatchTokens(m.SearchTokens()) }
	tests := []struct {
		query string
		want  bool
	}{
		{"quyet dinh", true},       // the type's name
		{"567 qd ubnd", true},      // number and notation
		{"quy che van ban", true},  // subject words without diacritics
		{"nguyen van a", true},     // signer
		{"nghe an", true},          // a recipient
		{"quang ninh", true},       // issuing agency and place
		{"phu luc danh muc", true}, // appendix title
		{"cong dien", false},
		{"ha noi", false},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			if got := q(tt.query); got != tt.want {
				t.Errorf("query %q: %v, want %v (tokens %q)", tt.query, got, tt.want, m.SearchTokens())
			}
		})
	}
	seen := map[string]bool{}
	for _, w := range m.SearchTokens() {
		if seen[w] {
			t.Errorf("token %q twice", w)
		}
		seen[w] = true
	}
}
