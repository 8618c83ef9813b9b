package xmlsig

import (
	"crypto"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	dsig "github.com/russellhaering/goxmldsig"

	"lienthong/certs"
	"lienthong/shared/edxml"
	"lienthong/shared/xmlsig/xmlsigtest"
)

// xmlsec1 runs `xmlsec1 --verify` on data with the demo PKI's root as the
// only trusted certificate (xmlsigtest.Xmlsec1).
func xmlsec1(t *testing.T, p *pki, data []byte) (string, bool) {
	t.Helper()
	root, err := os.ReadFile(filepath.Join(p.dir, "ca.crt"))
	if err != nil {
		t.Fatal(err)
	}
	return xmlsigtest.Xmlsec1(t, root, data)
}

func TestXmlsec1(t *testing.T) {
	for _, alg := range []certs.KeyAlgorithm{certs.RSA2048, certs.ECDSAP256} {
		p := demoPKI(t, alg)
		for name, packet := range map[string][]byte{"document": documentPacket(t), "status": statusPacket(t)} {
			t.Run(string(alg)+"/"+name, func(t *testing.T) {
				signed, err := Sign(packet, p.signer)
				if err != nil {
					t.Fatal(err)
				}
				if out, ok := xmlsec1(t, p, signed); !ok {
					t.Fatalf("xmlsec1 refuses our signature:\n%s", out)
				}
				tampered := replaceOnce(t, signed, "000.00.00.G22", "000.00.00.G09")
				if out, ok := xmlsec1(t, p, tampered); ok {
					t.Fatalf("xmlsec1 accepts a tampered packet:\n%s", out)
				}
				if _, err := Verify(tampered, Options{}); !errors.Is(err, ErrBadSignature) {
					t.Fatalf("Verify on the tampered packet: %v", err)
				}
			})
		}
	}
	// What goxmldsig writes alone for ECDSA (DER) is refused by xmlsec1:
	// the reason Sign turns it into r||s.
	t.Run("ecdsa-der", func(t *testing.T) {
		p := demoPKI(t, certs.ECDSAP256)
		signed, err := Sign(statusPacket(t), p.signer)
		if err != nil {
			t.Fatal(err)
		}
		v := between(t, signed, "<ds:SignatureValue>", "</ds:SignatureValue>")
		raw, _ := base64Decode(v)
		der := replaceOnce(t, signed, v, base64.StdEncoding.EncodeToString(toDER(raw)))
		if out, ok := xmlsec1(t, p, der); ok {
			t.Fatalf("xmlsec1 accepts a DER ECDSA value:\n%s", out)
		}
	})
	// As the national SDK signs: RSA-SHA1, SHA-1 digest, inclusive C14N.
	t.Run("sdk-style", func(t *testing.T) {
		p := demoPKI(t, certs.RSA2048)
		signed, err := sign(documentPacket(t), p.signer, crypto.SHA1, dsig.MakeC14N10RecCanonicalizer())
		if err != nil {
			t.Fatal(err)
		}
		if out, ok := xmlsec1(t, p, signed); !ok {
			t.Fatalf("xmlsec1 refuses the SHA-1 signature:\n%s", out)
		}
	})
}

// signTemplate is the Signature that xmlsec1 --sign fills in: the form of
// .NET's SignedXml, which the national SDK uses (enveloped transform only,
// so C14N 1.0 applies by default).
const signTemplate = `<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo>` +
	`<ds:CanonicalizationMethod Algorithm="http://www.w3.org/TR/2001/REC-xml-c14n-20010315"/>` +
	`<ds:SignatureMethod Algorithm="%s"/><ds:Reference URI=""><ds:Transforms>` +
	`<ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/></ds:Transforms>` +
	`<ds:DigestMethod Algorithm="%s"/><ds:DigestValue/></ds:Reference></ds:SignedInfo>` +
	`<ds:SignatureValue/><ds:KeyInfo><ds:X509Data/></ds:KeyInfo></ds:Signature>`

