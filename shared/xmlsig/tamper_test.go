package xmlsig

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	dsig "github.com/russellhaering/goxmldsig"
	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"

	"lienthong/certs"
)

func base64Decode(s string) ([]byte, error) { return base64.StdEncoding.DecodeString(s) }

// replaceOnce replaces the first old in data, failing the test if absent.
func replaceOnce(t *testing.T, data []byte, old, new string) []byte {
	t.Helper()
	if !bytes.Contains(data, []byte(old)) {
		t.Fatalf("no %q in the packet", old)
	}
	return bytes.Replace(data, []byte(old), []byte(new), 1)
}

func TestTamperedRefused(t *testing.T) {
	p := demoPKI(t, certs.RSA2048)
	signed, err := Sign(documentPacket(t), p.signer)
	if err != nil {
		t.Fatal(err)
	}
	sig := between(t, signed, "<ds:Signature", "</ds:Signature>")
	sigEl := "<ds:Signature" + sig + "</ds:Signature>"
	unsignedAt := func(data []byte) []byte { return bytes.Replace(data, []byte(sigEl), nil, 1) }
	cases := map[string][]byte{
		"subject":        replaceOnce(t, signed, "triển khai", "triển khải"),
		"sender":         replaceOnce(t, signed, "000.00.00.H49</edXML:OrganId>", "000.00.00.H41</edXML:OrganId>"),
		"attachment":     replaceOnce(t, signed, "JVBERi0xLjcg", "JVBERi0xLjgg"),
		"digest value":   replaceOnce(t, signed, "<ds:DigestValue>", "<ds:DigestValue>AAAA"),
		"signature alg":  replaceOnce(t, signed, "rsa-sha256", "rsa-sha512"),
		"added element":  replaceOnce(t, signed, "</edXML:MessageHeader>", "<edXML:DueDate>2026/12/31</edXML:DueDate></edXML:MessageHeader>"),
		"two signatures": replaceOnce(t, signed, "</edXML:edXMLHeader>", sigEl+"</edXML:edXMLHeader>"),
		// The signature moved into the MessageHeader: edxml no longer
		// sees it as the packet's, and it is not accepted elsewhere.
		"moved": replaceOnce(t, unsignedAt(signed), "</edXML:MessageHeader>", sigEl+"</edXML:MessageHeader>"),
		// A wrapping attack: the signed original kept in an element of
		// another namespace, a forged message in front of it.
		"wrapped": replaceOnce(t, replaceOnce(t, signed, "triển khai", "hủy bỏ"),
			"</edXML:edXMLHeader>", `<x:Original xmlns:x="urn:x">`+string(envelope(unsignedAt(signed)))+`</x:Original></edXML:edXMLHeader>`),
	}
	for name, data := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := Verify(data, Options{Verifier: p.verifier})
			if !errors.Is(err, ErrBadSignature) {
				t.Fatalf("got %v, want ErrBadSignature", err)
			}
		})
	}
	// A comment is not signed content (URI "" drops comments): still valid.
	commented := replaceOnce(t, signed, "</edXML:MessageHeader>", "<!-- ghi chú -->"+"</edXML:MessageHeader>")
	if _, err := Verify(commented, Options{}); err != nil {
		t.Fatalf("comment: %v", err)
	}
}

// The national SDK signs with RSA-SHA1 and SHA-1 digests, inclusive C14N.
func TestSHA1(t *testing.T) {
	p := demoPKI(t, certs.RSA2048)
	signed, err := sign(statusPacket(t), p.signer, crypto.SHA1, dsig.MakeC14N10RecCanonicalizer())
	if err != nil {
		t.Fatal(err)
	}
	res, err := Verify(signed, Options{Verifier: p.verifier})
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, w := range res.Warnings {
		kinds = append(kinds, string(w.Kind))
	}
	if strings.Join(kinds, ",") != "weak-signature,weak-digest" || res.Trust != TrustVerified {
		t.Fatalf("warnings %v, trust %s", kinds, res.Trust)
	}
	if _, err := Verify(signed, Options{RefuseWeak: true}); !errors.Is(err, ErrWeakAlgorithm) {
		t.Fatalf("refuse weak: %v", err)
	}
	tampered := replaceOnce(t, signed, "Phan Thị Giang", "Phan Thị Giảng")
	if _, err := Verify(tampered, Options{}); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("tampered: %v", err)
	}
}

// ECDSA values in DER, as goxmldsig alone writes them, verify with a warning.
func TestECDSADER(t *testing.T) {
	p := demoPKI(t, certs.ECDSAP256)
	signed, err := Sign(statusPacket(t), p.signer)
	if err != nil {
		t.Fatal(err)
	}
	v := between(t, signed, "<ds:SignatureValue>", "</ds:SignatureValue>")
	raw, _ := base64Decode(v)
	der := toDER(raw)
	data := replaceOnce(t, signed, v, base64.StdEncoding.EncodeToString(der))
	res, err := Verify(data, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Warnings) != 1 || res.Warnings[0].Kind != WarnECDSAEncoding {
		t.Fatalf("warnings %v", res.Warnings)
	}
}

// envelope returns the edXMLEnvelope element of a packet.
func envelope(data []byte) []byte {
	end := "</edXML:edXMLEnvelope>"
	return data[bytes.Index(data, []byte("<edXML:edXMLEnvelope")) : bytes.Index(data, []byte(end))+len(end)]
}

// toDER encodes an r||s value as the DER ECDSA-Sig-Value.
func toDER(raw []byte) []byte {
	n := len(raw) / 2
	var b cryptobyte.Builder
	b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1BigInt(new(big.Int).SetBytes(raw[:n]))
		b.AddASN1BigInt(new(big.Int).SetBytes(raw[n:]))
	})
	return b.BytesOrPanic()
}

// An RSA key under 2048 bits (GODEBUG allows Go to make one for the test)
// is reported as weak.
func TestWeakKey(t *testing.T) {
	t.Setenv("GODEBUG", "rsa1024min=0")
	key, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Hệ thống cũ"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	signed, err := Sign(statusPacket(t), &certs.KeyPair{Leaf: cert, Key: key})
	if err != nil {
		t.Fatal(err)
	}
	res, err := Verify(signed, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Warnings) != 1 || res.Warnings[0].Kind != WarnWeakKey {
		t.Fatalf("warnings %v", res.Warnings)
	}
}
