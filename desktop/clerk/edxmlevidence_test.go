package clerk_test

import (
	"bytes"
	"strings"
	"testing"

	"lienthong/desktop/clerk"
	"lienthong/hub/hubtest"
	"lienthong/shared/evidence"
)

// exportBundle exports and reads back the evidence bundle of document id.
func exportBundle(t *testing.T, c *clerk.Clerk, id string) *evidence.Bundle {
	t.Helper()
	var zip bytes.Buffer
	if err := c.ExportEvidence(ctxT(t), id, &zip); err != nil {
		t.Fatalf("export: %v", err)
	}
	b, err := evidence.Read(bytes.NewReader(zip.Bytes()), int64(zip.Len()))
	if err != nil {
		t.Fatalf("read the bundle: %v", err)
	}
	return b
}

// rewritten writes b and reads it back, as an auditor receives it.
func rewritten(t *testing.T, b *evidence.Bundle) *evidence.Bundle {
	t.Helper()
	var zip bytes.Buffer
	if err := b.Write(&zip); err != nil {
		t.Fatal(err)
	}
	out, err := evidence.Read(bytes.NewReader(zip.Bytes()), int64(zip.Len()))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// failedCheck returns the first check that failed, "" if none did.
func failedCheck(rep *evidence.Report) string {
	for _, c := range rep.Checks {
		if !c.OK {
			return c.What + ": " + c.Detail
		}
	}
	return ""
}

// TestEdXMLEvidence: the evidence bundle of a document that came as edXML
// carries the sender's packet (with its detached signature when it was
// signed so), and for one the hub delivered the hub's stored reference,
// receipts and log proofs; the auditor's verification checks them all and
// refuses a packet changed in the bundle.
func TestEdXMLEvidence(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{})
	ctx := ctxT(t)
	na := newClerk(t, h, ngheAn)
	sys := newVendor(t, h, vpcp)
	signed := vendorPacket(t, h, ctx, "quyet-dinh.pdf", "Quyết định gửi bằng edXML để lưu chứng cứ")
	xmlDoc := sys.post(signed, "")
	plain := unsign(t, vendorPacket(t, h, ctx, "cong-van.pdf", "Công văn ký rời bằng CMS để lưu chứng cứ"))
	sig := cmsSign(t, h, vpcp, plain)
	cmsDoc := sys.postSigned(plain, sig)
	mustSync(t, ctx, na, na)
	opts := evidence.Options{Verifier: h.Verifier(), LogKey: h.LogKey}

	for _, tc := range []struct {
		name, id    string
		packet, sig []byte
		wantFailure string
	}{
		{"XML signature", xmlDoc.MessageID, signed, nil, "the sender's XML signature on the edXML packet"},
		{"detached CMS signature", cmsDoc.MessageID, plain, sig, "the sender's detached CMS signature on the edXML packet"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := exportBundle(t, na, tc.id)
			if b.Packet != nil || !bytes.Equal(b.EdXML, tc.packet) || !bytes.Equal(b.EdXMLSignature, tc.sig) || b.EdXMLRef == nil {
				t.Fatalf("bundle: packet.json %v, the edXML packet kept %v, signature kept %v, reference %s",
					b.Packet != nil, bytes.Equal(b.EdXML, tc.packet), bytes.Equal(b.EdXMLSignature, tc.sig), b.EdXMLRef)
			}
			rep := evidence.Verify(b, opts)
			if !rep.OK() {
				t.Fatalf("the bundle does not verify: %s", failedCheck(rep))
			}
			if len(b.Receipts) < 2 || len(b.Entries) < 2 || len(b.Attachments) != 1 {
				t.Fatalf("bundle holds %d receipts, %d log entries, %d attachments", len(b.Receipts), len(b.Entries), len(b.Attachments))
			}

			tampered := rewritten(t, b)
			tampered.EdXML = bytes.Replace(tampered.EdXML, []byte("lưu chứng cứ"), []byte("lưu hồ sơ"), 1)
			if rep := evidence.Verify(tampered, opts); rep.OK() || !strings.HasPrefix(failedCheck(rep), tc.wantFailure) {
				t.Errorf("a packet changed in the bundle: %s", failedCheck(rep))
			}
			for digest := range tampered.Attachments {
				tampered.Attachments[digest] = append(bytes.Clone(b.Attachments[digest]), '\n')
			}
			tampered.EdXML = b.EdXML
			if rep := evidence.Verify(tampered, opts); rep.OK() || !strings.Contains(failedCheck(rep), "matches the digest the sender signed: the file was changed") {
				t.Errorf("an attachment changed in the bundle: %s", failedCheck(rep))
			}
			tampered.Attachments = b.Attachments
			tampered.EdXMLRef = bytes.Replace(b.EdXMLRef, []byte(`"size":`), []byte(`"size":1`), 1)
			if rep := evidence.Verify(tampered, opts); rep.OK() || !strings.HasPrefix(failedCheck(rep), "the hub's stored reference names this edXML packet") {
				t.Errorf("a reference naming another packet: %s", failedCheck(rep))
			}
		})
	}

	t.Run("imported from a file", func(t *testing.T) {
		other := newClerk(t, h, ngheAn) // never synced: the hub did not carry it
		in, err := other.ImportEdXML(ctx, signed, clerk.ImportOptions{})
		if err != nil {
			t.Fatal(err)
		}
		b := exportBundle(t, other, in.ID)
		if !bytes.Equal(b.EdXML, signed) || b.EdXMLRef != nil || len(b.Receipts) != 0 {
			t.Fatalf("bundle: the packet kept %v, reference %s, %d receipts", bytes.Equal(b.EdXML, signed), b.EdXMLRef, len(b.Receipts))
		}
		if rep := evidence.Verify(b, opts); !rep.OK() {
			t.Fatalf("the bundle does not verify: %s", failedCheck(rep))
		}
	})
}
