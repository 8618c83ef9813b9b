package cms_test

import (
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"io"
	"strings"

	"lienthong/shared/cms"
)

// Example signs content by its digest in two steps, as with a signer that
// lives elsewhere, then parses and verifies the result.
func Example() {
	p := mustPKI(nil)
	s := p.signers["ecdsa-p256"]

	// Hash the content while streaming it; it is never held in memory.
	h := sha256.New()
	if _, err := io.Copy(h, strings.NewReader("Quyết định số 567/QĐ-UBND")); err != nil {
		panic(err)
	}
	digest := h.Sum(nil)

	b, err := cms.NewBuilder(digest, crypto.SHA256, s.chain)
	if err != nil {
		panic(err)
	}
	sig, err := s.key.Sign(rand.Reader, b.DigestToSign(), crypto.SHA256) // a token or remote signer
	if err != nil {
		panic(err)
	}
	der, err := b.Finish(sig)
	if err != nil {
		panic(err)
	}

	sd, err := cms.Parse(der)
	if err != nil {
		panic(err)
	}
	fmt.Println("signer:", sd.Signer.Subject.CommonName)
	fmt.Println("signing-certificate-v2 matches:", sd.SigningCertV2Matches)
	fmt.Println("signing-time present:", sd.HasSigningTime)
	fmt.Println("verify:", sd.Verify(digest))
	// Output:
	// signer: Nguyễn Văn An (ecdsa-p256)
	// signing-certificate-v2 matches: true
	// signing-time present: false
	// verify: <nil>
}
