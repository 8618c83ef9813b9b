package store

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"lienthong/certs"
	"lienthong/shared/document"
)

// ValidMessageID checks a client-chosen message id: at least 32 lower-case
// hex digits (16 random bytes) and at most 128, or a UUID in its canonical
// lower-case 8-4-4-4-12 form.
func ValidMessageID(id string) error {
	if isUUID(id) {
		return nil
	}
	if len(id) < 32 || len(id) > 128 || !isLowerHex(id) {
		return fmt.Errorf("%w: message id %q: want 32 to 128 lower-case hex digits or a lower-case UUID", ErrInvalid, id)
	}
	return nil
}

// ValidDigest checks a SHA-256 written as 64 lower-case hex digits.
func ValidDigest(d string) error {
	if len(d) != 64 || !isLowerHex(d) {
		return fmt.Errorf("%w: sha-256 %q: want 64 lower-case hex digits", ErrInvalid, d)
	}
	return nil
}

// ValidAgencyCode checks an agency code (mã định danh).
func ValidAgencyCode(code certs.AgencyCode) error {
	if _, err := certs.ParseAgencyCode(string(code)); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return nil
}

// Validate checks what the store indexes in a submission; it does not look
// inside the envelope beyond its hash.
func (s *Submission) Validate() error {
	if err := ValidMessageID(s.MessageID); err != nil {
		return err
	}
	if err := ValidAgencyCode(s.Sender); err != nil {
		return fmt.Errorf("sender: %w", err)
	}
	if len(s.Recipients) == 0 {
		return fmt.Errorf("%w: no recipients", ErrInvalid)
	}
	for i, r := range s.Recipients {
		if err := ValidAgencyCode(r); err != nil {
			return fmt.Errorf("recipient %d: %w", i, err)
		}
		if r == s.Sender {
			return fmt.Errorf("%w: recipient %s is the sender", ErrInvalid, r)
		}
		if slices.Contains(s.Recipients[:i], r) {
			return fmt.Errorf("%w: recipient %s listed twice", ErrInvalid, r)
		}
	}
	if err := ValidDigest(s.EnvelopeSHA256); err != nil {
		return fmt.Errorf("envelope: %w", err)
	}
	if len(s.Envelope) == 0 {
		return fmt.Errorf("%w: empty envelope", ErrInvalid)
	}
	sum := sha256.Sum256(s.Envelope)
	if hex.EncodeToString(sum[:]) != s.EnvelopeSHA256 {
		return fmt.Errorf("%w: envelope does not hash to %s", ErrDigestMismatch, s.EnvelopeSHA256)
	}
	if len(s.DocumentID) > 256 || strings.IndexByte(s.DocumentID, 0) >= 0 {
		return fmt.Errorf("%w: document id longer than 256 bytes or with a NUL byte", ErrInvalid)
	}
	for i, d := range s.BlobDigests {
		if err := ValidDigest(d); err != nil {
			return fmt.Errorf("attachment %d: %w", i, err)
		}
	}
	for i, b := range s.Inline {
		if err := b.validate(s.BlobDigests, s.Inline[:i]); err != nil {
			return fmt.Errorf("inline attachment %d: %w", i, err)
		}
	}
	switch s.Kind {
	case document.BusinessNew:
		if len(s.Targets) != 0 {
			return fmt.Errorf("%w: a new document has no targets", ErrInvalid)
		}
	case document.BusinessRecall, document.BusinessUpdate, document.BusinessReplace:
		if len(s.Targets) == 0 {
			return fmt.Errorf("%w: a %s names at least one target", ErrInvalid, s.Kind)
		}
		for i, t := range s.Targets {
			if err := ValidMessageID(t); err != nil {
				return fmt.Errorf("target %d: %w", i, err)
			}
			if t == s.MessageID || slices.Contains(s.Targets[:i], t) {
				return fmt.Errorf("%w: target %s repeated or self", ErrInvalid, t)
			}
		}
	default:
		return fmt.Errorf("%w: unknown business kind %d", ErrInvalid, s.Kind)
	}
	if s.Received.IsZero() {
		return fmt.Errorf("%w: no receive time", ErrInvalid)
	}
	return nil
}

// Validate checks a status update: a known code, a reason for a refusal,
// signed bytes and a time.
func (st *StatusUpdate) Validate() error {
	if err := ValidMessageID(st.MessageID); err != nil {
		return err
	}
	if err := ValidAgencyCode(st.From); err != nil {
		return fmt.Errorf("status from: %w", err)
	}
	if !st.Code.Valid() {
		return fmt.Errorf("%w: unknown status code %q", ErrInvalid, st.Code)
	}
	if st.Code == document.StatusRefused && strings.TrimSpace(st.Reason) == "" {
		return fmt.Errorf("%w: status %s (refused) needs a reason", ErrInvalid, st.Code)
	}
	if len(st.Signed) == 0 {
		return fmt.Errorf("%w: status has no signed bytes", ErrInvalid)
	}
	if len(st.Document) > 256 || strings.IndexByte(st.Document, 0) >= 0 {
		return fmt.Errorf("%w: document id longer than 256 bytes or with a NUL byte", ErrInvalid)
	}
	if st.At.IsZero() {
		return fmt.Errorf("%w: status has no time", ErrInvalid)
	}
	return nil
}

