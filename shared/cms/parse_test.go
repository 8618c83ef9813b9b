package cms_test

import (
	"bytes"
	"crypto"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"lienthong/shared/cms"
)

// TestVectors parses containers written by other producers and kept under
// testdata: OpenSSL 3.0 (DER, and BER streamed with -stream -indef) and NSS
// through poppler's pdfsig (BER with indefinite lengths, zero-padded as in
// the PDF).
func TestVectors(t *testing.T) {
	hello := digestOf(crypto.SHA256, []byte("hello\n"))
	tests := []struct {
		file        string
		digest      []byte // nil: not checked here
		content     []byte
		signingTime bool
		scv2        bool
	}{
		{"openssl-ecdsa-detached.p7s", hello, nil, true, false},
		{"openssl-ecdsa-attached.p7s", hello, []byte("hello\n"), true, false},
		{"openssl-ecdsa-indef.p7s", hello, []byte("hello\n"), true, false},
		{"poppler-nss-ber.p7s", nil, nil, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			der, err := os.ReadFile(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			sd, err := cms.Parse(der)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if sd.Signer == nil {
				t.Fatal("no signer certificate")
			}
			if !bytes.Equal(sd.Content, tt.content) {
				t.Errorf("Content = %q, want %q", sd.Content, tt.content)
			}
			if sd.HasSigningTime != tt.signingTime || sd.HasSigningCertV2 != tt.scv2 {
				t.Errorf("signing-time %v, signing-certificate-v2 %v; want %v, %v", sd.HasSigningTime, sd.HasSigningCertV2, tt.signingTime, tt.scv2)
			}
			if tt.digest != nil {
				if err := sd.Verify(tt.digest); err != nil {
					t.Errorf("Verify: %v", err)
				}
				if err := sd.Verify(digestOf(crypto.SHA256, []byte("hello"))); !errors.Is(err, cms.ErrDigestMismatch) {
					t.Errorf("Verify(other) = %v, want ErrDigestMismatch", err)
				}
			}
			// AddTimestamp normalises BER to DER and keeps the signature valid.
			p := mustPKI(t)
			withTS, err := cms.AddTimestamp(der, fakeToken(t, p.signers["ecdsa-p256"]))
			if err != nil {
				t.Fatalf("AddTimestamp: %v", err)
			}
			sd2, err := cms.Parse(withTS)
			if err != nil {
				t.Fatalf("Parse after AddTimestamp: %v", err)
			}
			if sd2.TimestampToken == nil || !bytes.Equal(sd2.Signature, sd.Signature) {
				t.Error("timestamp missing or signature changed")
			}
			if tt.digest != nil {
				if err := sd2.Verify(tt.digest); err != nil {
					t.Errorf("Verify after AddTimestamp: %v", err)
				}
			}
		})
	}
}

func TestParseMalformed(t *testing.T) {
	p := mustPKI(t)
	s := p.signers["ecdsa-p256"]
	digest := digestOf(crypto.SHA256, []byte("báo cáo"))
	good, err := cms.Sign(digest, crypto.SHA256, s.signer())
	if err != nil {
		t.Fatal(err)
	}
	replace := func(old, new []byte, n int) []byte {
		out := bytes.Clone(good)
		i := -1
		for k := 0; k <= n; k++ {
			j := bytes.Index(out[i+1:], old)
			if j < 0 {
				t.Fatalf("pattern %x occurrence %d not found", old, n)
			}
			i += 1 + j
		}
		copy(out[i:], new)
		return out
	}
	oidData := []byte{0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01}
	oidMD := []byte{0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x04}
	oidECDSA256 := []byte{0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02}
	tests := []struct {
		name string
		der  []byte
		want error
	}{
		{"empty", nil, cms.ErrMalformed},
		{"pdf bytes", []byte("%PDF-1.7\n"), cms.ErrMalformed},
		{"trailing garbage", append(bytes.Clone(good), 0, 1), cms.ErrMalformed},
		{"too large", append(bytes.Clone(good), make([]byte, cms.MaxSize)...), cms.ErrMalformed},
		{"content-type attribute differs", replace(oidData, append(oidData[:10:10], 0x02), 1), cms.ErrMalformed},
		{"no message-digest attribute", replace(oidMD, append(oidMD[:10:10], 0x63), 0), cms.ErrMalformed},
		{"unknown signature algorithm", replaceLast(good, oidECDSA256, append(oidECDSA256[:9:9], 0x09)), cms.ErrUnsupportedAlgorithm},
		{"indefinite length primitive", []byte{0x30, 0x80, 0x04, 0x80, 0x00, 0x00}, cms.ErrMalformed},
		{"unterminated indefinite", []byte{0x30, 0x80, 0x30, 0x80}, cms.ErrMalformed},
		{"deep nesting", bytes.Repeat([]byte{0x30, 0x80}, 200), cms.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := cms.Parse(tt.der)
			if !errors.Is(err, tt.want) {
				t.Errorf("Parse = %v, want %v", err, tt.want)
			}
		})
	}
	t.Run("every truncation", func(t *testing.T) {
		for n := range len(good) {
			if _, err := cms.Parse(good[:n]); err == nil {
				t.Fatalf("Parse accepted the first %d of %d bytes", n, len(good))
			}
		}
	})
	t.Run("zero padding", func(t *testing.T) {
		padded := append(bytes.Clone(good), make([]byte, 8192)...)
		sd, err := cms.Parse(padded)
		if err != nil {
			t.Fatalf("Parse(zero-padded) = %v", err)
		}
		if err := sd.Verify(digest); err != nil {
			t.Error(err)
		}
	})
}

func replaceLast(b, old, new []byte) []byte {
	out := bytes.Clone(b)
	copy(out[bytes.LastIndex(out, old):], new)
	return out
}
