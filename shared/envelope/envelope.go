// Package envelope is the signed packet agencies exchange through the hub:
// a document's metadata and the digests of its attachments, or a status
// update, signed by the sending agency's key.
//
// A packet on the wire is a small JSON object holding the payload bytes and
// a detached CMS signature over exactly those bytes (the same container as
// the PDF signatures, package cms), whose signed attributes include
// signing-certificate-v2; an attached signature, or one without that
// attribute, is refused:
//
//	{"payload": "<base64 JSON>", "signature": "<base64 DER CMS SignedData>"}
//
// Signing the bytes rather than a re-encoding means nothing has to be
// canonicalised: what was signed is what is read. The payload names its kind
// ("document" or "status"), so one kind cannot be passed off as the other.
// Decoding is strict (size limits, unknown fields and duplicate keys
// refused) and fuzzed.
//
// # Attachments
//
// The main document is a PDF (ContentTypePDF); appendices may also be
// Word, Excel or OpenDocument text files (Types), where the receiving
// party's Policy accepts them: the default accepts PDF only, and the
// legacy binary formats (.doc, .xls) and macro-enabled ones never.
// Policy.Check is the one rule for types, CheckFile the one check of a
// file's bytes against its type (an office file's ZIP structure is read
// from its central directory, within bounds, never inflated), and
// CheckAttachmentName the one rule for names. Names are for display: a
// client opens or saves a file under a name of its own with Extension of
// the content type, after CheckFile, and never hands an office file to
// another program by itself.
package envelope

import (
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"lienthong/certs"
	"lienthong/shared/cms"
	"lienthong/shared/strictjson"
)

// MaxPacketSize bounds a packet on the wire; attachments travel apart.
const MaxPacketSize = 2 << 20

// Errors a caller decides on; the errors returned wrap one of them.
var (
	ErrMalformed    = errors.New("malformed packet")
	ErrBadSignature = errors.New("packet signature invalid")
	ErrUntrusted    = errors.New("packet signer not trusted")
	ErrWrongSigner  = errors.New("packet signed by another agency than it claims")
)

// Packet is a payload with the detached signature over it.
type Packet struct {
	Payload   []byte `json:"payload"`
	Signature []byte `json:"signature"`
}

// Seal signs payload with signer, whose certificates go into the
// signature, and returns the packet's wire form.
func Seal(payload []byte, signer certs.Signer) ([]byte, error) {
	if len(payload) == 0 {
		return nil, fmt.Errorf("%w: empty payload", ErrMalformed)
	}
	digest := sha256.Sum256(payload)
	sig, err := cms.Sign(digest[:], crypto.SHA256, signer)
	if err != nil {
		return nil, fmt.Errorf("sign packet: %w", err)
	}
	out, err := json.Marshal(Packet{Payload: payload, Signature: sig})
	if err != nil {
		return nil, err
	}
	if len(out) > MaxPacketSize {
		return nil, fmt.Errorf("%w: %d bytes, more than the %d allowed", ErrMalformed, len(out), MaxPacketSize)
	}
	return out, nil
}

// Decode reads a packet's wire form without checking its signature.
func Decode(data []byte) (*Packet, error) {
	if len(data) > MaxPacketSize {
		return nil, fmt.Errorf("%w: %d bytes, more than the %d allowed", ErrMalformed, len(data), MaxPacketSize)
	}
	var p Packet
	if err := strictjson.Unmarshal(data, &p); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if len(p.Payload) == 0 || len(p.Signature) == 0 {
		return nil, fmt.Errorf("%w: payload and signature are required", ErrMalformed)
	}
	return &p, nil
}

// Signer is who signed a packet, as verified.
type Signer struct {
	Agency certs.AgencyCode
	Chain  []*x509.Certificate // verified, leaf first, root last
}

// Verify checks the signature over the payload and the signer's chain at
// time at (zero: now) against v, and returns the agency whose certificate
// signed it (certs.PacketSigner with v's registrations: our URI, or a
// certificate of another CA registered for the agency).
func (p *Packet) Verify(v *certs.Verifier, at time.Time) (*Signer, error) {
	chain, err := p.VerifySigner(v, at, x509.ExtKeyUsageClientAuth)
	if err != nil {
		return nil, err
	}
	code, err := v.PacketSigner(chain[0])
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUntrusted, err)
	}
	return &Signer{Agency: code, Chain: chain}, nil
}

// VerifySigner checks the signature over the payload and that the signer's
// certificate chains to v's roots at time at (zero: now) for usage. It
// returns the verified chain, signer first. Verify is this plus the agency
// check; receipts, signed by the hub, use it with server authentication.
func (p *Packet) VerifySigner(v *certs.Verifier, at time.Time, usage x509.ExtKeyUsage) ([]*x509.Certificate, error) {
	sd, err := cms.Parse(p.Signature)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadSignature, err)
	}
	// The profile docs/API.md gives: detached, over id-data, with the
	// signing-certificate-v2 attribute that binds the signer's certificate
	// into what is signed (so no other certificate for the same key can
	// be substituted).
	if sd.Content != nil {
		return nil, fmt.Errorf("%w: the signature must be detached, it carries content", ErrMalformed)
	}
	if !sd.ContentType.Equal(cms.OIDData) {
		return nil, fmt.Errorf("%w: the signature is over content type %v, not id-data", ErrMalformed, sd.ContentType)
	}
	digest := sha256.Sum256(p.Payload)
	if err := sd.Verify(digest[:]); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadSignature, err)
	}
	if sd.Signer == nil {
		return nil, fmt.Errorf("%w: no signer certificate", ErrBadSignature)
	}
	if !sd.HasSigningCertV2 {
		return nil, fmt.Errorf("%w: no signing-certificate-v2 attribute", ErrBadSignature)
	}
	chain := []*x509.Certificate{sd.Signer}
	for _, c := range sd.Certificates {
		if c != sd.Signer {
			chain = append(chain, c)
		}
	}
	verified, err := v.Chain(chain, at, usage)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUntrusted, err)
	}
	return verified, nil
}

// Digest is the SHA-256 of a packet's wire form: what receipts and the
// audit log name it by.
func Digest(wire []byte) [32]byte { return sha256.Sum256(wire) }

// NewMessageID returns a fresh random message id: 32 hexadecimal digits.
func NewMessageID() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return hex.EncodeToString(b)
}

// ValidSHA256 reports whether s is a SHA-256 in lower-case hexadecimal.
func ValidSHA256(s string) bool { return lowerHex(s, 64) }

// ValidMessageID reports whether id has the form NewMessageID gives.
func ValidMessageID(id string) bool { return lowerHex(id, 32) }

// lowerHex reports whether s is n lower-case hexadecimal digits.
func lowerHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := range len(s) {
		if c := s[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