// Validate checks a receipt.
func (r *Receipt) Validate() error {
	if err := ValidMessageID(r.MessageID); err != nil {
		return err
	}
	if r.Event == "" || len(r.Event) > 64 || strings.IndexByte(r.Event, 0) >= 0 {
		return fmt.Errorf("%w: receipt event %q", ErrInvalid, r.Event)
	}
	if err := ValidAgencyCode(r.Party); err != nil {
		return fmt.Errorf("receipt party: %w", err)
	}
	if len(r.Signed) == 0 {
		return fmt.Errorf("%w: receipt has no signed bytes", ErrInvalid)
	}
	if r.At.IsZero() {
		return fmt.Errorf("%w: receipt has no time", ErrInvalid)
	}
	return nil
}

// Validate checks a directory entry.
func (a *Agency) Validate() error {
	if err := ValidAgencyCode(a.Code); err != nil {
		return err
	}
	if a.Name == "" || len(a.Name) > 200*4 || !utf8.ValidString(a.Name) || document.HasHiddenRune(a.Name) {
		return fmt.Errorf("%w: agency %s: name empty, too long, not UTF-8 or with hidden characters", ErrInvalid, a.Code)
	}
	if a.Parent != "" {
		if err := ValidAgencyCode(a.Parent); err != nil {
			return fmt.Errorf("agency %s parent: %w", a.Code, err)
		}
	}
	if a.SupersededBy != "" {
		if err := ValidAgencyCode(a.SupersededBy); err != nil {
			return fmt.Errorf("agency %s superseded by: %w", a.Code, err)
		}
	}
	if a.Level < 1 || a.Level > 4 {
		return fmt.Errorf("%w: agency %s: level %d not in 1..4", ErrInvalid, a.Code, a.Level)
	}
	if a.Closed() && (!IsDay(a.ClosedOn) || a.Active || a.SupersededBy == "") {
		return fmt.Errorf("%w: agency %s: a closure needs a day, an inactive entry and a successor", ErrInvalid, a.Code)
	}
	if a.ClosedBasis != "" && !validText(a.ClosedBasis, 200) {
		return fmt.Errorf("%w: agency %s: closing basis too long, not UTF-8 or with hidden characters", ErrInvalid, a.Code)
	}
	if len(a.Certificates) > MaxAgencyCertificates {
		return fmt.Errorf("%w: agency %s: %d registered certificates, at most %d", ErrInvalid, a.Code, len(a.Certificates), MaxAgencyCertificates)
	}
	seen := make(map[certs.Fingerprint]bool, len(a.Certificates))
	for _, c := range a.Certificates {
		if err := c.Check(); err != nil {
			return fmt.Errorf("%w: agency %s: %v", ErrInvalid, a.Code, err)
		}
		if c.Person != "" && !validText(c.Person, 200) {
			return fmt.Errorf("%w: agency %s: certificate %s: the person's name has hidden characters", ErrInvalid, a.Code, c.SHA256)
		}
		if seen[c.SHA256] {
			return fmt.Errorf("%w: agency %s: certificate %s registered twice", ErrInvalid, a.Code, c.SHA256)
		}
		seen[c.SHA256] = true
	}
	return nil
}

// MaxAgencyCertificates bounds the foreign certificates one agency
// registers (its seal, TLS identities, its competent persons, renewals).
const MaxAgencyCertificates = 500

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch i {
		case 8, 13, 18, 23:
			if s[i] != '-' {
				return false
			}
		default:
			if !isLowerHex(s[i : i+1]) {
				return false
			}
		}
	}
	return true
}

// validate checks an inline blob of a submission whose attachments are
// digests, after the inline blobs before.
func (b *InlineBlob) validate(digests []string, before []InlineBlob) error {
	if err := ValidDigest(b.Digest); err != nil {
		return err
	}
	if !slices.Contains(digests, b.Digest) {
		return fmt.Errorf("%w: %s is not an attachment of the submission", ErrInvalid, b.Digest)
	}
	if slices.ContainsFunc(before, func(o InlineBlob) bool { return o.Digest == b.Digest }) {
		return fmt.Errorf("%w: %s given twice", ErrInvalid, b.Digest)
	}
	if len(b.Data) > MaxInline {
		return fmt.Errorf("%w: %d bytes, over %d", ErrTooLarge, len(b.Data), MaxInline)
	}
	sum := sha256.Sum256(b.Data)
	if hex.EncodeToString(sum[:]) != b.Digest {
		return fmt.Errorf("%w: the bytes do not hash to %s", ErrDigestMismatch, b.Digest)
	}
	return nil
}
