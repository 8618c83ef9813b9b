package pades_test

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"fmt"
	"log"
	"os"

	"lienthong/certs"
	"lienthong/shared/pades"
)

// Signing a file with a software key, invisibly (PAdES B-B).
func ExampleSignFile() {
	kp, err := certs.LoadKeyPair("clerk.pem", "clerk.key", nil)
	if err != nil {
		log.Fatal(err)
	}
	opts := pades.Options{Signer: kp, Reason: "Ban hành văn bản"}
	if err := pades.SignFile(context.Background(), "cong-van.pdf", "cong-van-signed.pdf", opts); err != nil {
		log.Fatal(err)
	}
}

// Signing in two steps, for a key that lives on a token or a remote
// service: Prepare writes the document with a reserved signature and gives
// the digest; Finish takes the signature back.
func ExamplePrepare() {
	in, err := os.Open("cong-van.pdf")
	if err != nil {
		log.Fatal(err)
	}
	defer in.Close()
	st, _ := in.Stat()
	out, err := os.Create("cong-van-signed.pdf")
	if err != nil {
		log.Fatal(err)
	}
	defer out.Close()

	var chain []*x509.Certificate // the signer's certificate and CAs, from the token
	var token crypto.Signer       // stands for the remote signer
	prep, err := pades.Prepare(out, in, st.Size(), pades.Options{Chain: chain})
	if err != nil {
		log.Fatal(err)
	}
	sig, err := token.Sign(rand.Reader, prep.DigestToSign(), crypto.SHA256)
	if err != nil {
		log.Fatal(err)
	}
	if err := prep.Finish(context.Background(), sig); err != nil {
		log.Fatal(err)
	}
}

// Verifying for an auditor.
func ExampleVerify() {
	roots, err := certs.ReadCertificates("roots.pem")
	if err != nil {
		log.Fatal(err)
	}
	pool := x509.NewCertPool()
	for _, r := range roots {
		pool.AddCert(r)
	}
	f, err := os.Open("cong-van-signed.pdf")
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	rep, err := pades.Verify(f, st.Size(), pades.VerifyOptions{Roots: pool})
	if err != nil {
		log.Fatal(err) // not a PDF, damaged or encrypted
	}
	for _, s := range rep.Signatures {
		fmt.Println(s.Field, s.Signer, s.Level, s.Valid())
		for _, c := range s.ForbiddenChanges() {
			fmt.Println("  changed after signing:", c.Description)
		}
	}
	fmt.Println("document valid:", rep.Valid())
}
