package certs_test

import (
	"crypto"
	"fmt"
	"os"
	"path/filepath"

	"lienthong/certs"
)

// ExampleOpenSigner opens an agency's key and certificate as a user names
// them (here files that lienthong-certs issue would write) and shows what
// it will sign with. Every signing function (pades.Sign, envelope.Seal,
// receipt.Sign, tsa.Server) takes the result.
func ExampleOpenSigner() {
	dir, _ := os.MkdirTemp("", "signer")
	defer os.RemoveAll(dir)
	root, _ := certs.NewRoot(certs.CAName{CommonName: "Root CA"}, certs.ECDSAP256, 0)
	issuing, _ := root.NewIssuing(certs.CAName{CommonName: "Issuing CA"}, certs.ECDSAP256, 0)
	kp, _ := issuing.IssueAgency(certs.AgencyRequest{Code: "000.00.00.H49", Name: "UBND tỉnh Quảng Ninh"}, certs.RSA2048)
	pass := []byte("mật khẩu")
	keyPEM, _ := certs.EncryptKeyPEM(kp.Key, pass)
	_ = os.WriteFile(filepath.Join(dir, "qn.crt"), kp.CertificatePEM(), 0o644)
	_ = os.WriteFile(filepath.Join(dir, "qn.key"), keyPEM, 0o600)

	signer, err := certs.OpenSigner(certs.SignerRef{
		Cert:       filepath.Join(dir, "qn.crt"),
		Key:        filepath.Join(dir, "qn.key"), // later also "pkcs11:token=…;object=…"
		Passphrase: pass,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	alg, _ := certs.SignatureAlgorithm(signer.Public(), crypto.SHA256)
	fmt.Println(signer.Leaf.Subject.Organization[0], len(signer.Certificates()), alg)
	// Output: UBND tỉnh Quảng Ninh 3 SHA256-RSA
}
