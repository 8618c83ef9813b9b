package tsa_test

import (
	"bytes"
	"crypto"
	"crypto/sha256"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"lienthong/certs"
	"lienthong/shared/cms"
	"lienthong/shared/tsa"
)

func needOpenSSL(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("openssl")
	if err != nil {
		t.Fatal("openssl is needed for the interoperability tests: make deps installs it")
	}
	return p
}

func run(t *testing.T, name string, args ...string) []byte {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", filepath.Base(name), strings.Join(args, " "), err, out)
	}
	return out
}

// TestOpenSSLClient has openssl ts make the query and verify our reply.
func TestOpenSSLClient(t *testing.T) {
	openssl := needOpenSSL(t)
	p := mustPKI(t)
	for _, alg := range []certs.KeyAlgorithm{certs.ECDSAP256, certs.RSA2048} {
		t.Run(string(alg), func(t *testing.T) {
			kp := p.tsas[alg]
			_, hs := newServer(t, kp, nil)
			dir := t.TempDir()
			data := filepath.Join(dir, "data.bin")
			if err := os.WriteFile(data, []byte("Báo cáo số 12/BC-UBND"), 0o600); err != nil {
				t.Fatal(err)
			}
			query := filepath.Join(dir, "q.tsq")
			reply := filepath.Join(dir, "r.tsr")
			root := filepath.Join(dir, "root.pem")
			chain := filepath.Join(dir, "chain.pem")
			writeCertsPEM(t, root, p.root.Cert)
			writeCertsPEM(t, chain, kp.Chain...)
			run(t, openssl, "ts", "-query", "-data", data, "-sha256", "-cert", "-out", query)
			q, err := os.ReadFile(query)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := hs.Client().Post(hs.URL, tsa.ContentTypeQuery, bytes.NewReader(q))
			if err != nil {
				t.Fatal(err)
			}
			var body bytes.Buffer
			body.ReadFrom(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %s: %s", resp.Status, body.Bytes())
			}
			if err := os.WriteFile(reply, body.Bytes(), 0o600); err != nil {
				t.Fatal(err)
			}
			text := run(t, openssl, "ts", "-reply", "-in", reply, "-text")
			if !bytes.Contains(text, []byte("Status: Granted")) {
				t.Errorf("openssl reads:\n%s", text)
			}
			run(t, openssl, "ts", "-verify", "-in", reply, "-queryfile", query, "-CAfile", root, "-untrusted", chain)
			run(t, openssl, "ts", "-verify", "-in", reply, "-data", data, "-CAfile", root, "-untrusted", chain)
			other := filepath.Join(dir, "other.bin")
			os.WriteFile(other, []byte("khác"), 0o600)
			if out, err := exec.Command(openssl, "ts", "-verify", "-in", reply, "-data", other, "-CAfile", root, "-untrusted", chain).CombinedOutput(); err == nil {
				t.Errorf("openssl verified the reply against other data:\n%s", out)
			}
		})
	}
}

// TestOpenSSLServer has openssl ts act as the TSA and checks that our parser
// and verifier accept its token.
func TestOpenSSLServer(t *testing.T) {
	openssl := needOpenSSL(t)
	p := mustPKI(t)
	kp := p.tsas[certs.ECDSAP256]
	for _, essAlg := range []string{"sha256", "sha1"} {
		t.Run("ess_cert_id_alg="+essAlg, func(t *testing.T) {
			dir := t.TempDir()
			tsaCert := filepath.Join(dir, "tsa.pem")
			tsaKey := filepath.Join(dir, "tsa.key")
			chain := filepath.Join(dir, "chain.pem")
			writeCertsPEM(t, tsaCert, kp.Leaf)
			writeCertsPEM(t, chain, kp.Chain...)
			writeKeyPEM(t, tsaKey, kp.Key)
			cfg := filepath.Join(dir, "ts.cnf")
			conf := "[ tsa ]\ndefault_tsa = tsa_config\n[ tsa_config ]\n" +
				"serial = " + filepath.Join(dir, "serial") + "\n" +
				"signer_digest = sha256\ndefault_policy = 1.3.6.1.4.1.61031.1.3161.1\n" +
				"digests = sha256, sha384, sha512\naccuracy = secs:1\nordering = no\ntsa_name = yes\n" +
				"ess_cert_id_chain = no\ness_cert_id_alg = " + essAlg + "\n"
			if err := os.WriteFile(cfg, []byte(conf), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "serial"), []byte("01\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			data := []byte("Quyết định số 567/QĐ-UBND")
			dataFile := filepath.Join(dir, "data.bin")
			if err := os.WriteFile(dataFile, data, 0o600); err != nil {
				t.Fatal(err)
			}
			query := filepath.Join(dir, "q.tsq")
			reply := filepath.Join(dir, "r.tsr")
			run(t, openssl, "ts", "-query", "-data", dataFile, "-sha256", "-cert", "-out", query)
			run(t, openssl, "ts", "-reply", "-config", cfg, "-queryfile", query, "-signer", tsaCert, "-inkey", tsaKey, "-chain", chain, "-out", reply)
			body, err := os.ReadFile(reply)
			if err != nil {
				t.Fatal(err)
			}
			der, err := tsa.ParseResponse(body)
			if err != nil {
				t.Fatalf("ParseResponse(openssl reply): %v", err)
			}
			tok, err := tsa.ParseToken(der)
			if err != nil {
				t.Fatalf("ParseToken(openssl token): %v", err)
			}
			if err := tok.Verify(p.roots); err != nil {
				t.Errorf("Verify(openssl token): %v", err)
			}
			if err := tok.Covers(data); err != nil {
				t.Errorf("Covers: %v", err)
			}
			d := sha256.Sum256(data)
			if err := tok.CheckImprint(crypto.SHA256, d[:]); err != nil {
				t.Error(err)
			}
			if tok.Nonce == nil || tok.SerialNumber.Sign() <= 0 {
				t.Errorf("nonce %v serial %v", tok.Nonce, tok.SerialNumber)
			}
			sd, err := cms.Parse(der)
			if err != nil {
				t.Fatal(err)
			}
			if essAlg == "sha1" && (!sd.HasSigningCertV1 || !sd.SigningCertV1Matches) {
				t.Errorf("signing-certificate v1: present %v, matches %v", sd.HasSigningCertV1, sd.SigningCertV1Matches)
			}
			if essAlg == "sha256" && (!sd.HasSigningCertV2 || !sd.SigningCertV2Matches) {
				t.Errorf("signing-certificate v2: present %v, matches %v", sd.HasSigningCertV2, sd.SigningCertV2Matches)
			}
			// The token signed by another TSA key pair does not verify under
			// a certificate substituted for the real one.
			if err := tok.UseSigner(p.tsas[certs.ECDSAP384].Leaf); err == nil {
				t.Error("UseSigner accepted a certificate the token does not name")
			}
		})
	}
}