// Packets signed by xmlsec1, an independent producer, verify here.
func TestVerifyXmlsec1Signed(t *testing.T) {
	bin, err := exec.LookPath("xmlsec1")
	if err != nil {
		t.Fatalf("xmlsec1 is needed to cross-check signatures (apt-get install xmlsec1): %v", err)
	}
	for _, tc := range []struct {
		alg            certs.KeyAlgorithm
		method, digest string
		weak           bool
		// at is the end tag the signature goes before: edXMLHeader's,
		// or the root's, where .NET's documentation appends it.
		at string
	}{
		{certs.RSA2048, dsig.RSASHA1SignatureMethod, "http://www.w3.org/2000/09/xmldsig#sha1", true, "</edXML:edXMLHeader>"},
		{certs.RSA2048, dsig.RSASHA256SignatureMethod, "http://www.w3.org/2001/04/xmlenc#sha256", false, "</edXML:edXMLHeader>"},
		{certs.ECDSAP256, dsig.ECDSASHA256SignatureMethod, "http://www.w3.org/2001/04/xmlenc#sha256", false, "</edXML:edXMLHeader>"},
		{certs.RSA2048, dsig.RSASHA256SignatureMethod, "http://www.w3.org/2001/04/xmlenc#sha256", false, "</edXML:edXML>"},
	} {
		t.Run(string(tc.alg)+"/"+tc.method[strings.LastIndex(tc.method, "#")+1:]+"/"+strings.Trim(tc.at, "</>"), func(t *testing.T) {
			p := demoPKI(t, tc.alg)
			tmpl := replaceOnce(t, documentPacket(t), tc.at, fmt.Sprintf(signTemplate, tc.method, tc.digest)+tc.at)
			dir := t.TempDir()
			in, out := filepath.Join(dir, "in.edxml"), filepath.Join(dir, "out.edxml")
			if err := os.WriteFile(in, tmpl, 0o600); err != nil {
				t.Fatal(err)
			}
			agency := filepath.Join(p.dir, "agencies", "000.00.00.H49")
			cmd := exec.Command(bin, "--sign", "--privkey-pem", agency+".key,"+agency+".crt,"+filepath.Join(p.dir, "issuing-ca.crt"), "--output", out, in)
			if b, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("xmlsec1 --sign: %v\n%s", err, b)
			}
			signed, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			res, err := Verify(signed, Options{Verifier: p.verifier})
			if err != nil {
				t.Fatalf("Verify refuses xmlsec1's signature: %v", err)
			}
			if res.Trust != TrustVerified || !res.Signer.Equal(p.signer.Leaf) || (len(res.Warnings) > 0) != tc.weak {
				t.Fatalf("trust %s, warnings %v", res.Trust, res.Warnings)
			}
			if elsewhere := len(res.Packet.Warnings) == 1 && res.Packet.Warnings[0].Kind == edxml.WarnSignaturePlace; elsewhere != (tc.at != "</edXML:edXMLHeader>") {
				t.Fatalf("edxml's warnings: %v", res.Packet.Warnings)
			}
			tampered := replaceOnce(t, signed, "Nguyễn Văn A", "Nguyễn Văn B")
			if _, err := Verify(tampered, Options{}); !errors.Is(err, ErrBadSignature) {
				t.Fatalf("tampered: %v", err)
			}
		})
	}
}

// A signature whose reference selects part of the packet (an XPath
// transform) is not checked: what it covers is not what is read.
func TestXPathTransformUnsupported(t *testing.T) {
	bin, err := exec.LookPath("xmlsec1")
	if err != nil {
		t.Fatalf("xmlsec1 is needed to cross-check signatures (apt-get install xmlsec1): %v", err)
	}
	p := demoPKI(t, certs.RSA2048)
	xpath := `<ds:Transform Algorithm="http://www.w3.org/TR/1999/REC-xpath-19991116"><ds:XPath xmlns:e="` + edxml.Namespace +
		`">ancestor-or-self::e:MessageHeader</ds:XPath></ds:Transform>`
	tmpl := fmt.Sprintf(signTemplate, dsig.RSASHA256SignatureMethod, "http://www.w3.org/2001/04/xmlenc#sha256")
	tmpl = strings.Replace(tmpl, "</ds:Transforms>", xpath+"</ds:Transforms>", 1)
	dir := t.TempDir()
	in, out := filepath.Join(dir, "in.edxml"), filepath.Join(dir, "out.edxml")
	if err := os.WriteFile(in, replaceOnce(t, documentPacket(t), "</edXML:edXMLHeader>", tmpl+"</edXML:edXMLHeader>"), 0o600); err != nil {
		t.Fatal(err)
	}
	agency := filepath.Join(p.dir, "agencies", "000.00.00.H49")
	if b, err := exec.Command(bin, "--sign", "--privkey-pem", agency+".key,"+agency+".crt,"+filepath.Join(p.dir, "issuing-ca.crt"), "--output", out, in).CombinedOutput(); err != nil {
		t.Fatalf("xmlsec1 --sign: %v\n%s", err, b)
	}
	signed, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if out, ok := xmlsec1(t, p, signed); !ok {
		t.Fatalf("xmlsec1 does not verify its own XPath signature:\n%s", out)
	}
	// The subject is outside what the XPath selects: xmlsec1 still
	// accepts the changed packet, Verify refuses to judge it.
	changed := replaceOnce(t, signed, "<edXML:edXMLBody", "<edXML:edXMLBody changed=\"1\"")
	if out, ok := xmlsec1(t, p, changed); !ok {
		t.Fatalf("xmlsec1 refuses a change outside the XPath:\n%s", out)
	}
	if _, err := Verify(changed, Options{}); !errors.Is(err, ErrUnsupported) {
		t.Fatalf("got %v, want ErrUnsupported", err)
	}
	if _, err := Verify(signed, Options{}); !errors.Is(err, ErrUnsupported) {
		t.Fatalf("got %v, want ErrUnsupported", err)
	}
}
