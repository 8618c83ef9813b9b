package xmlsig

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"encoding/xml"
	"errors"
	"fmt"
	"io"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"

	"lienthong/certs"
	"lienthong/shared/edxml"
)

// Sign returns the edXML packet in data with an enveloped XML-DSig
// signature by s (see the package documentation): RSA-SHA256 or
// ECDSA-SHA256, SHA-256 digest, exclusive C14N, s's chain in KeyInfo. The
// Signature is inserted as the last child of edXMLHeader; no other byte
// changes. A packet edxml.Read refuses gives its error, a signed one
// ErrAlreadySigned. The result is verified before it is returned.
func Sign(data []byte, s certs.Signer) ([]byte, error) {
	return sign(data, s, crypto.SHA256, dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList(""))
}

// sign is Sign with the hash and canonicalisation given (the tests make
// packets as other producers sign them: RSA-SHA1, inclusive C14N).
func sign(data []byte, s certs.Signer, hash crypto.Hash, canon dsig.Canonicalizer) ([]byte, error) {
	pkt, err := edxml.Read(bytes.NewReader(data), edxml.Options{})
	if err != nil {
		return nil, err
	}
	if pkt.Signature != nil {
		return nil, ErrAlreadySigned
	}
	chain := s.Certificates()
	if len(chain) == 0 {
		return nil, errors.New("the signer has no certificate")
	}
	var signer crypto.Signer = s
	var method string
	switch pub := s.Public().(type) {
	case *rsa.PublicKey:
		method = map[crypto.Hash]string{crypto.SHA1: dsig.RSASHA1SignatureMethod, crypto.SHA256: dsig.RSASHA256SignatureMethod}[hash]
	case *ecdsa.PublicKey:
		method = map[crypto.Hash]string{crypto.SHA1: dsig.ECDSASHA1SignatureMethod, crypto.SHA256: dsig.ECDSASHA256SignatureMethod}[hash]
		signer = rawECDSA{Signer: s, pub: pub}
	default:
		return nil, fmt.Errorf("%w: %T", certs.ErrUnsupportedKey, pub)
	}
	body := bytes.TrimPrefix(data, []byte("\uFEFF"))
	at, err := headerEnd(body)
	if err != nil {
		return nil, err
	}
	at += len(data) - len(body)
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(body); err != nil || doc.Root() == nil {
		return nil, fmt.Errorf("%w: %v", edxml.ErrMalformed, err)
	}
	der := make([][]byte, len(chain))
	for i, c := range chain {
		der[i] = c.Raw
	}
	ctx, err := dsig.NewSigningContext(signer, der)
	if err != nil {
		return nil, err
	}
	ctx.Prefix = "ds"
	ctx.IdAttribute = "\x00" // no attribute has this name: the Reference is URI ""
	ctx.Canonicalizer = canon
	if err := ctx.SetSignatureMethod(method); err != nil {
		return nil, err
	}
	sig, err := ctx.ConstructSignature(doc.Root(), true)
	if err != nil {
		return nil, fmt.Errorf("sign edXML packet: %w", err)
	}
	sigDoc := etree.NewDocument()
	sigDoc.SetRoot(sig)
	sigBytes, err := sigDoc.WriteToBytes()
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(data)+len(sigBytes))
	out = append(out, data[:at]...)
	out = append(out, sigBytes...)
	out = append(out, data[at:]...)
	if _, err := Verify(out, Options{}); err != nil {
		return nil, fmt.Errorf("the signed packet does not verify: %w", err)
	}
	return out, nil
}

// headerEnd returns the offset of edXMLHeader's end tag in data: where
// the Signature goes.
func headerEnd(data []byte) (int, error) {
	dec := xml.NewDecoder(bytes.NewReader(data))
	depth := 0
	for {
		off := dec.InputOffset()
		tok, err := dec.RawToken()
		if err == io.EOF {
			return 0, fmt.Errorf("%w: no edXMLHeader to hold the signature", edxml.ErrMissing)
		}
		if err != nil {
			return 0, fmt.Errorf("%w: %v", edxml.ErrMalformed, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
		case xml.EndElement:
			if depth == 3 && t.Name.Local == "edXMLHeader" {
				end := "</" + t.Name.Local
				if t.Name.Space != "" {
					end = "</" + t.Name.Space + ":" + t.Name.Local
				}
				if !bytes.HasPrefix(data[off:], []byte(end)) {
					// <edXMLHeader/>: no end tag to insert before.
					return 0, fmt.Errorf("%w: an empty edXMLHeader", edxml.ErrMissing)
				}
				return int(off), nil
			}
			depth--
		}
	}
}
