package ui

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"lienthong/certs"
	"lienthong/desktop/clerk"
	"lienthong/desktop/i18n"
	"lienthong/hub/hubtest"
	"lienthong/shared/document"
)

// TestDocViewEdXMLNotVerified: a document imported from an edXML file
// without a signature (--unsigned-ok) says NOT VERIFIED on its view, in
// the clerk's language; a verified one says whose signature was checked.
func TestDocViewEdXMLNotVerified(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{})
	sender, err := clerk.Open(initHome(t, h, quangNinh), testPass, clerk.Options{})
	if err != nil {
		t.Fatal(err)
	}
	id, err := sender.Issue(t.Context(), &clerk.Draft{Metadata: document.Metadata{
		CodeNotation: "UBND-VP", Type: document.TypeCongVan, Promulgation: document.Promulgation{Place: "Hạ Long"},
		Subject: "Gói edXML chưa ký", Signer: document.Signer{Position: "CHỦ TỊCH", FullName: "Nguyễn Văn Hùng"},
		To: []document.Recipient{{Code: certs.AgencyCode(vpcp), Name: "Văn phòng Chính phủ"}},
	}, Files: []string{testdata("cong-van.pdf")}, Stamp: clerk.Stamp{Kind: clerk.StampText}})
	if err != nil {
		t.Fatal(err)
	}
	var packet bytes.Buffer
	if err := sender.ExportEdXML(id, &packet); err != nil {
		t.Fatal(err)
	}
	sender.Close()
	unsigned := regexp.MustCompile(`(?s)<ds:Signature .*</ds:Signature>`).ReplaceAll(packet.Bytes(), nil)

	a, _ := startApp(t, initHome(t, h, vpcp), Options{})
	in, err := a.Clerk().ImportEdXML(t.Context(), unsigned, clerk.ImportOptions{UnsignedOK: true})
	if err != nil {
		t.Fatal(err)
	}
	a.Incoming.View.Show(in.ID)
	all := strings.Join(texts(a.Incoming.View.Object()), "\n")
	if !strings.Contains(all, "Gói edXML") || !strings.Contains(all, "CHƯA XÁC MINH") {
		t.Errorf("the view of an unverified edXML document does not say so:\n%s", all)
	}
	en := i18n.New(i18n.English)
	if got := clerk.EdXMLCheckText(en, *a.Incoming.View.View.EdXML); !strings.HasPrefix(got, "NOT VERIFIED") {
		t.Errorf("in English: %q", got)
	}
	if got := clerk.EdXMLCheckText(en, clerk.EdXMLCheck{Verified: true, Signer: "CN=Văn phòng"}); strings.Contains(got, "NOT") || !strings.Contains(got, "CN=Văn phòng") {
		t.Errorf("a verified packet reads %q", got)
	}
}
