package evidence

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"lienthong/certs"
	"lienthong/shared/edxml"
	"lienthong/shared/envelope"
	"lienthong/shared/strictjson"
	"lienthong/shared/wire"
	"lienthong/shared/xmlsig"
)

// openEdXML checks the sender's edXML packet of a document that came as
// one: its XML signature, or its detached CMS signature when the bundle
// has one (an XML signature it carries all the same must then match too),
// by an agency certificate under the auditor's roots allowed to sign
// documents, naming the packet's sender; then, for a document the hub
// delivered, that the hub's stored reference names exactly this packet
// and signature, which gives the message id and the hash the receipts and
// log entries must name.
func openEdXML(r *Report, b *Bundle, opts Options) *sent {
	signer, err := edxmlSigner(b, opts)
	what := "the sender's XML signature on the edXML packet"
	if b.EdXMLSignature != nil {
		what = "the sender's detached CMS signature on the edXML packet"
	}
	r.add(what, err)
	if err != nil {
		return nil
	}
	agency, err := certs.AgencyOf(signer)
	if err == nil {
		err = certs.MayIssueDocuments(signer)
	}
	r.add("the signer is an agency allowed to sign documents", err)
	if err != nil {
		return nil
	}
	pkt, err := edxml.Read(bytes.NewReader(b.EdXML), edxml.Options{})
	if err == nil && pkt.Document == nil {
		err = errors.New("a status packet, not a document")
	}
	if err == nil && pkt.Document.Metadata.From.Code != agency {
		err = fmt.Errorf("the packet names %s as its sender, the signature is by %s", pkt.Document.Metadata.From.Code, agency)
	}
	r.add(fmt.Sprintf("the edXML packet is a document signed by its sender %s", agency), err)
	if err != nil {
		return nil
	}
	doc := &sent{messageID: b.Manifest.MessageID, hubless: b.EdXMLRef == nil}
	for _, a := range pkt.Document.Attachments {
		if !a.Included {
			r.add(fmt.Sprintf("attachment %q is carried in the edXML packet", a.Name), errors.New("the packet names it but does not carry it"))
			continue
		}
		doc.attachments = append(doc.attachments, envelope.Attachment{Name: a.Name, ContentType: a.ContentType, Size: a.Size,
			SHA256: hex.EncodeToString(a.SHA256[:])})
	}
	if doc.hubless {
		return doc
	}
	sum := sha256.Sum256(b.EdXML)
	var ref struct {
		EdXML wire.EdXMLRef `json:"edxml"`
	}
	err = strictjson.Unmarshal(b.EdXMLRef, &ref)
	switch {
	case err != nil:
	case ref.EdXML.SHA256 != hex.EncodeToString(sum[:]) || ref.EdXML.Size != int64(len(b.EdXML)):
		err = fmt.Errorf("the reference names a packet of %d bytes with SHA-256 %s, not the bundle's", ref.EdXML.Size, ref.EdXML.SHA256)
	case !bytes.Equal(ref.EdXML.Signature, b.EdXMLSignature):
		err = errors.New("the reference names another detached signature than the bundle's")
	case hex.EncodeToString(sum[:16]) != b.Manifest.MessageID:
		err = fmt.Errorf("the packet is message %x, the manifest names %s", sum[:16], b.Manifest.MessageID)
	}
	r.add("the hub's stored reference names this edXML packet and its signature", err)
	if err != nil {
		return nil
	}
	refSum := sha256.Sum256(b.EdXMLRef)
	doc.envelopeHash = hex.EncodeToString(refSum[:])
	return doc
}

// edxmlSigner verifies the packet's signature and returns the signer's
// certificate, with a chain to the auditor's roots.
func edxmlSigner(b *Bundle, opts Options) (*x509.Certificate, error) {
	if b.EdXMLSignature == nil {
		res, err := xmlsig.Verify(b.EdXML, xmlsig.Options{Verifier: opts.Verifier})
		if err != nil {
			return nil, err
		}
		if res.Trust != xmlsig.TrustVerified {
			return nil, fmt.Errorf("the signer's certificate: %s (%s)", res.Trust, res.TrustDetail)
		}
		return res.Signer, nil
	}
	// Its own XML signature, if any, must match the bytes as well.
	if _, err := xmlsig.Verify(b.EdXML, xmlsig.Options{}); err != nil && !errors.Is(err, xmlsig.ErrUnsigned) {
		return nil, fmt.Errorf("its own XML signature: %w", err)
	}
	s, err := (&envelope.Packet{Payload: b.EdXML, Signature: b.EdXMLSignature}).Verify(opts.Verifier, time.Time{})
	if err != nil {
		return nil, err
	}
	return s.Chain[0], nil
}
